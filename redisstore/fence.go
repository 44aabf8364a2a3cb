package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// A fenced lock is the mechanism under [Lease] and [WriteOrder]: a Redis
// key that one holder at a time keeps alive, taken in a way that stays
// exclusive when Redis forgets it (a restart without persistence, a
// failover that loses the last writes) and when a holder stops hearing from
// Redis (a partition, a paused process, a hung server).
//
// Three keys, with one hash tag so that a Cluster keeps them in one slot:
//
//   - the lock, "<token>:<id>" while held, expiring after the TTL. The token
//     is Redis's clock in microseconds (TIME), raised above the last token
//     of the record and above the floor's, so it only grows, even after
//     Redis forgot every earlier token; the id is 64 random bits, so that a
//     holder never mistakes another's lock for its own.
//   - the record, a hash describing the last holder: token, the Redis
//     "life" it took the lock in (run_id and replication id: they change
//     when the server restarts or a replica is promoted), its TTL, when it
//     could start acting (safe_at), when its lock expires (expires), and
//     whether it released the lock (released).
//   - the floor, a hash whose "fence" field every new token exceeds (a
//     checkpoint's fence), or the record again.
//
// A holder renews its lock every third of the TTL and gives it up
// (Lost) as soon as a renewal finds another value, or when no renewal
// succeeded for two thirds of the TTL, whatever Redis is doing: by then it
// must assume the lock may expire. A new holder therefore waits, before it
// may act, until every earlier holder has given up:
//
//   - when the record was written in the current life of the server, Redis
//     has forgotten nothing since: the wait ends when the last holder's
//     lock would have expired (or at once when it released it), and not
//     before the moment that holder itself was allowed to act;
//   - otherwise a holder that Redis forgot may still believe it holds the
//     lock: the wait is a full TTL (the longer of this TTL and the last
//     holder's), less the time the server has been running since its last
//     restart when it never was promoted from replica (a holder that lost
//     its lock in that restart gave up two thirds of a TTL after it).
//
// A fencer may add a settle period to the wait for a holder that did not
// release its lock (a write order: the last holder may have had a write
// in flight when it stopped, which Tiki may still apply).
//
// One call's locks are held together: they are taken in a fixed order
// (so that two calls never wait for each other in a cycle), as many at a
// time as one script may take (every lock on one server; on a Cluster,
// those of one hash slot), renewed by one goroutine with one script per
// group each time, and released together.

// A holder that could not renew gives its lock up after two thirds of the
// TTL, leaving a third of the TTL before Redis expires the key for clocks
// and schedulers to lag.
const fenceGiveUpNum, fenceGiveUpDen = 2, 3

// fenceLifeLua computes the server's life and how long it has lasted.
const fenceLifeLua = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local function num(v) return tonumber(v) or 0 end
local function fmt(n) return string.format('%.0f', n) end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function life()
  local s = redis.pcall('INFO', 'server')
  local r = redis.pcall('INFO', 'replication')
  if type(s) ~= 'string' or type(r) ~= 'string' then return '', 0 end
  local run = string.match(s, 'run_id:(%x+)')
  local replid = string.match(r, 'master_replid:(%x+)')
  if not run or not replid then return '', 0 end
  local age = 0
  local up = tonumber(string.match(s, 'uptime_in_seconds:(%d+)'))
  local replid2 = string.match(r, 'master_replid2:(%x+)')
  if up and replid2 and not string.find(replid2, '[1-9a-f]') then
    age = math.max(0, up - 1) * 1000
  end
  return run .. '/' .. replid, age
end
`

// fenceAcquireScript takes the free locks of a group in order, stopping at
// the first one that is held.
// KEYS: lock, record and floor of each lock. ARGV: ttl ms, id, record ttl
// ms (0: kept), settle ms (added to the wait for a holder that did not
// release its lock). Returns {n, token1, wait1 ms, ..., tokenn, waitn}
// for the n locks taken.
var fenceAcquireScript = redis.NewScript(fenceLifeLua + `
local us = clock()
local now = math.floor(us / 1000)
local ttl = tonumber(ARGV[1])
local settle = num(ARGV[4])
local here, age = life()
local out = {}
local n = 0
for i = 1, #KEYS, 3 do
  local lock, record, floor = KEYS[i], KEYS[i + 1], KEYS[i + 2]
  if redis.call('EXISTS', lock) == 1 then break end
  local rec = redis.call('HMGET', record, 'token', 'life', 'ttl', 'safe_at', 'expires', 'released')
  local token = math.max(us, num(rec[1]) + 1, num(redis.call('HGET', floor, 'fence')) + 1)
  local wait
  if rec[1] and here ~= '' and rec[2] == here then
    local ready = num(rec[4])
    if rec[6] ~= '1' then ready = math.max(ready, num(rec[5]) + settle) end
    wait = math.max(0, ready - now)
  else
    wait = math.max(0, math.max(ttl, num(rec[3])) + settle - age)
  end
  local tok = fmt(token)
  redis.call('SET', lock, tok .. ':' .. ARGV[2], 'PX', ttl)
  redis.call('HSET', record, 'token', tok, 'life', here, 'ttl', fmt(ttl), 'safe_at', fmt(now + wait),
    'expires', fmt(now + ttl), 'released', '0')
  if num(ARGV[3]) > 0 then redis.call('PEXPIRE', record, ARGV[3]) else redis.call('PERSIST', record) end
  n = n + 1
  out[#out + 1] = tok
  out[#out + 1] = fmt(wait)
end
table.insert(out, 1, tostring(n))
return out
`)

// fenceRenewScript extends each lock of a group that holds its holder's
// value. KEYS: lock and record of each lock. ARGV: ttl ms, record ttl ms
// (0: kept), then each lock's value. Returns 1 or 0 per lock.
var fenceRenewScript = redis.NewScript(fenceLifeLua + `
local expires = fmt(math.floor(clock() / 1000) + tonumber(ARGV[1]))
local out = {}
for i = 1, #KEYS, 2 do
  if redis.call('GET', KEYS[i]) == ARGV[2 + (i + 1) / 2] then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    redis.call('HSET', KEYS[i + 1], 'expires', expires)
    if num(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[i + 1], ARGV[2]) end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`)

// fenceReleaseScript frees each lock of a group that holds its holder's
// value, and records the release. KEYS: lock and record of each lock.
// ARGV: each lock's value.
var fenceReleaseScript = redis.NewScript(`
for i = 1, #KEYS, 2 do
  local v = ARGV[(i + 1) / 2]
  if redis.call('GET', KEYS[i]) == v then
    redis.call('DEL', KEYS[i])
    if redis.call('HGET', KEYS[i + 1], 'token') == string.match(v, '^(%d+):') then
      redis.call('HSET', KEYS[i + 1], 'released', '1')
    end
  end
end
return 1
`)

// fenceKeys are the Redis keys of one fenced lock. They share a hash tag.
type fenceKeys struct {
	lock   string
	record string
	floor  string
}

// fencer takes fenced locks in one Redis with one configuration.
type fencer struct {
	rdb       redis.UniversalClient
	ttl       time.Duration
	interval  time.Duration // between tries while another holds a lock
	recordTTL time.Duration // how long a record outlives its last use; 0: forever
	settle    time.Duration // added to the wait for a holder that did not release
}

// errHoldLost ends a wait whose hold was lost.
var errHoldLost = errors.New("redisstore: the lock was lost while waiting for its previous holder")

// groupKind is how the fencer's Redis client spreads keys over servers.
type groupKind int

const (
	oneServer groupKind = iota // a server, or Sentinel's master: one script takes every lock
	bySlot                     // a Cluster: one script per hash slot
	byTag                      // anything else (a Ring): one script per hash tag
)

func (f *fencer) kind() groupKind {
	switch f.rdb.(type) {
	case *redis.Client:
		return oneServer
	case *redis.ClusterClient:
		return bySlot
	default:
		return byTag
	}
}

// lockGroup is a run of locks, in taking order, that one script takes,
// renews or releases together.
type lockGroup[T any] []T

// groups splits items, whose locks are given by keysOf, into runs that one
// script may handle, after ordering them as the fencer takes locks (by
// lock key on one server, by hash slot or tag first otherwise), so that
// every holder takes them in the same order.
func groups[T any](f *fencer, items []T, keysOf func(T) fenceKeys) []lockGroup[T] {
	kind := f.kind()
	groupOf := func(t T) string {
		switch kind {
		case bySlot:
			return fmt.Sprintf("%05d", hashSlot(keysOf(t).lock))
		case byTag:
			return hashTag(keysOf(t).lock)
		}
		return ""
	}
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b T) int {
		if c := strings.Compare(groupOf(a), groupOf(b)); c != 0 {
			return c
		}
		return strings.Compare(keysOf(a).lock, keysOf(b).lock)
	})
	var out []lockGroup[T]
	for i, t := range sorted {
		if i == 0 || groupOf(t) != groupOf(sorted[i-1]) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], t)
	}
	return out
}

// hashTag returns the part of key that Redis hashes: the text between the
// first "{" and the next "}" when it is not empty, the whole key otherwise.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// hashSlot is the Cluster hash slot of key: CRC16 (XMODEM) of its hash tag,
// modulo 16384.
func hashSlot(key string) int {
	var crc uint16
	for _, b := range []byte(hashTag(key)) {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) & 16383
}

// scriptCall is one run of a script: its keys and arguments.
type scriptCall struct {
	keys []string
	args []any
}

// runScripts runs script once per call: alone for one call, in one
// pipeline for several (go-redis sends a Cluster's pipeline to each node
// at once), running again, loading the script, those a node did not know.
func runScripts(ctx context.Context, rdb redis.UniversalClient, script *redis.Script, calls []scriptCall) []*redis.Cmd {
	cmds := make([]*redis.Cmd, len(calls))
	if len(calls) == 1 {
		cmds[0] = script.Run(ctx, rdb, calls[0].keys, calls[0].args...)
		return cmds
	}
	_, _ = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range calls {
			cmds[i] = script.EvalSha(ctx, p, c.keys, c.args...)
		}
		return nil
	})
	for i, c := range calls {
		if err := cmds[i].Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			cmds[i] = script.Run(ctx, rdb, c.keys, c.args...)
		}
	}
	return cmds
}

// acquire takes every lock of locks (all of a call's), trying again every
// interval while another holder has one, until it holds them all (renewed
// from the first one taken on), ctx ends (ctx's error), Redis fails (the
// error) or a lock it holds is lost meanwhile (errHoldLost); it fails
// holding none. The hold may act only after its settle.
func (f *fencer) acquire(ctx context.Context, locks []fenceKeys) (*fenceHold, error) {
	h := &fenceHold{f: f, id: fmt.Sprintf("%016x", rand.Uint64()),
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	rest := locks
	fail := func(err error) (*fenceHold, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.ttl)
		defer cancel()
		_ = h.release(rctx)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	for {
		taken, err := h.take(ctx, rest)
		if err != nil {
			return fail(err)
		}
		rest = rest[taken:]
		if len(rest) == 0 {
			return h, nil
		}
		t := time.NewTimer(f.interval + rand.N(f.interval/5+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(ctx.Err())
		case <-h.lost:
			t.Stop()
			return fail(errHoldLost)
		case <-t.C:
		}
	}
}

// heldLock is one lock of a hold.
type heldLock struct {
	keys  fenceKeys
	token int64
	value string // "<token>:<id>", what the lock key holds
}

// fenceHold is the locks one call holds and their renewal goroutine.
type fenceHold struct {
	f  *fencer
	id string // 64 random bits, the same in each lock's value

	mu      sync.Mutex
	locks   []heldLock // in taking order
	readyAt time.Time  // when every earlier holder of each has given up

	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{} // closed when the renewals ended (or never started)
	started  bool
}

func (h *fenceHold) markLost() { h.lostOnce.Do(func() { close(h.lost) }) }

// token is the fence token of the hold's first lock.
func (h *fenceHold) token() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.locks[0].token
}

// take takes the free locks at the start of want, in the fencer's order,
// and returns how many; it stops at the first lock another holder has.
// Groups after the one that stopped are tried at the same time and given
// back, so that locks are only ever held in order.
func (h *fenceHold) take(ctx context.Context, want []fenceKeys) (int, error) {
	gs := groups(h.f, want, func(k fenceKeys) fenceKeys { return k })
	calls := make([]scriptCall, len(gs))
	for i, g := range gs {
		keys := make([]string, 0, 3*len(g))
		for _, k := range g {
			keys = append(keys, k.lock, k.record, k.floor)
		}
		calls[i] = scriptCall{keys, []any{h.f.ttl.Milliseconds(), h.id, h.f.recordTTL.Milliseconds(), h.f.settle.Milliseconds()}}
	}
	sent := time.Now()
	cmds := runScripts(ctx, h.f.rdb, fenceAcquireScript, calls)
	taken := make([][]heldLock, len(gs))
	waits := make([][]time.Duration, len(gs))
	var errs []error
	for i, g := range gs {
		reply, err := cmds[i].StringSlice()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n, err := strconv.Atoi(first(reply))
		if err != nil || n < 0 || n > len(g) || len(reply) != 1+2*n {
			errs = append(errs, fmt.Errorf("unexpected reply %q", reply))
			continue
		}
		for j := range n {
			token, err1 := strconv.ParseInt(reply[1+2*j], 10, 64)
			wait, err2 := strconv.ParseInt(reply[2+2*j], 10, 64)
			if err := errors.Join(err1, err2); err != nil || token <= 0 || wait < 0 {
				errs = append(errs, fmt.Errorf("unexpected reply %q", reply))
				break
			}
			taken[i] = append(taken[i], heldLock{keys: g[j], token: token, value: reply[1+2*j] + ":" + h.id})
			waits[i] = append(waits[i], time.Duration(wait)*time.Millisecond)
		}
	}
	err := errors.Join(errs...)
	// Whatever was taken is kept in order up to the first group that
	// stopped short (or failed); the rest is given back.
	var keep []heldLock
	var keepWaits []time.Duration
	var giveBack []heldLock
	stopped := false
	for i, g := range gs {
		if stopped {
			giveBack = append(giveBack, taken[i]...)
			continue
		}
		keep = append(keep, taken[i]...)
		keepWaits = append(keepWaits, waits[i]...)
		stopped = len(taken[i]) < len(g)
	}
	// Waits are counted from the reply, which Redis sent after it computed
	// them: never early.
	h.add(keep, keepWaits, sent, time.Now())
	if len(giveBack) > 0 {
		_ = h.f.releaseLocks(context.WithoutCancel(ctx), giveBack)
	}
	if err != nil {
		return len(keep), err
	}
	return len(keep), nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// add records newly taken locks, taken by a script sent at sent and
// answered at answered, and starts the renewals with the first ones.
func (h *fenceHold) add(locks []heldLock, waits []time.Duration, sent, answered time.Time) {
	if len(locks) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.locks = append(h.locks, locks...)
	for _, w := range waits {
		if at := answered.Add(w); at.After(h.readyAt) {
			h.readyAt = at
		}
	}
	if !h.started {
		h.started = true
		go h.renew(sent)
	}
}

// held returns the hold's locks so far.
func (h *fenceHold) held() []heldLock {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.locks)
}

// settle waits until every earlier holder of every lock has given up. It
// returns errHoldLost when the hold is lost meanwhile, ctx's error when ctx
// ends.
func (h *fenceHold) settle(ctx context.Context) error {
	h.mu.Lock()
	readyAt := h.readyAt
	h.mu.Unlock()
	if d := time.Until(readyAt); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.lost:
			return errHoldLost
		case <-t.C:
		}
	}
	select {
	case <-h.lost:
		return errHoldLost
	default:
		return ctx.Err()
	}
}

// renewal is the outcome of one renewal.
type renewal struct {
	sent time.Time
	held bool
	err  error
}

// renew extends the locks every third of the TTL until release or loss.
// The give-up deadline is a timer of its own, so that a renewal that hangs
// (a paused or partitioned Redis) cannot delay it.
func (h *fenceHold) renew(lastOK time.Time) {
	defer close(h.done)
	ttl := h.f.ttl
	giveUp := ttl * fenceGiveUpNum / fenceGiveUpDen
	deadline := time.NewTimer(time.Until(lastOK.Add(giveUp)))
	defer deadline.Stop()
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	results := make(chan renewal, 1)
	inFlight := false
	for {
		select {
		case <-h.stop:
			return
		case <-deadline.C:
			// Redis has not confirmed the locks for two thirds of their
			// TTL: they may expire before the next try. Give them up first.
			h.markLost()
			return
		case <-tick.C:
			if !inFlight {
				inFlight = true
				go h.renewOnce(giveUp, results)
			}
		case r := <-results:
			inFlight = false
			switch {
			case r.err == nil && r.held:
				// Locks added after the renewal was sent were taken
				// later still.
				if r.sent.After(lastOK) {
					lastOK = r.sent
					deadline.Reset(time.Until(lastOK.Add(giveUp)))
				}
			case r.err == nil:
				// A lock holds another value: it expired, or Redis
				// forgot it, and maybe another holder took it.
				h.markLost()
				return
			}
		}
	}
}

// renewOnce sends one renewal of every lock held so far and reports its
// outcome on results (which has room for it: the renew loop may have
// ended meanwhile).
func (h *fenceHold) renewOnce(timeout time.Duration, results chan<- renewal) {
	sent := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	gs := groups(h.f, h.held(), func(l heldLock) fenceKeys { return l.keys })
	calls := make([]scriptCall, len(gs))
	for i, g := range gs {
		keys := make([]string, 0, 2*len(g))
		args := []any{h.f.ttl.Milliseconds(), h.f.recordTTL.Milliseconds()}
		for _, l := range g {
			keys = append(keys, l.keys.lock, l.keys.record)
			args = append(args, l.value)
		}
		calls[i] = scriptCall{keys, args}
	}
	allHeld := true
	var errs []error
	for i, cmd := range runScripts(ctx, h.f.rdb, fenceRenewScript, calls) {
		held, err := cmd.Int64Slice()
		switch {
		case err != nil:
			errs = append(errs, err)
		case len(held) != len(gs[i]) || slices.Contains(held, 0):
			allHeld = false
		}
	}
	results <- renewal{sent: sent, held: allHeld, err: errors.Join(errs...)}
}

// release stops the renewals, reports the hold ended, and frees each lock
// that still holds this hold's value, recording that it was released.
func (h *fenceHold) release(ctx context.Context) error {
	h.stopOnce.Do(func() { close(h.stop) })
	h.mu.Lock()
	started := h.started
	h.started = true // no renewal starts from now on
	h.mu.Unlock()
	if started {
		<-h.done
	}
	h.markLost()
	return h.f.releaseLocks(ctx, h.held())
}

// releaseLocks frees each of locks that still holds its holder's value,
// recording the release.
func (f *fencer) releaseLocks(ctx context.Context, locks []heldLock) error {
	if len(locks) == 0 {
		return nil
	}
	gs := groups(f, locks, func(l heldLock) fenceKeys { return l.keys })
	calls := make([]scriptCall, len(gs))
	for i, g := range gs {
		keys := make([]string, 0, 2*len(g))
		args := make([]any, 0, len(g))
		for _, l := range g {
			keys = append(keys, l.keys.lock, l.keys.record)
			args = append(args, l.value)
		}
		calls[i] = scriptCall{keys, args}
	}
	var errs []error
	for _, cmd := range runScripts(ctx, f.rdb, fenceReleaseScript, calls) {
		if err := cmd.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
