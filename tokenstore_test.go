package tiki_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// The tests of TokenStore, its memory and file implementations, and the
// renewal of a public app's tokens through them (WithOAuthApp), against
// the fake's Hydra-like token endpoint: single-use refresh tokens, and a
// grant revoked when a used one comes back.

// storeKinds builds each store the SDK ships in the root package.
var storeKinds = map[string]func(t *testing.T) tiki.TokenStore{
	"memory": func(*testing.T) tiki.TokenStore { return tiki.NewMemoryTokenStore() },
	"file": func(t *testing.T) tiki.TokenStore {
		s, err := tiki.NewFileTokenStore(t.TempDir())
		require.NoError(t, err)
		return s
	},
}

// fakeApp is the fake's public app, with the offline scope.
func fakeApp(srv *tikitest.Server) tiki.OAuthApp {
	cc := srv.ClientCredentials()
	return tiki.OAuthApp{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, Host: srv.Host,
		RedirectURL: "https://app.example/tiki/callback", Scopes: []string{tiki.ScopeOrder, tiki.ScopeOffline}}
}

// sellerClient returns a client of seller id of the fake's app, reading
// its token from store.
func sellerClient(t testing.TB, srv *tikitest.Server, store tiki.TokenStore, id string) *tiki.Client {
	t.Helper()
	c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithOAuthApp(fakeApp(srv), store, id),
		tiki.WithRateLimit(0, 0), tiki.WithRetry(2, time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	return c
}

// grantExpired makes seller authorize the fake's app and stores the token
// under strconv(seller), already expired, as a token that expired while
// nothing used it.
func grantExpired(t testing.TB, srv *tikitest.Server, store tiki.TokenStore, seller int64) *tiki.Token {
	t.Helper()
	tok, err := srv.GrantToken(seller, tiki.ScopeOrder, tiki.ScopeOffline)
	require.NoError(t, err)
	tok.Expiry = time.Now().Add(-time.Second)
	require.NoError(t, tiki.SaveToken(context.Background(), store, strconv.FormatInt(seller, 10), tok))
	return tok
}

// callAsSeller makes one call that names its seller (GET /v2/sellers/me)
// and checks that Tiki saw that seller's token.
func callAsSeller(ctx context.Context, c *tiki.Client, seller int64) error {
	me, _, err := c.Sellers.Get(ctx)
	if err != nil {
		return err
	}
	if me.ID != seller {
		return fmt.Errorf("the call reached Tiki as seller %d, not %d", me.ID, seller)
	}
	return nil
}

// renewals returns the fake's renewals and revocations per seller.
func renewals(srv *tikitest.Server) (bySeller map[int64]int, revoked map[int64]string) {
	bySeller, revoked = map[int64]int{}, map[int64]string{}
	for _, g := range srv.Grants() {
		bySeller[g.SellerID] += g.Renewals
		if g.Revoked != "" {
			revoked[g.SellerID] = g.Revoked
		}
	}
	return bySeller, revoked
}

// Every client of a seller, sharing one store, renews the expired token
// once between them: one renewal reaches Tiki, every call goes out with
// the new token, and the store holds it with Tiki's new refresh token.
func TestStoreRenewsOnceForEveryClientOfASeller(t *testing.T) {
	t.Parallel()
	for kind, newStore := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srv := tikitest.NewServer(t)
			store := newStore(t)
			old := grantExpired(t, srv, store, 501)
			srv.ExpireTokens()
			clients := make([]*tiki.Client, 8)
			for i := range clients {
				clients[i] = sellerClient(t, srv, store, "501")
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8*5)
			for _, c := range clients {
				for range 5 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs <- callAsSeller(ctx, c, 501)
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			by, revoked := renewals(srv)
			assert.Equal(t, 1, by[501], "one renewal for every client")
			assert.Empty(t, revoked)
			stored, err := store.Load(ctx, "501")
			require.NoError(t, err)
			assert.NotEqual(t, old.RefreshToken, stored.RefreshToken, "Tiki's new refresh token is stored")
			assert.Zero(t, stored.RenewalsInDoubt)
			assert.Equal(t, "order offline", stored.Scope)
		})
	}
}

// A renewal whose answer is lost after Tiki issued new tokens: the refresh
// token in the store is spent. Sending it again can only help once the
// access token no longer works (here it has expired): the client does so
// once. Under Hydra's rules (no grace period) Tiki revokes the grant, and
// the seller's calls fail with *GrantRevokedError naming the seller, in
// every client, without contacting Tiki again; other sellers go on. With a
// rotation grace period the repeat is answered and the seller stays
// connected.
func TestLostRenewalAnswer(t *testing.T) {
	t.Parallel()
	t.Run("strict: the seller must reconnect, alone", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		srv := tikitest.NewServer(t)
		store := tiki.NewMemoryTokenStore()
		grantExpired(t, srv, store, 601)
		grantExpired(t, srv, store, 602)
		srv.DropTokenAnswers(1)
		err := callAsSeller(ctx, sellerClient(t, srv, store, "601"), 601)
		var gr *tiki.GrantRevokedError
		require.ErrorAs(t, err, &gr)
		assert.Equal(t, "601", gr.SellerID)
		assert.ErrorIs(t, err, tiki.ErrUnauthorized)
		assert.Contains(t, err.Error(), `seller "601" must authorize the app again`)
		_, revoked := renewals(srv)
		assert.Contains(t, revoked, int64(601))

		requests := srv.TokenRequests()
		err = callAsSeller(ctx, sellerClient(t, srv, store, "601"), 601)
		require.ErrorAs(t, err, &gr, "another client of the seller")
		assert.Equal(t, requests, srv.TokenRequests(), "the revocation is read from the store: nothing sent")

		require.NoError(t, callAsSeller(ctx, sellerClient(t, srv, store, "602"), 602), "other sellers go on")
		_, revoked = renewals(srv)
		assert.NotContains(t, revoked, int64(602))
	})
	t.Run("grace period: recovered", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		srv := tikitest.NewServer(t, tikitest.WithRefreshGracePeriod(time.Minute))
		store := tiki.NewMemoryTokenStore()
		grantExpired(t, srv, store, 601)
		srv.DropTokenAnswers(1)
		require.NoError(t, callAsSeller(ctx, sellerClient(t, srv, store, "601"), 601))
		by, revoked := renewals(srv)
		assert.Equal(t, 2, by[601], "the lost renewal and its repeat")
		assert.Empty(t, revoked)
		stored, err := store.Load(ctx, "601")
		require.NoError(t, err)
		assert.Zero(t, stored.RenewalsInDoubt)
		require.NoError(t, callAsSeller(ctx, sellerClient(t, srv, store, "601"), 601), "the stored token works")
	})
}

// An error answer of Tiki's own (503) issued nothing: the refresh token is
// unspent, the renewal is repeated once after a short pause, and nothing
// is left in doubt.
func TestRenewalRefusedByTikiIsNotInDoubt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	grantExpired(t, srv, store, 801)
	require.NoError(t, srv.Inject(tikitest.Fault{Path: "/sc/oauth2/token", Status: 503}))
	require.NoError(t, callAsSeller(ctx, sellerClient(t, srv, store, "801"), 801))
	assert.Equal(t, 2, srv.TokenRequests())
	by, revoked := renewals(srv)
	assert.Equal(t, 1, by[801])
	assert.Empty(t, revoked)
	stored, err := store.Load(ctx, "801")
	require.NoError(t, err)
	assert.Zero(t, stored.RenewalsInDoubt)
}

// A refresh token Tiki does not know is a revoked grant, recorded in the
// store for every client of the seller.
func TestUnknownRefreshTokenRevokesTheSeller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	require.NoError(t, tiki.SaveToken(ctx, store, "seller-x", &tiki.Token{RefreshToken: "forgotten"}))
	_, _, err := sellerClient(t, srv, store, "seller-x").Sellers.Get(ctx)
	var gr *tiki.GrantRevokedError
	require.ErrorAs(t, err, &gr)
	assert.Equal(t, "seller-x", gr.SellerID)
	assert.Contains(t, gr.Reason, "invalid_grant")
	stored, err := store.Load(ctx, "seller-x")
	require.NoError(t, err)
	assert.Equal(t, gr.Reason, stored.Revoked)

	// A new authorization replaces the revoked grant.
	tok, err := srv.GrantToken(900, tiki.ScopeOffline)
	require.NoError(t, err)
	require.NoError(t, tiki.SaveToken(ctx, store, "seller-x", tok))
	_, _, err = sellerClient(t, srv, store, "seller-x").Sellers.Get(ctx)
	require.NoError(t, err)
}

// A seller with no token: the call fails naming the seller, nothing is
// sent.
func TestSellerWithoutToken(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	_, _, err := sellerClient(t, srv, tiki.NewMemoryTokenStore(), "nobody").Sellers.Get(context.Background())
	require.ErrorIs(t, err, tiki.ErrNoToken)
	assert.Contains(t, err.Error(), `"nobody"`)
	assert.Zero(t, srv.Requests()+srv.TokenRequests())
}

// Bad arguments to the stores and SaveToken are *ValidationError.
func TestTokenStoreValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var ve *tiki.ValidationError
	for kind, newStore := range storeKinds {
		store := newStore(t)
		_, err := store.Load(ctx, "")
		require.ErrorAs(t, err, &ve, kind)
		_, err = store.Lock(ctx, "a\nb")
		require.ErrorAs(t, err, &ve, kind)
		//lint:ignore SA1012 a nil context is what is tested
		_, err = store.Load(nil, "s")
		require.ErrorIs(t, err, tiki.ErrNilContext, kind)
		err = tiki.SaveToken(ctx, store, " ", &tiki.Token{})
		require.ErrorAs(t, err, &ve, kind)
		assert.Equal(t, []tiki.FieldProblem{{Field: "sellerID", Problem: "must not be empty"},
			{Field: "token", Problem: "must hold an access or refresh token"}}, ve.Problems)
	}
	err := tiki.SaveToken(ctx, nil, "s", &tiki.Token{AccessToken: "a"})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{{Field: "store", Problem: "must not be nil"}}, ve.Problems)
	_, err = tiki.NewFileTokenStore("")
	require.ErrorAs(t, err, &ve)
}

// The contract every store keeps: Load of an unknown seller matches
// ErrNoToken; one Lock at a time per seller (a second waits, or ends with
// its ctx); a save after Unlock fails; other sellers are not blocked.
func TestTokenStoreContract(t *testing.T) {
	t.Parallel()
	for kind, newStore := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store := newStore(t)
			_, err := store.Load(ctx, "s/1 é")
			require.ErrorIs(t, err, tiki.ErrNoToken)

			lock, err := store.Lock(ctx, "s/1 é")
			require.NoError(t, err)
			require.NoError(t, lock.Save(ctx, &tiki.Token{AccessToken: "a1", Expiry: time.Unix(1700000000, 0).UTC()}))
			got, err := store.Load(ctx, "s/1 é")
			require.NoError(t, err)
			assert.Equal(t, &tiki.Token{AccessToken: "a1", Expiry: time.Unix(1700000000, 0).UTC()}, got)

			short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
			_, err = store.Lock(short, "s/1 é")
			cancel()
			require.ErrorIs(t, err, context.DeadlineExceeded, "held by another")
			other, err := store.Lock(ctx, "s-2")
			require.NoError(t, err, "another seller is free")
			require.NoError(t, other.Unlock(ctx))

			second := make(chan tiki.TokenLock)
			go func() {
				l, err := store.Lock(ctx, "s/1 é")
				assert.NoError(t, err)
				second <- l
			}()
			require.NoError(t, lock.Unlock(ctx))
			require.ErrorIs(t, lock.Save(ctx, &tiki.Token{AccessToken: "late"}), tiki.ErrTokenLockLost)
			l2 := <-second
			require.NoError(t, l2.Save(ctx, &tiki.Token{AccessToken: "a2"}))
			require.NoError(t, l2.Unlock(ctx))
			got, err = store.Load(ctx, "s/1 é")
			require.NoError(t, err)
			assert.Equal(t, "a2", got.AccessToken)
		})
	}
}

// The file store's files: one token file and one lock file per seller,
// readable by their owner only, under a name that is the id when it is
// plain.
func TestFileTokenStoreFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tokens")
	store, err := tiki.NewFileTokenStore(dir)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, tiki.SaveToken(ctx, store, "12345", &tiki.Token{AccessToken: "a"}))
	require.NoError(t, tiki.SaveToken(ctx, store, "../x", &tiki.Token{AccessToken: "b"}))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), e.Name())
	}
	assert.ElementsMatch(t, []string{"12345.token", "12345.lock", "~2e2e2f78.token", "~2e2e2f78.lock"}, names)
	info, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

// replicaEnv names the environment variables of a replica process of
// TestFileTokenStoreAcrossProcesses.
const (
	replicaDirEnv  = "TIKI_TEST_TOKEN_DIR"
	replicaHostEnv = "TIKI_TEST_FAKE_HOST"
)

// Several processes sharing a FileTokenStore directory renew each
// seller's expired token once between them: three processes (this test
// binary run again) call as each of 20 sellers at the same moment.
func TestFileTokenStoreAcrossProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	srv := tikitest.NewServer(t)
	dir := t.TempDir()
	store, err := tiki.NewFileTokenStore(dir)
	require.NoError(t, err)
	for s := int64(1); s <= 20; s++ {
		grantExpired(t, srv, store, 1000+s)
	}
	srv.ExpireTokens()
	procs := make([]*exec.Cmd, 3)
	outs := make([]*lockedBuffer, 3)
	for i := range procs {
		outs[i] = &lockedBuffer{}
		procs[i] = exec.Command(os.Args[0], "-test.run=^TestFileTokenStoreReplicaProcess$", "-test.count=1")
		procs[i].Env = append(os.Environ(), replicaDirEnv+"="+dir, replicaHostEnv+"="+srv.Host)
		procs[i].Stdout, procs[i].Stderr = outs[i], outs[i]
		require.NoError(t, procs[i].Start())
	}
	for i, p := range procs {
		require.NoError(t, p.Wait(), "replica %d:\n%s", i, outs[i].String())
	}
	by, revoked := renewals(srv)
	for s := int64(1); s <= 20; s++ {
		assert.Equal(t, 1, by[1000+s], "seller %d", 1000+s)
	}
	assert.Empty(t, revoked)
}

// TestFileTokenStoreReplicaProcess is one replica of
// TestFileTokenStoreAcrossProcesses; it does nothing in a normal run.
func TestFileTokenStoreReplicaProcess(t *testing.T) {
	dir, host := os.Getenv(replicaDirEnv), os.Getenv(replicaHostEnv)
	if dir == "" {
		t.Skip("a replica of TestFileTokenStoreAcrossProcesses")
	}
	store, err := tiki.NewFileTokenStore(dir)
	require.NoError(t, err)
	app := tiki.OAuthApp{ClientID: tikitest.DefaultClientID, ClientSecret: tikitest.DefaultClientSecret, Host: host}
	var wg sync.WaitGroup
	for s := int64(1); s <= 20; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := tiki.NewClient(tiki.WithBaseURL(host+"/integration"), tiki.WithOAuthApp(app, store, strconv.FormatInt(1000+s, 10)))
			if assert.NoError(t, err) {
				assert.NoError(t, callAsSeller(context.Background(), c, 1000+s))
			}
		}()
	}
	wg.Wait()
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
