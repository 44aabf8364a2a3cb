package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// session is where a run's calls go: the built-in fake, a profile of the
// configuration file or the environment's credentials, and the client made
// for it.
type session struct {
	// source says where the credentials come from, for config show and
	// messages: "the built-in fake", "profile shop (/home/.../config.yaml)",
	// "the environment".
	source string
	// name is the profile's name; "" for the fake and the environment.
	name string
	// path is the configuration file.
	path string
	// isDefault reports that the profile is the file's default.
	isDefault bool
	profile   *Profile
	fake      *tikitest.Server
	fakeErr   error
	fakeOnce  sync.Once
	client    *tiki.Client
	// dry records the writes of a dry run instead of sending them; nil
	// when writes are sent.
	dry *dryRun
}

// resolve works out where the run's calls go, without calling Tiki: --fake,
// then --profile or TIKI_PROFILE, then credentials in the environment, then
// the configuration file's default profile.
func (a *app) resolve() (*session, error) {
	if a.sess != nil {
		return a.sess, nil
	}
	if a.fake {
		a.sess = &session{source: "the built-in fake Tiki (demo data)"}
		return a.sess, nil
	}
	name := a.profile
	if name == "" {
		name = a.getenv(EnvProfile)
	}
	path, explicit, pathErr := a.configPath()
	if name == "" {
		p, err := a.profileFromEnv()
		if err != nil {
			return nil, err
		}
		if p != nil {
			a.sess = &session{source: "the environment (" + envSource(a) + ")", profile: p}
			return a.sess, nil
		}
	}
	if pathErr != nil {
		return nil, pathErr
	}
	cfg, exists, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	switch {
	case name == "" && cfg.Default == "":
		if len(cfg.Profiles) > 0 {
			return nil, &cliError{code: ExitUsage, msg: fmt.Sprintf("no profile chosen and %s has no default %s: pick one with --profile NAME, or make one the default with tiki config use NAME", path, profileList(cfg))}
		}
		return nil, &cliError{code: ExitUsage, msg: "no credentials: set " + EnvClientID + " and " + EnvClientSecret + " (or " + EnvAccessToken + ", or " + EnvSellerKey + "), add a profile with tiki config set NAME --auth client-credentials --client-id ID, or try the demo data with --fake"}
	case name == "":
		name = cfg.Default
	case !exists && explicit:
		return nil, &cliError{code: ExitUsage, msg: fmt.Sprintf("profile %q: the configuration file %s does not exist: check --config or %s, or add the profile with tiki config set %s", name, path, EnvConfig, name)}
	}
	p := cfg.Profiles[name]
	if p == nil {
		return nil, &cliError{code: ExitUsage, msg: fmt.Sprintf("profile %q is not in %s %s: add it with tiki config set %s --auth client-credentials --client-id ID, or list them with tiki config list", name, path, profileList(cfg), name)}
	}
	a.checkConfigPermissions(path, cfg)
	a.sess = &session{source: fmt.Sprintf("profile %s (%s)", name, path), name: name, path: path, profile: p, isDefault: name == cfg.Default}
	return a.sess, nil
}

// envSource names the credential variables that are set.
func envSource(a *app) string {
	var set []string
	for _, name := range []string{EnvAccessToken, EnvClientID, EnvClientSecret, EnvSellerKey, EnvEnvironment, EnvBaseURL} {
		if a.getenv(name) != "" {
			set = append(set, name)
		}
	}
	return strings.Join(set, ", ")
}

// client returns the run's client, made on first use. With dry, its
// writes are recorded in the session's dryRun and never sent; reads go to
// Tiki.
func (a *app) client(dry bool) (*tiki.Client, error) {
	s, err := a.resolve()
	if err != nil {
		return nil, err
	}
	if s.client != nil {
		return s.client, nil
	}
	if dry {
		s.dry = &dryRun{base: http.DefaultTransport}
	}
	s.client, err = a.newClient(s, s.dry)
	return s.client, err
}

// dryClient returns a new client of the run's session whose writes are
// recorded in the dryRun it returns, for one dry run among others (the MCP
// server's tools).
func (a *app) dryClient() (*tiki.Client, *dryRun, error) {
	s, err := a.resolve()
	if err != nil {
		return nil, nil, err
	}
	dry := &dryRun{base: http.DefaultTransport}
	c, err := a.newClient(s, dry)
	return c, dry, err
}

// newClient makes a client of the session: for the built-in fake (started
// on first use), a profile or the environment's credentials. With dry, its
// writes are recorded there instead of sent.
func (a *app) newClient(s *session, dry *dryRun) (*tiki.Client, error) {
	opts := []tiki.Option{tiki.WithUserAgent(userAgent)}
	if l := a.logger(); l != nil {
		opts = append(opts, tiki.WithLogger(l))
	}
	var transport http.RoundTripper = http.DefaultTransport
	if dry != nil {
		transport = dry
	}
	// The SDK's default client, with the run's request counter.
	opts = append(opts, tiki.WithHTTPClient(&http.Client{Transport: &counter{base: transport, a: a}, Timeout: 30 * time.Second}))
	opts = append(opts, a.env.ClientOptions...)
	if s.profile == nil { // the built-in fake
		s.fakeOnce.Do(func() { s.fake, s.fakeErr = startDemo(a.now) })
		if s.fakeErr != nil {
			return nil, &cliError{code: ExitError, msg: "starting the built-in fake Tiki: " + s.fakeErr.Error(), cause: s.fakeErr}
		}
		return s.fake.Client(opts...)
	}
	auth, err := s.auth(a)
	if err != nil {
		return nil, err
	}
	p := s.profile
	if p.BaseURL != "" {
		opts = append(opts, tiki.WithBaseURL(p.BaseURL))
	} else {
		opts = append(opts, tiki.WithEnvironment(p.environment()))
	}
	if p.TikiNowURL != "" {
		opts = append(opts, tiki.WithTikiNowURL(p.TikiNowURL))
	}
	c, err := tiki.NewClient(append(opts, auth)...)
	if err != nil {
		return nil, &cliError{code: ExitUsage, msg: fmt.Sprintf("%s: %s; fix it with tiki config set", s.source, strings.TrimPrefix(err.Error(), "tiki: ")), cause: err}
	}
	return c, nil
}

// auth returns the client option of the session's way to authenticate.
func (s *session) auth(a *app) (tiki.Option, error) {
	p := s.profile
	switch p.Auth {
	case authClientCredentials:
		return tiki.WithClientCredentials(tiki.ClientCredentials{ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			Scopes: p.Scopes, AuthStyle: p.authStyle()}), nil
	case authAccessToken:
		return tiki.WithAccessToken(p.AccessToken), nil
	case authSellerKey:
		return tiki.WithSellerKey(p.SellerKey), nil
	case authOAuthApp:
		if p.SellerID == "" {
			return nil, &cliError{code: ExitUsage, msg: fmt.Sprintf("%s has no seller yet: sign the seller in with tiki config login %s", s.source, s.name)}
		}
		store, err := a.tokenStore()
		if err != nil {
			return nil, err
		}
		return tiki.WithOAuthApp(s.oauthApp(), store, p.SellerID), nil
	}
	return nil, &cliError{code: ExitUsage, msg: fmt.Sprintf("%s: auth is %q: use one of %s", s.source, p.Auth, strings.Join(authKinds, ", "))}
}

// oauthApp returns the public app of an oauth-app profile.
func (s *session) oauthApp() tiki.OAuthApp {
	p := s.profile
	return tiki.OAuthApp{ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: p.RedirectURL,
		Scopes: p.Scopes, AuthStyle: p.authStyle(), Host: p.host()}
}

// tokenStore returns the store of the public apps' seller tokens: a
// directory beside the configuration file, readable by its owner only,
// shared by every run on the machine (each seller's token is renewed once,
// under the seller's lock, and Tiki's new refresh token kept).
func (a *app) tokenStore() (*tiki.FileTokenStore, error) {
	path, _, err := a.configPath()
	if err != nil {
		return nil, err
	}
	store, err := tiki.NewFileTokenStore(filepath.Join(filepath.Dir(path), "tokens"))
	if err != nil {
		return nil, &cliError{code: ExitError, msg: "opening the token store: " + strings.TrimPrefix(err.Error(), "tiki: "), cause: err}
	}
	return store, nil
}

// close stops the fake.
func (s *session) close() {
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
	if s.fake != nil {
		s.fake.Close()
	}
}

// wireRequest is a write a dry run did not send: what would have gone to
// Tiki.
type wireRequest struct {
	// Method is the HTTP method, for example "POST".
	Method string `json:"method"`
	// Path is the request's path and query, for example
	// "/integration/v2/orders/300000001/confirm-available".
	Path string `json:"path"`
	// Body is the JSON body.
	Body json.RawMessage `json:"body,omitempty"`
}

// dryRun is a transport that sends reads and the token requests of
// authentication, and records every other request instead of sending it,
// answering it 200 {"state": "approved"} (what Tiki answers an applied
// update; an order action takes any JSON object). The SDK builds and checks
// each request as it would for Tiki, so the record is exactly what a run
// without --dry-run sends.
type dryRun struct {
	base http.RoundTripper
	mu   sync.Mutex
	sent []wireRequest
}

// RoundTrip implements http.RoundTripper.
func (d *dryRun) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet || req.Method == http.MethodHead || strings.HasSuffix(req.URL.Path, "/sc/oauth2/token") {
		return d.base.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	w := wireRequest{Method: req.Method, Path: req.URL.RequestURI()}
	if len(bytes.TrimSpace(body)) > 0 {
		if json.Valid(body) {
			w.Body = json.RawMessage(body)
		} else {
			quoted, _ := json.Marshal(string(body))
			w.Body = quoted
		}
	}
	d.mu.Lock()
	d.sent = append(d.sent, w)
	d.mu.Unlock()
	const answer = `{"state":"approved"}`
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(answer)),
		ContentLength: int64(len(answer)),
		Request:       req,
	}, nil
}

// take returns the writes recorded since the last call.
func (d *dryRun) take() []wireRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.sent
	d.sent = nil
	return out
}

// withTimeout returns ctx bounded by d when d is positive.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// counter is a transport that counts the requests of the run, for the
// progress of long work.
type counter struct {
	base http.RoundTripper
	a    *app
}

// RoundTrip implements http.RoundTripper.
func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	c.a.counted(req.Method != http.MethodGet)
	return resp, err
}

// counts are the run's request counts and who hears of them.
type counts struct {
	mu             sync.Mutex
	all, writes    int
	onAll, onWrite func(int)
}

// counted records a request.
func (a *app) counted(write bool) {
	c := &a.counts
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all++
	if c.onAll != nil {
		c.onAll(c.all)
	}
	if write {
		c.writes++
		if c.onWrite != nil {
			c.onWrite(c.writes)
		}
	}
}
