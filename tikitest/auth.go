package tikitest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
)

// The OAuth2 side of the fake follows Ory Hydra, which Tiki's
// authorization server appears to be (its refusals carry Hydra's
// error_hint). A seller's approval of the app on the consent page makes a
// grant; the authorization code, then each refresh token, renews it:
//
//   - An authorization code is used once and expires after 10 minutes.
//   - A refresh token is used once: each renewal answers a new access
//     token and a new refresh token. Sending a used refresh token again
//     revokes the whole grant (every access and refresh token issued under
//     it), as Hydra's refresh token reuse detection does, and is refused
//     with invalid_grant; so is every later use of the grant's tokens.
//     WithRefreshGracePeriod lets a refresh token be used again for a
//     while after its first use instead (Hydra's rotation grace period).
//   - Each access token belongs to its grant's seller: GET
//     /v2/sellers/me describes that seller, and a seller's token
//     subscribes that seller to the app's event queues.
//
// Grants lists the grants with their renewals and revocations;
// DropTokenAnswers loses the answers of renewals Tiki carried out.

// authCode is an authorization code waiting to be exchanged.
type authCode struct {
	clientID    string
	redirectURI string
	scope       string
	seller      int64 // 0: the fake's own seller
	expires     time.Time
}

// grant is one seller's authorization of the app (or the app's own
// client credentials): the tokens issued under it, renewal after renewal.
type grant struct {
	clientID string
	seller   int64 // 0: the fake's own seller
	scope    string
	renewals int
	revoked  string   // why, once revoked
	access   []string // access tokens issued under the grant
	refresh  []string // refresh tokens issued under the grant
}

// refreshToken is a refresh token the fake issued.
type refreshToken struct {
	grant  *grant
	usedAt time.Time // zero while unused
}

// GrantInfo describes one grant of the fake, for assertions in tests.
type GrantInfo struct {
	// SellerID is the seller who authorized the app; 0 for the app's own
	// client credentials and the fake's own seller.
	SellerID int64
	// Renewals counts the refresh token grants answered with new tokens
	// (answers DropTokenAnswers lost included).
	Renewals int
	// Revoked is why the grant was revoked; empty while it is usable.
	Revoked string
}

// WithRefreshGracePeriod lets a used refresh token be used again for d
// after its first use, each use answering new tokens, as Ory Hydra's
// refresh token rotation grace period does. By default (0) a used refresh
// token sent again revokes its grant.
func WithRefreshGracePeriod(d time.Duration) Option {
	return func(c *config) { c.refreshGrace = d }
}

// Grants returns the fake's grants, in the order they were made.
func (s *Server) Grants() []GrantInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]GrantInfo, len(s.grants))
	for i, g := range s.grants {
		out[i] = GrantInfo{SellerID: g.seller, Renewals: g.renewals, Revoked: g.revoked}
	}
	return out
}

// TokenRequests returns how many requests the token endpoint received.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// DropTokenAnswers makes the next n refresh token grants lose their
// answer: each is carried out (the refresh token is used, new tokens are
// issued), then the connection is closed without an answer, as when a
// network fails after Tiki acted. n <= 0 cancels the drops still armed.
func (s *Server) DropTokenAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropTokens = max(n, 0)
}

// HoldTokenRequests makes every token request that arrives from now on
// wait, before the fake acts on it, until release is called; a request
// whose connection ends meanwhile (its process died) is not acted on.
// TokenRequests counts the requests as they arrive. Calling release more
// than once is harmless.
func (s *Server) HoldTokenRequests() (release func()) {
	hold := make(chan struct{})
	s.mu.Lock()
	s.tokenHold = hold
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.tokenHold == hold {
				s.tokenHold = nil
			}
			s.mu.Unlock()
			close(hold)
		})
	}
}

// HeldTokenRequests returns how many token requests HoldTokenRequests
// holds right now: a request leaves the count when it is released, or when
// its client hangs up (the fake then does not act on it).
func (s *Server) HeldTokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenHeld
}

// waitHold waits until hold is released (true) or r's client hangs up
// (false).
func (s *Server) waitHold(hold chan struct{}, r *http.Request) bool {
	s.mu.Lock()
	s.tokenHeld++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.tokenHeld--
		s.mu.Unlock()
	}()
	select {
	case <-hold:
		return r.Context().Err() == nil
	case <-r.Context().Done():
		return false
	}
}

// GrantToken makes seller sellerID authorize the fake's app with scopes,
// as the consent page and the exchange of its code do, and returns the
// token the app then holds: an access token (living WithTokenTTL), a
// refresh token and the scopes. sellerID 0 is the fake's own seller;
// another is made known to the fake. A negative sellerID is refused with a
// *tiki.ValidationError.
func (s *Server) GrantToken(sellerID int64, scopes ...string) (*tiki.Token, error) {
	var bad problems
	bad.check(sellerID >= 0, "sellerID", fmt.Sprintf("must not be negative, not %d", sellerID))
	if err := bad.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &grant{clientID: s.cfg.clientID, seller: s.sellerOrOwn(sellerID), scope: strings.Join(scopes, " ")}
	s.grants = append(s.grants, g)
	body := s.issue(g, true)
	return &tiki.Token{AccessToken: body["access_token"].(string), RefreshToken: body["refresh_token"].(string),
		Expiry: s.cfg.now().Add(s.cfg.tokenTTL), Scope: g.scope}, nil
}

// sellerOrOwn returns 0 for the fake's own seller. s.mu must be held.
func (s *Server) sellerOrOwn(sellerID int64) int64 {
	if sellerID == s.evs().defaultSID {
		return 0
	}
	return sellerID
}

// issue issues an access token under g, with a refresh token when
// withRefresh, and returns the token answer. s.mu must be held.
func (s *Server) issue(g *grant, withRefresh bool) map[string]any {
	tok := randomToken(len(s.tokens))
	s.tokens[tok] = s.cfg.now().Add(s.cfg.tokenTTL)
	s.tokenGrant[tok] = g
	g.access = append(g.access, tok)
	body := map[string]any{
		"access_token": tok,
		"expires_in":   int(s.cfg.tokenTTL / time.Second),
		"scope":        g.scope,
		"token_type":   "bearer",
	}
	if withRefresh {
		rt := "refresh-" + randomToken(len(s.refresh))
		s.refresh[rt] = &refreshToken{grant: g}
		g.refresh = append(g.refresh, rt)
		body["refresh_token"] = rt
	}
	return body
}

// revoke revokes g and every token issued under it. s.mu must be held.
func (s *Server) revoke(g *grant, why string) {
	g.revoked = why
	for _, tok := range g.access {
		delete(s.tokens, tok)
		delete(s.tokenGrant, tok)
	}
	g.access = nil
}

// sellerOfToken returns the seller an access token belongs to, 0 for the
// fake's own seller. s.mu must be held.
func (s *Server) sellerOfToken(tok string) int64 {
	if g := s.tokenGrant[tok]; g != nil {
		return g.seller
	}
	return 0
}

// ApproveConsent does what Tiki's consent page does when seller sellerID
// approves the app in their browser: it checks the consent URL (from
// tiki.OAuthApp.AuthCodeURL or package sellers' Onboarding) as
// GET /sc/oauth2/auth does and returns the URL the browser is sent back to:
// the app's redirect URI with a code and the state, or with Tiki's refusal
// of a bad request (an unknown client id, a state shorter than 8
// characters). sellerID 0 is the fake's own seller, as the consent page
// itself approves; another is made known to the fake. A URL that is not
// the fake's consent page, or a negative sellerID, is refused with a
// *tiki.ValidationError.
func (s *Server) ApproveConsent(consentURL string, sellerID int64) (*url.URL, error) {
	q, err := s.consentQuery(consentURL, sellerID)
	if err != nil {
		return nil, err
	}
	back, status, msg := s.consent(q, sellerID, true)
	if back == nil {
		return nil, fmt.Errorf("tikitest: the consent page answers %d: %s", status, msg)
	}
	return back, nil
}

// DenyConsent does what Tiki's consent page does when the seller refuses
// the app: it returns the URL the browser is sent back to, the app's
// redirect URI with error=access_denied, error_code=403 and an
// error_hint, and the state. A URL that is not the fake's consent page is
// refused with a *tiki.ValidationError.
func (s *Server) DenyConsent(consentURL string) (*url.URL, error) {
	q, err := s.consentQuery(consentURL, 0)
	if err != nil {
		return nil, err
	}
	back, status, msg := s.consent(q, 0, false)
	if back == nil {
		return nil, fmt.Errorf("tikitest: the consent page answers %d: %s", status, msg)
	}
	return back, nil
}

// consentQuery returns the query of a consent URL of this fake.
func (s *Server) consentQuery(consentURL string, sellerID int64) (url.Values, error) {
	var bad problems
	u, err := url.Parse(consentURL)
	bad.check(err == nil && s.Host != "" && u.Scheme+"://"+u.Host == s.Host && u.Path == "/sc/oauth2/auth", "consentURL",
		fmt.Sprintf("must be the fake's consent page %s/sc/oauth2/auth?..., not %q", s.Host, consentURL))
	bad.check(sellerID >= 0, "sellerID", fmt.Sprintf("must not be negative, not %d", sellerID))
	if err := bad.err(); err != nil {
		return nil, err
	}
	return u.Query(), nil
}

// authorize is Tiki's consent page for public apps
// (GET /sc/oauth2/auth). The fake approves at once, as its own seller: it
// redirects to the redirect_uri with a code and the state, or with
// error=access_denied when the client id is unknown or the state is
// shorter than 8 characters. ApproveConsent approves as another seller,
// DenyConsent refuses.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	back, status, msg := s.consent(r.URL.Query(), 0, true)
	if back == nil {
		writeOAuthError(w, status, "invalid_request", msg)
		return
	}
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// consent answers a consent request approved (as seller) or refused: the
// URL to send the browser back to, or the status and message of a request
// that cannot be sent back.
func (s *Server) consent(q url.Values, seller int64, approve bool) (*url.URL, int, string) {
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		return nil, http.StatusBadRequest, "redirect_uri must be an absolute URL"
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	switch {
	case q.Get("response_type") != "code":
		back.Set("error", "unsupported_response_type")
	case q.Get("client_id") != s.cfg.clientID:
		back.Set("error", "access_denied")
		back.Set("error_code", "403")
		back.Set("error_hint", "The client is not allowed to request authorization.")
	case len(q.Get("state")) < 8:
		back.Set("error", "invalid_state")
		back.Set("error_hint", "The state is missing or has less than 8 characters and is therefore considered too weak.")
	case !approve:
		back.Set("error", "access_denied")
		back.Set("error_code", "403")
		back.Set("error_hint", "The resource owner denied the request.")
	default:
		s.mu.Lock()
		code := "code-" + randomToken(len(s.codes))
		s.codes[code] = authCode{clientID: q.Get("client_id"), redirectURI: redirect.String(), scope: q.Get("scope"),
			seller: s.sellerOrOwn(seller), expires: s.cfg.now().Add(10 * time.Minute)}
		s.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	return redirect, 0, ""
}

// token is the OAuth2 token endpoint (POST /sc/oauth2/token) for the
// client_credentials, authorization_code and refresh_token grants. The
// client authenticates with the one method it is set up for (see
// WithClientAuthStyle): client_secret_basic or client_secret_post. Faults
// (Inject) on /sc/oauth2/token apply before it acts.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenRequests++
	fault := s.takeFault(r)
	hold := s.tokenHold
	s.mu.Unlock()
	// The form is read first: the server then notices a client that hangs
	// up while its request is held.
	formErr := r.ParseForm()
	if hold != nil && !s.waitHold(hold, r) {
		noteReason(r, "held, then abandoned by the client")
		return
	}
	if fault != nil && fault.apply(w, r) {
		noteReason(r, "injected fault")
		return
	}
	if formErr != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "The request body is not a form")
		return
	}
	id, secret, ok := s.clientAuth(w, r)
	if !ok {
		return
	}
	if id != s.cfg.clientID || secret != s.cfg.clientSecret {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client",
			"Client authentication failed: unknown client id or wrong client secret"+s.notEncoded(r))
		return
	}
	form := r.PostForm
	s.mu.Lock()
	var g *grant
	withRefresh, drop := false, false
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
		g = &grant{clientID: id, scope: form.Get("scope")}
	case "authorization_code":
		code, ok := s.codes[form.Get("code")]
		delete(s.codes, form.Get("code"))
		if !ok || code.clientID != id || s.cfg.now().After(code.expires) || code.redirectURI != form.Get("redirect_uri") {
			s.mu.Unlock()
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code is invalid, expired, used, or was issued to another client or redirect URI")
			return
		}
		g = &grant{clientID: id, seller: code.seller, scope: code.scope}
		s.grants = append(s.grants, g)
		withRefresh = strings.Contains(" "+code.scope+" ", " offline ")
	case "refresh_token":
		var refusal string
		if g, refusal = s.useRefreshToken(id, form.Get("refresh_token")); refusal != "" {
			s.mu.Unlock()
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", refusal)
			return
		}
		withRefresh = true
		if drop = s.dropTokens > 0; drop {
			s.dropTokens--
		}
	default:
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant "+gt+" is not supported by this server")
		return
	}
	body := s.issue(g, withRefresh)
	s.mu.Unlock()
	if drop {
		noteReason(r, "answer dropped")
		hangUp(w)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// useRefreshToken uses a refresh token of client id and returns its grant,
// or Hydra's refusal. s.mu must be held.
func (s *Server) useRefreshToken(id, token string) (*grant, string) {
	rt, ok := s.refresh[token]
	switch {
	case !ok || rt.grant.clientID != id:
		return nil, "The refresh token is malformed or not valid. The refresh token was not issued to this client."
	case rt.grant.revoked != "":
		return nil, "The refresh token is malformed or not valid. The grant was revoked: " + rt.grant.revoked
	case !rt.usedAt.IsZero() && (s.cfg.refreshGrace <= 0 || s.cfg.now().Sub(rt.usedAt) > s.cfg.refreshGrace):
		why := "a used refresh token was sent again"
		s.revoke(rt.grant, why)
		return nil, "The refresh token was already used. Its grant, and every token issued under it, was revoked (" + why + ")."
	}
	if rt.usedAt.IsZero() {
		rt.usedAt = s.cfg.now()
	}
	rt.grant.renewals++
	return rt.grant, ""
}

// Names of the OAuth2 client authentication methods.
const (
	methodBasic = "client_secret_basic (client id and secret in an Authorization: Basic header)"
	methodPost  = "client_secret_post (client_id and client_secret in the form body)"
)

// clientAuth returns the client id and secret of a token request sent with
// the method the app is set up for, or answers 401 invalid_client, as an
// OAuth2 server does, when the request uses the other method or none.
//
// Under client_secret_basic the id and secret in the header are
// form-URL-encoded (RFC 6749 section 2.3.1: "The client identifier is
// encoded using the application/x-www-form-urlencoded encoding algorithm
// ..., and the encoded value is used as the username; the client password
// is encoded using the same algorithm and used as the password"), so they
// are decoded before they are compared. The RFC offers no fallback to the
// undecoded form, and Ory Hydra, which Tiki's authorization server appears
// to be (its refusals carry Hydra's error_hint), has none: it decodes,
// refuses a value that is not valid form-URL-encoding with 400
// invalid_request, and compares the decoded values. The fake does the
// same, so that a client which skips the encoding fails in its tests as it
// would on Tiki: it still matches while its id and secret hold neither "+"
// (which decodes to a space) nor "%" (which starts an escape); otherwise
// it gets 401 invalid_client, with a description naming the missing
// encoding. Under client_secret_post the id and secret are form fields,
// decoded with the rest of the form.
func (s *Server) clientAuth(w http.ResponseWriter, r *http.Request) (id, secret string, ok bool) {
	basicID, basicSecret, basic := r.BasicAuth()
	_, inForm := r.PostForm["client_secret"]
	want, used := methodBasic, ""
	if s.cfg.authStyle == tiki.AuthStylePost {
		want = methodPost
	}
	switch {
	case basic && inForm:
		used = "both client_secret_basic and client_secret_post"
	case basic:
		used = methodBasic
	case inForm:
		used = methodPost
	}
	if used != want {
		if used == "" {
			used = "no client authentication"
		}
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client",
			"Client authentication failed: the client is set up for "+want+", but the request used "+used)
		return "", "", false
	}
	if !basic {
		return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), true
	}
	id, errID := url.QueryUnescape(basicID)
	secret, errSecret := url.QueryUnescape(basicSecret)
	if errID != nil || errSecret != nil {
		what := "id"
		if errID == nil {
			what = "secret"
		}
		writeOAuthError(w, http.StatusBadRequest, "invalid_request",
			"The client "+what+" in the HTTP authorization header could not be decoded from 'application/x-www-form-urlencoded'"+s.notEncoded(r))
		return "", "", false
	}
	return id, secret, true
}

// notEncoded explains a refused client_secret_basic request whose header
// holds the app's client id and secret as they are, without the
// form-URL-encoding: the cause of the refusal, not a wrong secret. It
// returns "" for any other request.
func (s *Server) notEncoded(r *http.Request) string {
	if id, secret, ok := r.BasicAuth(); !ok || id != s.cfg.clientID || secret != s.cfg.clientSecret {
		return ""
	}
	return "; with client_secret_basic the client id and secret are form-URL-encoded before the Basic encoding " +
		"(RFC 6749 section 2.3.1), and these were not"
}
