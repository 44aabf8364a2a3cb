package sellers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
)

// DefaultStateTTL is how long a consent URL's state is accepted back,
// unless WithStateTTL says otherwise.
const DefaultStateTTL = 10 * time.Minute

// Refusals of Onboarding.Complete, besides Tiki's own
// (*tiki.AuthorizationError). Compare with errors.Is.
var (
	// ErrStateMismatch reports a callback whose state this app did not
	// issue for this browser session: forged, altered, or started in
	// another session. Ignore the request; nothing was sent to Tiki.
	ErrStateMismatch = errors.New("sellers: the OAuth2 state was not issued for this session")
	// ErrStateReplayed reports a callback whose state was already used:
	// a replay, or the seller reloading the callback page. Nothing was
	// sent to Tiki.
	ErrStateReplayed = errors.New("sellers: the OAuth2 state was already used")
)

// Onboarding connects sellers to a public app through Tiki's
// authorization code flow: ConsentURL sends the seller to Tiki's consent
// page with a state bound to the browser session the app names, and
// Complete, on the way back, checks the state, exchanges the code for the
// seller's token, reads the seller's id (GET /v2/sellers/me) and stores
// the token under it in the pool's token store.
//
// The state is 54 characters (Tiki requires at least 8): 16 random bytes,
// its expiry, and an HMAC-SHA256 over them and the session, keyed by a key
// derived from the app's client secret, so that every replica checks it
// without storing it. It is accepted once (its random part is claimed in
// the state store, WithStateStore: give every replica the same one, such
// as redisstore's DedupeStore), within the state TTL, and only with the
// session it was made for. Rotating the client secret invalidates the
// states of consents under way.
//
// Create it with NewOnboarding; it is safe for concurrent use.
type Onboarding struct {
	pool   *Pool
	states dedupe.Store
	ttl    time.Duration
	key    []byte
	now    func() time.Time
}

// OnboardingOption configures an Onboarding.
type OnboardingOption func(*onboardingConfig)

type onboardingConfig struct {
	states   dedupe.Store
	ttl      time.Duration
	problems []tiki.FieldProblem
}

// WithStateStore sets where the states already used are remembered
// (default: a dedupe.MemoryStore of the process). With several replicas,
// give each the same shared store (redisstore's DedupeStore), so that a
// state is accepted once across them.
func WithStateStore(s dedupe.Store) OnboardingOption {
	return func(c *onboardingConfig) {
		if s == nil {
			c.problems = append(c.problems, tiki.FieldProblem{Field: "WithStateStore", Problem: "must not be nil"})
			return
		}
		c.states = s
	}
}

// WithStateTTL sets how long after ConsentURL the seller may come back
// (DefaultStateTTL unless set; from a minute to a day).
func WithStateTTL(d time.Duration) OnboardingOption {
	return func(c *onboardingConfig) {
		if d < time.Minute || d > 24*time.Hour {
			c.problems = append(c.problems, tiki.FieldProblem{Field: "WithStateTTL", Problem: "must be from 1m0s to 24h0m0s, not " + d.String()})
			return
		}
		c.ttl = d
	}
}

// NewOnboarding returns the onboarding of pool's app, storing tokens in
// pool's token store. The app must have a redirect URL and ask for the
// offline scope (without it Tiki gives no refresh token, and the seller is
// disconnected when the access token expires). A nil pool, such an app and
// a wrong option are refused with one *tiki.ValidationError listing every
// problem.
func NewOnboarding(pool *Pool, opts ...OnboardingOption) (*Onboarding, error) {
	cfg := onboardingConfig{ttl: DefaultStateTTL}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	add := func(field, problem string) {
		cfg.problems = append(cfg.problems, tiki.FieldProblem{Field: field, Problem: problem})
	}
	if pool == nil {
		add("pool", "must not be nil")
	} else {
		if pool.app.RedirectURL == "" {
			add("app.RedirectURL", "is required: Tiki sends the seller back there")
		}
		if !slices.Contains(pool.app.Scopes, tiki.ScopeOffline) {
			add("app.Scopes", "must include "+tiki.ScopeOffline+": without it Tiki gives no refresh token")
		}
	}
	if len(cfg.problems) > 0 {
		return nil, &tiki.ValidationError{Problems: cfg.problems}
	}
	if cfg.states == nil {
		cfg.states = &dedupe.MemoryStore{}
	}
	mac := hmac.New(sha256.New, []byte(pool.app.ClientSecret))
	mac.Write([]byte("tiki-go sellers onboarding state key"))
	return &Onboarding{pool: pool, states: cfg.states, ttl: cfg.ttl, key: mac.Sum(nil), now: time.Now}, nil
}

// Lengths of a state's parts, in bytes.
const (
	nonceLen = 16
	expLen   = 8
	macLen   = 16
	stateLen = nonceLen + expLen + macLen
)

// ConsentURL returns the URL of Tiki's consent page to send the seller's
// browser to, with a new state bound to session: the app's own id of the
// browser session (its session cookie's id, say), the same one it gives
// Complete. An empty session is refused with a *tiki.ValidationError.
func (o *Onboarding) ConsentURL(session string) (string, error) {
	if session == "" {
		return "", &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "session", Problem: "must not be empty"}}}
	}
	raw := make([]byte, nonceLen+expLen, stateLen)
	if _, err := rand.Read(raw[:nonceLen]); err != nil {
		return "", fmt.Errorf("sellers: making a state: %w", err)
	}
	binary.BigEndian.PutUint64(raw[nonceLen:], uint64(o.now().Add(o.ttl).Unix()))
	state := base64.RawURLEncoding.EncodeToString(append(raw, o.sign(raw, session)...))
	return o.pool.app.AuthCodeURL(state)
}

// sign returns the MAC of a state's nonce and expiry for session.
func (o *Onboarding) sign(raw []byte, session string) []byte {
	mac := hmac.New(sha256.New, o.key)
	mac.Write(raw)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(session)))
	mac.Write(n[:])
	mac.Write([]byte(session))
	return mac.Sum(nil)[:macLen]
}

// Connected is a seller Onboarding connected.
type Connected struct {
	// SellerID is the seller's id, under which the token is stored and
	// Pool.Client finds the seller's client.
	SellerID string
	// Seller is the seller's account, as GET /v2/sellers/me answered.
	Seller *tiki.SellerInfo
	// Scope is the space-separated scopes the seller granted.
	Scope string
	// Client is the pool's client of the seller.
	Client *tiki.Client
}

// Complete handles the request Tiki sends the seller's browser back with
// (pass its URL query): it checks the state against session, exchanges the
// code for the seller's token, reads the seller's id and stores the token
// under it, replacing a token the seller had (a reconnection after a
// revoked grant). It fails, having stored nothing:
//
//   - with a *tiki.ValidationError, before anything is sent, for a nil ctx,
//     an empty session, or a state that has expired (the seller took longer
//     than the state TTL: send them to the consent page again);
//   - with ErrStateMismatch or ErrStateReplayed for a state that is not
//     this session's or was used, before anything is sent;
//   - with *tiki.AuthorizationError when the seller or Tiki refused
//     (access_denied); a refusal without a state is reported too, as it
//     grants nothing;
//   - with *tiki.TokenError when Tiki refuses the code, and the errors of
//     the call reading the seller's id and of the token store.
func (o *Onboarding) Complete(ctx context.Context, session string, callback url.Values) (*Connected, error) {
	var problems []tiki.FieldProblem
	if ctx == nil {
		problems = append(problems, tiki.FieldProblem{Field: "ctx", Problem: "must not be nil"})
	}
	if session == "" {
		problems = append(problems, tiki.FieldProblem{Field: "session", Problem: "must not be empty"})
	}
	if problems != nil {
		return nil, &tiki.ValidationError{Problems: problems}
	}
	refusal := refusalOf(callback)
	if refusal != nil && callback.Get("state") == "" {
		return nil, refusal
	}
	if err := o.useState(ctx, callback.Get("state"), session); err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	code := callback.Get("code")
	if code == "" {
		return nil, &tiki.AuthorizationError{Code: "missing_code", Description: "the redirect carries no code"}
	}
	tok, err := o.pool.app.Exchange(ctx, o.pool.http, code)
	if err != nil {
		return nil, err
	}
	c, err := tiki.NewClient(append(append([]tiki.Option(nil), o.pool.opts...),
		tiki.WithHTTPClient(o.pool.http), tiki.WithAccessToken(tok.AccessToken))...)
	if err != nil {
		return nil, err
	}
	me, _, err := c.Sellers.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("sellers: reading the new seller's id: %w", err)
	}
	id := strconv.FormatInt(me.ID, 10)
	if err := tiki.SaveToken(ctx, o.pool.store, id, tok); err != nil {
		return nil, err
	}
	client, err := o.pool.Client(id)
	if err != nil {
		return nil, err
	}
	return &Connected{SellerID: id, Seller: me, Scope: tok.Scope, Client: client}, nil
}

// refusalOf returns Tiki's refusal in a callback, or nil.
func refusalOf(q url.Values) error {
	if q.Get("error") == "" {
		return nil
	}
	return &tiki.AuthorizationError{Code: q.Get("error"), StatusCode: q.Get("error_code"),
		Description: q.Get("error_description"), Hint: q.Get("error_hint")}
}

// useState checks state against session and claims it, so that it is
// used once.
func (o *Onboarding) useState(ctx context.Context, state, session string) error {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(state)
	if err != nil || len(raw) != stateLen {
		return ErrStateMismatch
	}
	if !hmac.Equal(raw[nonceLen+expLen:], o.sign(raw[:nonceLen+expLen], session)) {
		return ErrStateMismatch
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(raw[nonceLen:nonceLen+expLen])), 0)
	now := o.now()
	if !now.Before(expires) {
		return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "state",
			Problem: fmt.Sprintf("has expired (a consent lasts %s): send the seller to the consent page again", o.ttl)}}}
	}
	var token [16]byte
	_, _ = rand.Read(token[:])
	key := "sellers-onboarding-state:" + hex.EncodeToString(raw[:nonceLen])
	// The claim outlives the state: once it lapses the state has expired.
	st, err := o.states.Claim(ctx, key, hex.EncodeToString(token[:]), expires.Sub(now)+time.Minute)
	if err != nil {
		return fmt.Errorf("sellers: checking the state: %w", err)
	}
	if st != dedupe.Claimed {
		return ErrStateReplayed
	}
	return nil
}
