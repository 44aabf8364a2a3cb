package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
)

// Defaults of a [TokenStore].
const (
	// DefaultTokenPrefix is the namespace of a TokenStore's Redis keys
	// unless [WithTokenPrefix] is given.
	DefaultTokenPrefix = "tiki:tokens:"
	// DefaultTokenLockTTL is how long a seller's renewal lock lasts
	// without renewal: a replica that dies renewing a token holds up the
	// seller's other replicas for at most about this long.
	DefaultTokenLockTTL = 10 * time.Second
	// DefaultTokenPollInterval is how often a replica waiting for a seller's
	// renewal lock asks again.
	DefaultTokenPollInterval = 50 * time.Millisecond
	// tokenRecordTTL is how long a seller's lock record outlives its last
	// renewal.
	tokenRecordTTL = 24 * time.Hour
)

// TokenStoreOption configures a [TokenStore].
type TokenStoreOption func(*tokenStoreConfig)

type tokenStoreConfig struct {
	prefix   string
	ttl      time.Duration
	interval time.Duration
	problems problems
}

// WithTokenPrefix sets the namespace put before every key in Redis
// (DefaultTokenPrefix unless set).
func WithTokenPrefix(prefix string) TokenStoreOption {
	return func(c *tokenStoreConfig) { c.prefix = prefix }
}

// WithTokenLockTTL sets how long a seller's renewal lock lasts without
// renewal (DefaultTokenLockTTL unless set; at least 30 ms). The holder
// renews it every third of the TTL while its renewal goes on. Every
// replica must use the same TTL.
func WithTokenLockTTL(ttl time.Duration) TokenStoreOption {
	return func(c *tokenStoreConfig) {
		if ttl < 30*time.Millisecond {
			c.problems.add("WithTokenLockTTL", "must be at least 30ms, not %v", ttl)
			return
		}
		c.ttl = ttl
	}
}

// WithTokenPollInterval sets how often a replica waiting for a seller's
// renewal lock asks again (DefaultTokenPollInterval unless set; positive),
// jittered by up to a fifth.
func WithTokenPollInterval(d time.Duration) TokenStoreOption {
	return func(c *tokenStoreConfig) {
		if d <= 0 {
			c.problems.add("WithTokenPollInterval", "must be positive, not %v", d)
			return
		}
		c.interval = d
	}
}

// TokenStore is a [tiki.TokenStore] in Redis: every replica of a public
// app reads each seller's token from it and renews it once between them
// (see [tiki.WithOAuthApp]). Give it to [tiki.WithOAuthApp], or to
// github.com/tikisdk/tiki/sellers' Pool and Onboarding.
//
// A seller's token is the key prefix+"{"+sellerID+"}:token", holding the
// token as JSON, without expiry. Its renewal lock is taken like a [Lease]:
// prefix+"{"+sellerID+"}:lock" holds the holder's fence token and random
// id and expires after the TTL, renewed every third of it while the
// renewal goes on; prefix+"{"+sellerID+"}:holder" records the last holder
// (kept for a day after the seller's last renewal). The lock is exclusive
// across Redis restarts and failovers as a Lease is: after Redis may have
// forgotten a holder, the next one waits out a TTL. A save is a script
// that writes the token only while the key still holds the saver's lock,
// so a replica that lost its lock (a pause, a partition) cannot overwrite
// a newer token. A replica that dies holding the lock holds up the
// seller's renewals for at most the TTL; the token it was renewing is left
// marked as a renewal in doubt, which the next renewal resolves.
//
// Tokens are the app's grants: a Redis that loses its data loses them, and
// every seller must then authorize the app again. Run the Redis of a token
// store with persistence, appendonly yes and appendfsync always (everysec
// may lose the last second's renewals: a renewed refresh token lost that
// way is a spent one, and the seller must reconnect), and
// maxmemory-policy noeviction. When Redis cannot answer, renewals wait for
// it: a replica that renewed a token keeps trying to save it while its
// lock holds, so a Redis that restarts within the TTL loses nothing.
//
// Create it with [NewTokenStore]; it is safe for concurrent use. Share one
// per process.
type TokenStore struct {
	rdb    redis.UniversalClient
	fencer fencer
	prefix string
}

var _ tiki.TokenStore = (*TokenStore)(nil)

// NewTokenStore returns a token store over rdb. It does not contact Redis.
// Every problem with rdb and opts is reported in one *tiki.ValidationError.
func NewTokenStore(rdb redis.UniversalClient, opts ...TokenStoreOption) (*TokenStore, error) {
	cfg := tokenStoreConfig{prefix: DefaultTokenPrefix, ttl: DefaultTokenLockTTL, interval: DefaultTokenPollInterval}
	cfg.problems.checkClient(isNilClient(rdb))
	applyOptions(&cfg.problems, "TokenStoreOption", &cfg, opts)
	if err := cfg.problems.err(); err != nil {
		return nil, err
	}
	return &TokenStore{rdb: rdb, fencer: fencer{rdb: rdb, ttl: cfg.ttl, interval: cfg.interval, recordTTL: tokenRecordTTL},
		prefix: cfg.prefix}, nil
}

// tokenKeys are the Redis keys of one seller.
type tokenKeys struct {
	token string
	lock  fenceKeys
}

func (s *TokenStore) keys(sellerID string) tokenKeys {
	base := s.prefix + "{" + sellerID + "}:"
	return tokenKeys{token: base + "token", lock: fenceKeys{lock: base + "lock", record: base + "holder", floor: base + "holder"}}
}

// checkSeller refuses a nil ctx and an id that cannot name a seller.
func checkSeller(ctx context.Context, sellerID string) error {
	var problems []tiki.FieldProblem
	if ctx == nil {
		problems = append(problems, tiki.FieldProblem{Field: "ctx", Problem: "must not be nil"})
	}
	if sellerID == "" {
		problems = append(problems, tiki.FieldProblem{Field: "sellerID", Problem: "must not be empty"})
	}
	if problems != nil {
		return &tiki.ValidationError{Problems: problems}
	}
	return nil
}

// Load implements [tiki.TokenStore].
func (s *TokenStore) Load(ctx context.Context, sellerID string) (*tiki.Token, error) {
	if err := checkSeller(ctx, sellerID); err != nil {
		return nil, err
	}
	b, err := s.rdb.Get(ctx, s.keys(sellerID).token).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("seller %q: %w", sellerID, tiki.ErrNoToken)
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: loading seller %q's token: %w", sellerID, err)
	}
	var tok tiki.Token
	if err := json.Unmarshal(b, &tok); err != nil {
		return nil, fmt.Errorf("redisstore: seller %q's token is not a token: %w", sellerID, err)
	}
	return &tok, nil
}

// Lock implements [tiki.TokenStore]: it tries to take the seller's lock
// every poll interval until it holds it and every earlier holder has given
// up, ctx ends (ctx's error), or Redis fails (the error).
func (s *TokenStore) Lock(ctx context.Context, sellerID string) (tiki.TokenLock, error) {
	if err := checkSeller(ctx, sellerID); err != nil {
		return nil, err
	}
	k := s.keys(sellerID)
	for {
		h, err := s.fencer.acquire(ctx, []fenceKeys{k.lock})
		switch {
		case errors.Is(err, errHoldLost):
			continue
		case err != nil && ctx.Err() != nil:
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("redisstore: locking seller %q's token: %w", sellerID, err)
		}
		switch err := h.settle(ctx); {
		case err == nil:
			return &tokenLock{store: s, key: k.token, h: h}, nil
		case errors.Is(err, errHoldLost):
			continue
		default:
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.fencer.ttl)
			_ = h.release(rctx)
			cancel()
			return nil, err
		}
	}
}

// tokenSaveScript writes a token while the saver is the lock's last
// holder: the lock holds the saver's value, or it expired, unreleased, and
// nobody took it since (the record still names the saver's token), so that no other
// replica can have read the token being replaced to renew it.
// KEYS: lock, token, record. ARGV: value, token JSON.
var tokenSaveScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v ~= ARGV[1] then
  if v then return 0 end
  local rec = redis.call('HMGET', KEYS[3], 'token', 'released')
  if rec[1] ~= string.match(ARGV[1], '^(%d+):') or rec[2] == '1' then return 0 end
end
redis.call('SET', KEYS[2], ARGV[2])
return 1
`)

// tokenLock is a held renewal lock of one seller.
type tokenLock struct {
	store *TokenStore
	key   string
	h     *fenceHold
}

// Save implements [tiki.TokenLock]: it writes tok only while this hold is
// the lock's last holder in Redis: its key holds this hold's value, or
// expired without another replica taking it since (a renewal slower than
// the lock's TTL still saves the token Tiki issued, which nobody else can
// have renewed meanwhile). Whatever the hold's renewals meanwhile, Redis
// fences the save; it fails with an error matching [tiki.ErrTokenLockLost]
// once another replica took the lock, or Redis lost its record.
func (l *tokenLock) Save(ctx context.Context, tok *tiki.Token) error {
	if ctx == nil || tok == nil {
		return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "Save", Problem: "needs a context and a token"}}}
	}
	b, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	held := l.h.held()[0]
	n, err := tokenSaveScript.Run(ctx, l.store.rdb, []string{held.keys.lock, l.key, held.keys.record}, held.value, b).Int()
	if err != nil {
		return fmt.Errorf("redisstore: saving token: %w", err)
	}
	if n != 1 {
		return tiki.ErrTokenLockLost
	}
	return nil
}

// Unlock implements [tiki.TokenLock]: it frees the lock if this hold still
// has it, so that the next replica takes it at once.
func (l *tokenLock) Unlock(ctx context.Context) error {
	if ctx == nil {
		return errors.New("redisstore: nil context")
	}
	if err := l.h.release(ctx); err != nil {
		return fmt.Errorf("redisstore: unlocking token: %w", err)
	}
	return nil
}
