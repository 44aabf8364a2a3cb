package tikitest

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
)

// authCode is an authorization code waiting to be exchanged.
type authCode struct {
	clientID    string
	redirectURI string
	scope       string
	expires     time.Time
}

// authorize is Tiki's consent page for public apps
// (GET /sc/oauth2/auth). The fake approves at once: it redirects to the
// redirect_uri with a code and the state, or with error=access_denied when
// the client id is unknown or the state is shorter than 8 characters.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "redirect_uri must be an absolute URL")
		return
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
	default:
		s.mu.Lock()
		code := "code-" + randomToken(len(s.codes))
		s.codes[code] = authCode{clientID: q.Get("client_id"), redirectURI: redirect.String(), scope: q.Get("scope"), expires: s.cfg.now().Add(10 * time.Minute)}
		s.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token is the OAuth2 token endpoint (POST /sc/oauth2/token) for the
// client_credentials, authorization_code and refresh_token grants. The
// client authenticates with the one method it is set up for (see
// WithClientAuthStyle): client_secret_basic or client_secret_post.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
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
	scope := form.Get("scope")
	withRefresh := false
	s.mu.Lock()
	defer s.mu.Unlock()
	switch g := form.Get("grant_type"); g {
	case "client_credentials":
	case "authorization_code":
		code, ok := s.codes[form.Get("code")]
		delete(s.codes, form.Get("code"))
		if !ok || code.clientID != id || s.cfg.now().After(code.expires) || code.redirectURI != form.Get("redirect_uri") {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code is invalid, expired, used, or was issued to another client or redirect URI")
			return
		}
		scope = code.scope
		withRefresh = strings.Contains(" "+scope+" ", " offline ")
	case "refresh_token":
		owner, ok := s.refresh[form.Get("refresh_token")]
		delete(s.refresh, form.Get("refresh_token"))
		if !ok || owner != id {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is invalid, expired or revoked")
			return
		}
		withRefresh = true
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant "+g+" is not supported by this server")
		return
	}
	tok := randomToken(len(s.tokens))
	s.tokens[tok] = s.cfg.now().Add(s.cfg.tokenTTL)
	body := map[string]any{
		"access_token": tok,
		"expires_in":   int(s.cfg.tokenTTL / time.Second),
		"scope":        scope,
		"token_type":   "bearer",
	}
	if withRefresh {
		rt := "refresh-" + randomToken(len(s.refresh))
		s.refresh[rt] = id
		body["refresh_token"] = rt
	}
	writeJSON(w, http.StatusOK, body)
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
