package tikitest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// tokenRequest posts a client_credentials token request, with the client
// credentials in a Basic header, in the form body, or both.
func tokenRequest(t *testing.T, srv *tikitest.Server, basic, form bool) (int, string) {
	t.Helper()
	cc := srv.ClientCredentials()
	body := url.Values{"grant_type": {"client_credentials"}}
	if form {
		body.Set("client_id", cc.ClientID)
		body.Set("client_secret", cc.ClientSecret)
	}
	req, err := http.NewRequest("POST", srv.Host+"/sc/oauth2/token", strings.NewReader(body.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(cc.ClientID), url.QueryEscape(cc.ClientSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return resp.StatusCode, b.String()
}

// The token endpoint accepts only the client authentication method the
// app is set up for; the other (or both, or none) gets 401 invalid_client.
func TestClientAuthStyleEnforcedOnTheWire(t *testing.T) {
	t.Parallel()
	basicSrv := tikitest.NewServer(t) // client_secret_basic by default, as Tiki documents
	postSrv := tikitest.NewServer(t, tikitest.WithClientAuthStyle(tiki.AuthStylePost))
	assert.Equal(t, tiki.AuthStyleBasic, basicSrv.ClientCredentials().AuthStyle)
	assert.Equal(t, tiki.AuthStylePost, postSrv.ClientCredentials().AuthStyle)

	for _, c := range []struct {
		name        string
		srv         *tikitest.Server
		basic, form bool
		status      int
		used        string
	}{
		{"basic app, basic header", basicSrv, true, false, 200, ""},
		{"basic app, form body", basicSrv, false, true, 401, "client_secret_post"},
		{"basic app, both", basicSrv, true, true, 401, "both"},
		{"basic app, none", basicSrv, false, false, 401, "no client authentication"},
		{"post app, form body", postSrv, false, true, 200, ""},
		{"post app, basic header", postSrv, true, false, 401, "client_secret_basic"},
		{"post app, both", postSrv, true, true, 401, "both"},
		{"post app, none", postSrv, false, false, 401, "no client authentication"},
	} {
		status, body := tokenRequest(t, c.srv, c.basic, c.form)
		assert.Equal(t, c.status, status, c.name)
		if c.status == 200 {
			assert.Contains(t, body, `"access_token"`, c.name)
			continue
		}
		assert.Contains(t, body, `"error":"invalid_client"`, c.name)
		assert.Contains(t, body, "but the request used "+c.used, c.name)
	}
}

// The SDK's AuthStyle options work against the fake set up the same way,
// and a client with the wrong one fails with a clear typed error.
func TestClientAuthStyleWithSDK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, appStyle := range []tiki.AuthStyle{tiki.AuthStyleBasic, tiki.AuthStylePost} {
		srv := tikitest.NewServer(t, tikitest.WithClientAuthStyle(appStyle))
		for _, clientStyle := range []tiki.AuthStyle{tiki.AuthStyleBasic, tiki.AuthStylePost} {
			cc := srv.ClientCredentials()
			cc.AuthStyle = clientStyle
			c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithClientCredentials(cc))
			require.NoError(t, err)
			_, _, err = c.Warehouses.ListTiki(ctx)
			if clientStyle == appStyle {
				require.NoError(t, err)
				continue
			}
			var te *tiki.TokenError
			require.ErrorAs(t, err, &te, "app %v, client %v", appStyle, clientStyle)
			assert.Equal(t, 401, te.StatusCode)
			assert.Equal(t, "invalid_client", te.Code)
			assert.Contains(t, te.Description, "the client is set up for")
			assert.Contains(t, err.Error(), "invalid_client")
			assert.NotContains(t, err.Error(), cc.ClientSecret)
		}
	}
}

// The authorization code flow (OAuthApp) honours the style too.
func TestClientAuthStyleOAuthApp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t, tikitest.WithClientAuthStyle(tiki.AuthStylePost))
	cc := srv.ClientCredentials()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, style := range []tiki.AuthStyle{tiki.AuthStylePost, tiki.AuthStyleBasic} {
		app := &tiki.OAuthApp{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, RedirectURL: "https://app.example/cb",
			Scopes: []string{"order", "offline"}, AuthStyle: style, Host: srv.Host}
		authURL, err := app.AuthCodeURL("state-12345678")
		require.NoError(t, err)
		resp, err := noRedirect.Get(authURL)
		require.NoError(t, err)
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "state-12345678", loc.Query().Get("state"))
		tok, err := app.Exchange(ctx, nil, loc.Query().Get("code"))
		if style == tiki.AuthStylePost {
			require.NoError(t, err)
			assert.NotEmpty(t, tok.RefreshToken)
			continue
		}
		var te *tiki.TokenError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "invalid_client", te.Code)
	}
}

// A client id and secret holding characters that form-URL-encoding
// changes: Base64's "/", "+" and "=", and ":" and "%".
const (
	reservedClientID     = "app:1/2+3=%"
	reservedClientSecret = "cS3cr3t/Base64+Value==:%41"
)

// Such credentials authenticate in both styles: under client_secret_basic
// the client encodes them before the Basic encoding (RFC 6749 section
// 2.3.1) and the fake decodes them, under client_secret_post they are form
// fields. Neither form of the secret reaches the request log.
func TestReservedCharactersInCredentialsWithSDK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, style := range map[string]tiki.AuthStyle{"basic": tiki.AuthStyleBasic, "post": tiki.AuthStylePost} {
		var log bytes.Buffer
		srv := tikitest.NewServer(t, tikitest.WithClientCredentials(reservedClientID, reservedClientSecret),
			tikitest.WithClientAuthStyle(style), tikitest.WithRequestLog(&log))
		cc := srv.ClientCredentials()
		require.Equal(t, reservedClientSecret, cc.ClientSecret)
		c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithClientCredentials(cc))
		require.NoError(t, err)
		_, _, err = c.Warehouses.ListTiki(ctx)
		require.NoError(t, err, name)
		assert.Contains(t, log.String(), "POST /sc/oauth2/token 200")
		assert.NotContains(t, log.String(), "Base64")
	}
}

// The same on the wire: what the token endpoint answers for each way a
// client may send such credentials. A client that skips the encoding is
// refused as an RFC 6749 server refuses it (there is no fallback to the
// undecoded form), with a description naming the missing encoding.
func TestReservedCharactersInCredentialsOnTheWire(t *testing.T) {
	t.Parallel()
	basicSrv := tikitest.NewServer(t, tikitest.WithClientCredentials(reservedClientID, reservedClientSecret))
	postSrv := tikitest.NewServer(t, tikitest.WithClientCredentials(reservedClientID, reservedClientSecret),
		tikitest.WithClientAuthStyle(tiki.AuthStylePost))
	// Letters, digits, "/" and "=" decode to themselves: an unencoded
	// secret made of them still matches, as on any server that decodes.
	plainSrv := tikitest.NewServer(t, tikitest.WithClientCredentials("app-1", "cS3cr3t/Base64Value=="))
	// "+" decodes to a space: unencoded, such a secret no longer matches,
	// and the answer says why.
	plusSrv := tikitest.NewServer(t, tikitest.WithClientCredentials("app/1+2", "cS3cr3t/Base64+Value=="))

	basic := func(user, password string) func(*http.Request) {
		return func(req *http.Request) { req.SetBasicAuth(user, password) }
	}
	for _, c := range []struct {
		name   string
		srv    *tikitest.Server
		form   string
		header func(*http.Request)
		status int
		answer string
	}{
		{"basic, encoded", basicSrv, "", basic(url.QueryEscape(reservedClientID), url.QueryEscape(reservedClientSecret)),
			200, `"access_token"`},
		{"basic, encoded, only / and =", plainSrv, "", basic("app-1", "cS3cr3t%2FBase64Value%3D%3D"), 200, `"access_token"`},
		{"basic, not encoded, only / and =", plainSrv, "", basic("app-1", "cS3cr3t/Base64Value=="), 200, `"access_token"`},
		{"basic, not encoded, with +", plusSrv, "", basic("app/1+2", "cS3cr3t/Base64+Value=="),
			401, `form-URL-encoded before the Basic encoding (RFC 6749 section 2.3.1), and these were not`},
		{"basic, not encoded, with : and %", basicSrv, "", basic(reservedClientID, reservedClientSecret),
			400, `"error":"invalid_request"`},
		{"basic, not valid form-URL-encoding", basicSrv, "", basic(url.QueryEscape(reservedClientID), "cS3cr3t%zz"),
			400, `"error":"invalid_request"`},
		{"basic, wrong secret", basicSrv, "", basic(url.QueryEscape(reservedClientID), url.QueryEscape("cS3cr3t/Base64+Value==")),
			401, `"error_description":"Client authentication failed: unknown client id or wrong client secret"`},
		{"post, form-encoded", postSrv, url.Values{"client_id": {reservedClientID}, "client_secret": {reservedClientSecret}}.Encode(), nil,
			200, `"access_token"`},
		{"post, \"+\" not encoded is a space", postSrv, "client_id=" + url.QueryEscape(reservedClientID) + "&client_secret=cS3cr3t/Base64+Value==:%2541", nil,
			401, `"error":"invalid_client"`},
	} {
		form := "grant_type=client_credentials"
		if c.form != "" {
			form += "&" + c.form
		}
		req, err := http.NewRequest("POST", c.srv.Host+"/sc/oauth2/token", strings.NewReader(form))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c.header != nil {
			c.header(req)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, c.status, resp.StatusCode, "%s: %s", c.name, body)
		assert.Contains(t, string(body), c.answer, c.name)
	}
}
