package tiki

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tikisdk/tiki/internal/safe"
)

// Token is a seller's OAuth2 grant as a TokenStore keeps it: what Tiki's
// token endpoint answered (access token, refresh token, expiry, scope) and
// the client's bookkeeping of its renewal. A public app gets it from the
// authorization code flow (package sellers' Onboarding stores it); the
// client renews it through the store (see WithOAuthApp).
//
// A store keeps every field as it was saved; the JSON encoding (the tags
// below) is what the SDK's file and Redis stores write.
type Token struct {
	// AccessToken is sent as "Authorization: Bearer <AccessToken>".
	AccessToken string `json:"access_token"`
	// RefreshToken renews the grant (it is given with the offline scope).
	// Tiki's refresh tokens are single use: each renewal answers a new one,
	// which replaces this one.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is when AccessToken expires; zero when Tiki gave no lifetime.
	Expiry time.Time `json:"expiry"`
	// Scope is the space-separated scopes Tiki granted.
	Scope string `json:"scope,omitempty"`

	// RenewalsInDoubt counts the renewals sent with RefreshToken whose
	// answer never reached the store: the request may have reached Tiki,
	// which then spent RefreshToken. Zero for a token as Tiki issued it.
	// See WithOAuthApp for what the client does with such a token.
	RenewalsInDoubt int `json:"renewals_in_doubt,omitempty"`
	// RenewalSent is when the last renewal in doubt was sent.
	RenewalSent time.Time `json:"renewal_sent"`
	// Revoked is Tiki's reason for refusing RefreshToken (the grant was
	// revoked, or the refresh token spent): the seller must authorize the
	// app again. Empty while the grant is usable. A client reading a revoked
	// token fails with *GrantRevokedError without contacting Tiki.
	Revoked string `json:"revoked,omitempty"`
}

// clone returns a copy of t.
func (t *Token) clone() *Token {
	c := *t
	return &c
}

// TokenStore keeps every seller's token, so that the clients of a seller,
// in one process or in every replica of a service, use one token and renew
// it once. The SDK ships three: MemoryTokenStore (one process),
// FileTokenStore (the processes of one machine) and the redisstore
// module's TokenStore (every replica). Implement it to keep tokens
// elsewhere.
//
// # Contract
//
// Load returns a copy of the seller's token as last saved, or an error
// matching ErrNoToken when none was ever saved. Writes happen only under
// the seller's renewal lock: Lock returns once the caller holds it (waiting
// while another caller, in this process or another, holds it) and the
// TokenLock it returns saves. Of any number of concurrent Lock calls for
// one seller, one at a time holds the lock. A lock whose holder dies (its
// process crashes) must be freed within a short time, and a holder that
// lost its lock (it expired, another holder took it) must not be able to
// save: TokenLock.Save fails then. Seller ids are non-empty
// strings without control characters; hash them if the backend needs
// short keys. Implementations must be safe for concurrent use.
type TokenStore interface {
	// Load returns the seller's token, or an error matching ErrNoToken.
	Load(ctx context.Context, sellerID string) (*Token, error)
	// Lock takes the seller's renewal lock, waiting while another holder
	// has it, until ctx ends (ctx's error).
	Lock(ctx context.Context, sellerID string) (TokenLock, error)
}

// TokenLock is a held renewal lock of one seller's token.
type TokenLock interface {
	// Save stores tok as the seller's token. It fails, storing nothing,
	// with an error matching ErrTokenLockLost once the lock is lost (it
	// expired, another holder took it) or unlocked, and with the store's
	// error when the store cannot answer (the client then tries again
	// while the lock holds).
	Save(ctx context.Context, tok *Token) error
	// Unlock releases the lock. The client calls it once, with a context
	// of its own bounded to a few seconds.
	Unlock(ctx context.Context) error
}

// ErrNoToken is matched by the error of TokenStore.Load when the store holds
// no token for the seller, and by the error of a call of a client whose
// seller has none: the seller has not authorized the app (package sellers'
// Onboarding stores the token when they do).
var ErrNoToken = errors.New("tiki: no token stored for the seller")

// ErrTokenLockLost is matched by the error of TokenLock.Save once the lock
// was lost or released.
var ErrTokenLockLost = errors.New("tiki: the seller's token lock was lost")

// GrantRevokedError is the error of every call of a seller whose grant Tiki
// revoked: Tiki refused the seller's refresh token (invalid_grant), for
// example because the seller withdrew the app, or because the refresh token
// was spent by a renewal whose answer was lost. The seller must authorize
// the app again (package sellers' Onboarding); until then every client of
// the seller fails at once with this error, without contacting Tiki. It
// matches ErrUnauthorized with errors.Is.
type GrantRevokedError struct {
	// SellerID is the seller whose grant was revoked.
	SellerID string
	// Reason is Tiki's refusal, for example "invalid_grant: The refresh
	// token was already used", as the token store recorded it.
	Reason string
}

// Error names the seller and says what to do.
func (e *GrantRevokedError) Error() string {
	return fmt.Sprintf("tiki: seller %q must authorize the app again: Tiki revoked its grant (%s)", e.SellerID, e.Reason)
}

// Is reports true for ErrUnauthorized.
func (e *GrantRevokedError) Is(target error) bool { return target == ErrUnauthorized }

// checkSellerID adds a problem to v when id cannot name a seller in a
// TokenStore.
func checkSellerID(v *validator, field, id string) {
	switch {
	case strings.TrimSpace(id) == "":
		v.add(field, "must not be empty")
	case strings.ContainsFunc(id, unicode.IsControl):
		v.add(field, "must not contain control characters")
	}
}

// checkToken adds the problems of a token about to be saved to v.
func checkToken(v *validator, field string, tok *Token) {
	if tok == nil {
		v.add(field, "must not be nil")
		return
	}
	v.check(tok.AccessToken != "" || tok.RefreshToken != "" || tok.Revoked != "", field,
		"must hold an access or refresh token")
}

// SaveToken stores tok as the seller's token in store, under the seller's
// renewal lock: for a token the app obtained itself (the authorization code
// flow of package sellers does it for the app). A nil ctx or store, an
// empty seller id and a token without an access or refresh token are
// refused with a *ValidationError.
func SaveToken(ctx context.Context, store TokenStore, sellerID string, tok *Token) error {
	var v validator
	v.check(ctx != nil, "ctx", "must not be nil")
	v.check(store != nil, "store", "must not be nil")
	checkSellerID(&v, "sellerID", sellerID)
	checkToken(&v, "token", tok)
	if err := v.err(); err != nil {
		return err
	}
	lock, err := lockStore(ctx, store, sellerID)
	if err != nil {
		return err
	}
	defer unlockStore(ctx, lock)
	return safe.Do(func() error { return lock.Save(ctx, tok.clone()) })
}

// lockStore takes the seller's lock in store, a panic in the store turned
// into a *PanicError.
func lockStore(ctx context.Context, store TokenStore, sellerID string) (TokenLock, error) {
	lock, err := safe.Get(func() (TokenLock, error) { return store.Lock(ctx, sellerID) })
	if err == nil && lock == nil {
		err = errors.New("the TokenStore returned no lock")
	}
	if err != nil {
		return nil, fmt.Errorf("tiki: locking seller %q's token: %w", sellerID, err)
	}
	return lock, nil
}

// unlockStore releases lock with a context of its own, so that a caller
// whose ctx ended still frees it.
func unlockStore(ctx context.Context, lock TokenLock) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = safe.Do(func() error { return lock.Unlock(uctx) })
}

// MemoryTokenStore is a TokenStore in the process's memory: the clients of
// one process share each seller's token and renew it once. Its tokens are
// gone when the process ends; use FileTokenStore or the redisstore module's
// TokenStore to keep them. Create it with NewMemoryTokenStore.
type MemoryTokenStore struct {
	mu      sync.Mutex
	sellers map[string]*memorySeller
}

// memorySeller is one seller's entry; lock holds a value while locked.
type memorySeller struct {
	tok  *Token
	lock chan struct{}
}

var _ TokenStore = (*MemoryTokenStore)(nil)

// NewMemoryTokenStore returns an empty store.
func NewMemoryTokenStore() *MemoryTokenStore {
	return &MemoryTokenStore{sellers: map[string]*memorySeller{}}
}

func (s *MemoryTokenStore) seller(id string) *memorySeller {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.sellers[id]
	if e == nil {
		e = &memorySeller{lock: make(chan struct{}, 1)}
		s.sellers[id] = e
	}
	return e
}

// Load implements TokenStore.
func (s *MemoryTokenStore) Load(ctx context.Context, sellerID string) (*Token, error) {
	if err := checkStoreArgs(ctx, sellerID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.sellers[sellerID]
	if e == nil || e.tok == nil {
		return nil, fmt.Errorf("seller %q: %w", sellerID, ErrNoToken)
	}
	return e.tok.clone(), nil
}

// Lock implements TokenStore.
func (s *MemoryTokenStore) Lock(ctx context.Context, sellerID string) (TokenLock, error) {
	if err := checkStoreArgs(ctx, sellerID); err != nil {
		return nil, err
	}
	e := s.seller(sellerID)
	select {
	case e.lock <- struct{}{}:
		return &memoryLock{store: s, seller: e}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// memoryLock is a held lock of a MemoryTokenStore.
type memoryLock struct {
	store    *MemoryTokenStore
	seller   *memorySeller
	mu       sync.Mutex
	released bool
}

func (l *memoryLock) Save(ctx context.Context, tok *Token) error {
	var v validator
	v.check(ctx != nil, "ctx", "must not be nil")
	checkToken(&v, "token", tok)
	if err := v.err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return ErrTokenLockLost
	}
	l.store.mu.Lock()
	l.seller.tok = tok.clone()
	l.store.mu.Unlock()
	return nil
}

func (l *memoryLock) Unlock(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.released {
		l.released = true
		<-l.seller.lock
	}
	return nil
}

// checkStoreArgs refuses a nil ctx and a seller id that cannot be one.
func checkStoreArgs(ctx context.Context, sellerID string) error {
	var v validator
	v.check(ctx != nil, "ctx", "must not be nil")
	checkSellerID(&v, "sellerID", sellerID)
	return v.err()
}
