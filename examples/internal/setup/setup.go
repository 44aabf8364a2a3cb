// Package setup builds the client every example uses: against Tiki when
// credentials are in the environment, against the in-process fake otherwise.
package setup

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// Environment variables the examples read.
const (
	EnvAccessToken  = "TIKI_ACCESS_TOKEN"  // a Bearer access token
	EnvClientID     = "TIKI_CLIENT_ID"     // in-house app (client credentials)
	EnvClientSecret = "TIKI_CLIENT_SECRET" //
	EnvAuthStyle    = "TIKI_AUTH_STYLE"    // "basic" (default) or "post"
	EnvSellerKey    = "TIKI_SELLER_KEY"    // legacy seller key
	EnvEnvironment  = "TIKI_ENV"           // "sandbox" (default) or "production"
	EnvBaseURL      = "TIKI_BASE_URL"      // any base URL, e.g. a tikifake
)

// Client returns a client and a description of what it talks to. close
// stops the fake, if one was started.
func Client(opts ...tiki.Option) (c *tiki.Client, target string, close func(), err error) {
	c, target, _, close, err = ClientAndFake(opts...)
	return c, target, close, err
}

// ClientAndFake is Client that also returns the built-in fake when it
// started one (nil otherwise), so that an example can place orders on it.
func ClientAndFake(opts ...tiki.Option) (c *tiki.Client, target string, fake *tikitest.Server, close func(), err error) {
	auth, err := authFromEnv()
	if err != nil {
		return nil, "", nil, nil, err
	}
	if auth == nil && os.Getenv(EnvBaseURL) == "" {
		srv, err := tikitest.Start()
		if err != nil {
			return nil, "", nil, nil, err
		}
		c, err := srv.Client(opts...)
		if err != nil {
			srv.Close()
			return nil, "", nil, nil, err
		}
		return c, "the built-in fake Tiki at " + srv.URL + " (set " + EnvAccessToken + " or " + EnvClientID + "/" + EnvClientSecret + " to use Tiki)", srv, srv.Close, nil
	}

	var where tiki.Option
	switch env := strings.ToLower(os.Getenv(EnvEnvironment)); {
	case os.Getenv(EnvBaseURL) != "":
		where = tiki.WithBaseURL(os.Getenv(EnvBaseURL))
	case env == "" || env == "sandbox":
		where = tiki.WithEnvironment(tiki.Sandbox)
	case env == "production":
		where = tiki.WithEnvironment(tiki.Production)
	default:
		return nil, "", nil, nil, fmt.Errorf("%s must be sandbox or production, not %q", EnvEnvironment, env)
	}
	all := []tiki.Option{where, tiki.WithUserAgent("tiki-go-examples")}
	if auth != nil {
		all = append(all, auth)
	} else {
		all = append(all, tiki.WithSellerKey(tikitest.DefaultSellerKey))
	}
	c, err = tiki.NewClient(append(all, opts...)...)
	if err != nil {
		return nil, "", nil, nil, err
	}
	return c, c.BaseURL(), nil, func() {}, nil
}

func authFromEnv() (tiki.Option, error) {
	id, secret := os.Getenv(EnvClientID), os.Getenv(EnvClientSecret)
	switch {
	case os.Getenv(EnvAccessToken) != "":
		return tiki.WithAccessToken(os.Getenv(EnvAccessToken)), nil
	case id != "" || secret != "":
		if id == "" || secret == "" {
			return nil, errors.New(EnvClientID + " and " + EnvClientSecret + " go together")
		}
		style := tiki.AuthStyleBasic
		if strings.EqualFold(os.Getenv(EnvAuthStyle), "post") {
			style = tiki.AuthStylePost
		}
		return tiki.WithClientCredentials(tiki.ClientCredentials{ClientID: id, ClientSecret: secret, AuthStyle: style,
			Scopes: []string{tiki.ScopeProduct, tiki.ScopeOrder, tiki.ScopeInventory}}), nil
	case os.Getenv(EnvSellerKey) != "":
		return tiki.WithSellerKey(os.Getenv(EnvSellerKey)), nil
	}
	return nil, nil
}
