package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/sellers"
	"github.com/tikisdk/tiki/tikitest"
)

// The tests of TokenStore against real redis-server processes: the store's
// contract, and the renewal of every seller's token once across replicas
// of a public app, through sellers.Pool, against the fake's Hydra-like
// token endpoint (single-use refresh tokens; a used one sent again revokes
// the grant), with lost answers, a replica killed holding a renewal lock,
// and Redis restarting mid-renewal.

// tokenApp is the fake's public app.
func tokenApp(srv *tikitest.Server) tiki.OAuthApp {
	cc := srv.ClientCredentials()
	return tiki.OAuthApp{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, Host: srv.Host,
		RedirectURL: "https://app.example/cb", Scopes: []string{tiki.ScopeOrder, tiki.ScopeOffline}}
}

// newTokenStore returns a TokenStore over a Redis client of its own (as
// each replica has one), under prefix, with the lock TTL given. The client
// waits for a loaded machine and tries a command again on a new connection
// (after Redis restarted), as steadyClient's.
func newTokenStore(t testing.TB, addr, prefix string, ttl time.Duration) *redisstore.TokenStore {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 5 * time.Second, DialerRetries: 5,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, MaxRetries: 5, PoolSize: 128})
	t.Cleanup(func() { _ = rdb.Close() })
	s, err := redisstore.NewTokenStore(rdb, redisstore.WithTokenPrefix(prefix), redisstore.WithTokenLockTTL(ttl))
	require.NoError(t, err)
	return s
}

// replicaPool is one replica's pool of the fake's app's sellers.
func replicaPool(t testing.TB, srv *tikitest.Server, store tiki.TokenStore) *sellers.Pool {
	t.Helper()
	p, err := sellers.NewPool(tokenApp(srv), store, sellers.WithClientOptions(tiki.WithBaseURL(srv.URL),
		tiki.WithRetry(3, time.Millisecond, 10*time.Millisecond)))
	require.NoError(t, err)
	t.Cleanup(p.CloseIdleConnections)
	return p
}

// grantSellers makes sellers first..first+n-1 authorize the fake's app and
// stores their tokens, already expired, in store.
func grantSellers(t testing.TB, srv *tikitest.Server, store tiki.TokenStore, first int64, n int) {
	t.Helper()
	for s := first; s < first+int64(n); s++ {
		tok, err := srv.GrantToken(s, tiki.ScopeOrder, tiki.ScopeOffline)
		require.NoError(t, err)
		tok.Expiry = time.Now().Add(-time.Second)
		require.NoError(t, tiki.SaveToken(context.Background(), store, strconv.FormatInt(s, 10), tok))
	}
	srv.ExpireTokens()
}

// callAs makes one call as seller through pool and checks Tiki saw the
// seller's own token.
func callAs(ctx context.Context, pool *sellers.Pool, seller int64) error {
	c, err := pool.Client(strconv.FormatInt(seller, 10))
	if err != nil {
		return err
	}
	me, _, err := c.Sellers.Get(ctx)
	if err != nil {
		return err
	}
	if me.ID != seller {
		return fmt.Errorf("the call reached Tiki as seller %d, not %d", me.ID, seller)
	}
	return nil
}

// grantStats returns the fake's renewals and revocations per seller.
func grantStats(srv *tikitest.Server) (renewals map[int64]int, revoked map[int64]string) {
	renewals, revoked = map[int64]int{}, map[int64]string{}
	for _, g := range srv.Grants() {
		renewals[g.SellerID] += g.Renewals
		if g.Revoked != "" {
			revoked[g.SellerID] = g.Revoked
		}
	}
	return renewals, revoked
}

// The store's contract in Redis: Load of an unknown seller matches
// ErrNoToken; one Lock at a time per seller across stores; a save after
// Unlock, or by a holder whose lock another took, fails.
func TestTokenStoreInRedis(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	// A's lock must last while B waits for it, however long a starved
	// process goes without renewing it: a long TTL, and locks known to
	// Redis, so that their first holder does not wait it out.
	primeTokenLocks(t, addr, prefix, "s1", "s2")
	a := newTokenStore(t, addr, prefix, holdTTL)
	b := newTokenStore(t, addr, prefix, holdTTL)
	ctx := context.Background()
	_, err := a.Load(ctx, "s1")
	require.ErrorIs(t, err, tiki.ErrNoToken)

	lock, err := a.Lock(ctx, "s1")
	require.NoError(t, err)
	require.NoError(t, lock.Save(ctx, &tiki.Token{AccessToken: "a1", RefreshToken: "r1", Scope: "order",
		Expiry: time.Unix(1_700_000_000, 0).UTC(), RenewalsInDoubt: 1}))
	got, err := b.Load(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, &tiki.Token{AccessToken: "a1", RefreshToken: "r1", Scope: "order",
		Expiry: time.Unix(1_700_000_000, 0).UTC(), RenewalsInDoubt: 1}, got)

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = b.Lock(short, "s1")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "held by the other replica")
	other, err := b.Lock(ctx, "s2")
	require.NoError(t, err, "another seller is free")
	require.NoError(t, other.Unlock(ctx))

	require.NoError(t, lock.Unlock(ctx))
	require.ErrorIs(t, lock.Save(ctx, &tiki.Token{AccessToken: "late"}), tiki.ErrTokenLockLost, "released")
	l2, err := b.Lock(ctx, "s1")
	require.NoError(t, err, "released: taken at once")
	require.NoError(t, l2.Unlock(ctx))

	var ve *tiki.ValidationError
	_, err = a.Load(ctx, "")
	require.ErrorAs(t, err, &ve)
	_, err = redisstore.NewTokenStore(nil)
	require.ErrorAs(t, err, &ve)
}

// A renewal slower than the lock's TTL still saves the token Tiki issued
// while no other replica took the lock; once one did, the late save is
// refused, and the token the new holder saved stays.
func TestTokenSaveAfterTheLockExpired(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	a := newTokenStore(t, addr, prefix, time.Second)
	b := newTokenStore(t, addr, prefix, time.Second)
	rdb := steadyClient(t, addr)
	ctx := context.Background()
	lockKey := prefix + "{s1}:lock"

	slow, err := a.Lock(ctx, "s1")
	require.NoError(t, err)
	defer func() { _ = slow.Unlock(ctx) }()
	require.NoError(t, rdb.Del(ctx, lockKey).Err(), "the lock expires while its holder renews")
	require.NoError(t, slow.Save(ctx, &tiki.Token{AccessToken: "a2", RefreshToken: "r2"}), "nobody took it since")
	got, err := b.Load(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, "r2", got.RefreshToken)

	require.NoError(t, rdb.Del(ctx, lockKey).Err())
	next, err := b.Lock(ctx, "s1")
	require.NoError(t, err, "taken over")
	require.NoError(t, next.Save(ctx, &tiki.Token{AccessToken: "a3", RefreshToken: "r3"}))
	require.ErrorIs(t, slow.Save(ctx, &tiki.Token{AccessToken: "late", RefreshToken: "late"}), tiki.ErrTokenLockLost)
	require.NoError(t, next.Unlock(ctx))
	require.ErrorIs(t, slow.Save(ctx, &tiki.Token{AccessToken: "late", RefreshToken: "late"}), tiki.ErrTokenLockLost,
		"the lock is free again, but another replica held it since")
	got, err = a.Load(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, "r3", got.RefreshToken)
}

// The scale-out of a public app: 10 replicas, each with its own Redis
// connection and pool, serve 1,000 sellers whose tokens all expired at
// once. Every replica calls as every seller at about the same moment.
// Tiki (the fake) sees exactly one renewal per seller and no revoked
// grant, and every call succeeds with the seller's own token.
func TestTokensRenewedOncePerSellerAcrossReplicas(t *testing.T) {
	t.Parallel()
	const replicas, nSellers, first = 10, 1000, 100_000
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, steadyClient(t, addr), prefix)
	// A lock that Redis has no record of waits out a TTL after the server
	// started (it may have forgotten a holder). The sellers' tokens are
	// stored through locks with a short TTL, once the server has run
	// longer than that: the replicas, whatever their TTL, then take each
	// seller's lock at once after the last holder released it.
	waitUptime(t, steadyClient(t, addr), primeTTL)
	srv := tikitest.NewServer(t)
	grantSellers(t, srv, newTokenStore(t, addr, prefix, primeTTL), first, nSellers)

	// Two cores shared with other work: the race detector slows a round
	// trip to Redis down a hundredfold, and 500 callers starve a
	// replica's renewals of its locks. A holder gives its lock up when no
	// renewal succeeded for two thirds of the TTL, and another replica
	// then renews the token again with a spent refresh token: the TTL is
	// the default, 10 s, far above what a stall takes.
	const ttl = redisstore.DefaultTokenLockTTL
	pools := make([]*sellers.Pool, replicas)
	for r := range pools {
		pools[r] = replicaPool(t, srv, newTokenStore(t, addr, prefix, ttl))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var failed atomic.Int32
	var firstErr sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for _, pool := range pools {
		// Each replica works through the sellers in the same order, 50 at
		// a time, so that every seller is renewed by all ten at once.
		next := make(chan int64)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range next {
					if err := callAs(ctx, pool, s); err != nil {
						failed.Add(1)
						firstErr.Do(func() { t.Errorf("seller %d: %v", s, err) })
					}
				}
			}()
		}
		go func() {
			defer close(next)
			for s := int64(first); s < first+nSellers; s++ {
				next <- s
			}
		}()
	}
	wg.Wait()
	t.Logf("%d replicas x %d sellers: %d calls in %v", replicas, nSellers, replicas*nSellers, time.Since(start).Round(time.Millisecond))
	assert.Zero(t, failed.Load(), "every call succeeds")
	renewals, revoked := grantStats(srv)
	assert.Empty(t, revoked, "no grant revoked")
	once := 0
	for s := int64(first); s < first+nSellers; s++ {
		if renewals[s] == 1 {
			once++
		} else {
			t.Errorf("seller %d renewed %d times", s, renewals[s])
		}
	}
	assert.Equal(t, nSellers, once, "one renewal per seller")
}

// A renewal whose answer is lost after Tiki acted, across two replicas:
// under Hydra's rules the refresh token in the store is spent, the repeat
// is refused and revokes the grant, and that seller alone is disconnected
// (*GrantRevokedError in both replicas); with a rotation grace period the
// repeat is answered and nobody is disconnected.
func TestLostRenewalAnswerAcrossReplicas(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	for name, grace := range map[string]time.Duration{"strict": 0, "grace period": time.Minute} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			prefix := uniqueName(t)
			srv := tikitest.NewServer(t, tikitest.WithRefreshGracePeriod(grace))
			// A renewal's lock must not lapse while it renews (the other
			// replica would renew again): a long TTL. The tokens are stored
			// through locks with a short one, so that the replicas take the
			// released locks at once rather than wait out that TTL.
			grantSellers(t, srv, newTokenStore(t, addr, prefix, primeTTL), 1, 3)
			a := replicaPool(t, srv, newTokenStore(t, addr, prefix, holdTTL))
			b := replicaPool(t, srv, newTokenStore(t, addr, prefix, holdTTL))

			srv.DropTokenAnswers(1)
			errA := callAs(ctx, a, 1)
			errB := callAs(ctx, b, 1)
			for _, s := range []int64{2, 3} {
				require.NoError(t, callAs(ctx, a, s), "other sellers go on")
				require.NoError(t, callAs(ctx, b, s))
			}
			renewals, revoked := grantStats(srv)
			if grace == 0 {
				for _, err := range []error{errA, errB} {
					var gr *tiki.GrantRevokedError
					require.ErrorAs(t, err, &gr)
					assert.Equal(t, "1", gr.SellerID)
				}
				assert.Equal(t, map[int64]string{1: "a used refresh token was sent again"}, revoked)
				return
			}
			require.NoError(t, errA)
			require.NoError(t, errB)
			assert.Empty(t, revoked)
			assert.Equal(t, map[int64]int{1: 2, 2: 1, 3: 1}, renewals, "seller 1: the lost renewal and its repeat")
		})
	}
}

// Environment of the replica process of TestReplicaKilledHoldingRenewalLock.
const (
	killRedisEnv  = "TIKI_TEST_KILL_REDIS"
	killPrefixEnv = "TIKI_TEST_KILL_PREFIX"
	killHostEnv   = "TIKI_TEST_KILL_HOST"
)

// killTTL is the renewal lock TTL of the replicas of
// TestReplicaKilledHoldingRenewalLock: a hold must not lapse while a
// starved replica renews (the next replica takes the dead one's lock over
// when it expired, a TTL after its last renewal).
const killTTL = 3 * time.Second

// A replica is killed (SIGKILL) while it holds a seller's renewal lock,
// its renewal on the wire: the fake holds the request until the replica
// has died, so Tiki never acts on it. Another replica waits for the dead
// one's lock to expire (the lock TTL), finds the renewal in doubt with an
// expired access token, sends the refresh token again, and the seller
// stays connected: one renewal, no revocation.
func TestReplicaKilledHoldingRenewalLock(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a process")
	}
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	srv := tikitest.NewServer(t)
	grantSellers(t, srv, newTokenStore(t, addr, prefix, primeTTL), 7, 1)
	release := srv.HoldTokenRequests()
	defer release()

	out := &lockedOutput{}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledReplicaProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), killRedisEnv+"="+addr, killPrefixEnv+"="+prefix, killHostEnv+"="+srv.Host)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	waitFor(t, "the replica's renewal reaching Tiki", func() bool { return srv.HeldTokenRequests() == 1 })
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	waitFor(t, "Tiki noticing the replica hung up", func() bool { return srv.HeldTokenRequests() == 0 })
	release()

	store := newTokenStore(t, addr, prefix, killTTL)
	stored, err := store.Load(context.Background(), "7")
	require.NoError(t, err)
	assert.Equal(t, 1, stored.RenewalsInDoubt, "the dead replica recorded its renewal")

	start := time.Now()
	require.NoError(t, callAs(context.Background(), replicaPool(t, srv, store), 7))
	t.Logf("the next replica renewed %v after the kill", time.Since(start).Round(time.Millisecond))
	renewals, revoked := grantStats(srv)
	assert.Equal(t, 1, renewals[7])
	assert.Empty(t, revoked)
	stored, err = store.Load(context.Background(), "7")
	require.NoError(t, err)
	assert.Zero(t, stored.RenewalsInDoubt)
}

// TestKilledReplicaProcess is the replica TestReplicaKilledHoldingRenewalLock
// kills; it does nothing in a normal run.
func TestKilledReplicaProcess(t *testing.T) {
	addr := os.Getenv(killRedisEnv)
	if addr == "" {
		t.Skip("the replica of TestReplicaKilledHoldingRenewalLock")
	}
	host := os.Getenv(killHostEnv)
	store := newTokenStore(t, addr, os.Getenv(killPrefixEnv), killTTL)
	app := tiki.OAuthApp{ClientID: tikitest.DefaultClientID, ClientSecret: tikitest.DefaultClientSecret, Host: host}
	c, err := tiki.NewClient(tiki.WithBaseURL(host+"/integration"), tiki.WithOAuthApp(app, store, "7"))
	require.NoError(t, err)
	_, _, _ = c.Sellers.Get(context.Background()) // killed while this waits
	t.Fatal("the renewal was answered: the test meant to kill this process first")
}

// primeTokenLocks makes Redis know the renewal locks of sellers under
// prefix in its current life, as primeWriteKeys does for write-order keys:
// a store with a short TTL takes and releases them.
func primeTokenLocks(t *testing.T, addr, prefix string, sellerIDs ...string) {
	t.Helper()
	store := newTokenStore(t, addr, prefix, primeTTL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, id := range sellerIDs {
		l, err := store.Lock(ctx, id)
		require.NoError(t, err, "priming seller %s's renewal lock", id)
		require.NoError(t, l.Unlock(ctx))
	}
}

// waitUptime returns once the Redis server has run for d.
func waitUptime(t *testing.T, rdb *redis.Client, d time.Duration) {
	t.Helper()
	info, err := rdb.Info(context.Background(), "server").Result()
	require.NoError(t, err)
	var up int
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "uptime_in_seconds:"); ok {
			up, err = strconv.Atoi(v)
			require.NoError(t, err)
		}
	}
	if wait := d + 2*time.Second - time.Duration(up)*time.Second; wait > 0 {
		time.Sleep(wait)
	}
}

// lockedOutput collects a process's output.
type lockedOutput struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// Redis restarts (appendonly yes, appendfsync always, as TokenStore's
// documentation asks) while a replica renews a seller's token: Tiki's
// answer arrives while Redis is down, the replica keeps trying to save it
// while its lock holds, and saves it once Redis is back. Another replica
// then uses the renewed token: one renewal, no revocation, every call
// succeeds. Redis must be back within the lock TTL (the default, 10 s,
// here), or the renewed token's save is refused and the renewal stays in
// doubt. (Not parallel: the restart must not wait behind other tests'
// load.)
func TestRedisRestartMidRenewal(t *testing.T) {
	p := startRedisWith(t, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	prefix := uniqueName(t)
	srv := tikitest.NewServer(t)
	const ttl = redisstore.DefaultTokenLockTTL
	grantSellers(t, srv, newTokenStore(t, p.addr(), prefix, ttl), 9, 1)
	a := replicaPool(t, srv, newTokenStore(t, p.addr(), prefix, ttl))
	b := replicaPool(t, srv, newTokenStore(t, p.addr(), prefix, ttl))

	release := srv.HoldTokenRequests()
	defer release()
	done := make(chan error, 1)
	go func() { done <- callAs(context.Background(), a, 9) }()
	waitFor(t, "the renewal reaching Tiki", func() bool { return srv.HeldTokenRequests() == 1 })
	p.stop() // mid-renewal: the lock held, the request at Tiki
	release()
	time.Sleep(100 * time.Millisecond) // the answer arrives while Redis is down
	p.start()
	require.NoError(t, <-done)
	require.NoError(t, callAs(context.Background(), b, 9))
	renewals, revoked := grantStats(srv)
	assert.Equal(t, 1, renewals[9])
	assert.Empty(t, revoked)
	stored, err := newTokenStore(t, p.addr(), prefix, ttl).Load(context.Background(), "9")
	require.NoError(t, err)
	assert.Zero(t, stored.RenewalsInDoubt, "the renewed token was saved after the restart")
}
