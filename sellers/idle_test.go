package sellers

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
)

// The pool drops a seller's client once the seller was not asked for
// during the idle timeout; the sellers asked for keep theirs.
func TestPoolDropsIdleClients(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	p, err := NewPool(tiki.OAuthApp{ClientID: "id", ClientSecret: "secret"}, tiki.NewMemoryTokenStore(),
		WithIdleTimeout(time.Minute))
	require.NoError(t, err)
	p.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p.lastSweep = now
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	a, err := p.Client("a")
	require.NoError(t, err)
	_, err = p.Client("b")
	require.NoError(t, err)
	advance(40 * time.Second)
	again, err := p.Client("a") // a sweep: nothing idle a minute yet
	require.NoError(t, err)
	assert.Same(t, a, again)
	assert.Equal(t, 2, p.Len())
	advance(40 * time.Second) // b idle for 80 s, a for 40 s
	_, err = p.Client("a")
	require.NoError(t, err)
	assert.Equal(t, 1, p.Len(), "b was dropped")
	advance(2 * time.Minute)
	c, err := p.Client("a")
	require.NoError(t, err)
	assert.NotSame(t, a, c, "a was dropped, then made again")
}
