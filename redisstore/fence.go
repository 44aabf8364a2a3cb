package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
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

// fenceAcquireScript takes a free lock.
// KEYS: lock, record, floor. ARGV: ttl ms, id, record ttl ms (0: kept).
// Returns {token, wait ms}, token "0" when the lock is held.
var fenceAcquireScript = redis.NewScript(fenceLifeLua + `
if redis.call('EXISTS', KEYS[1]) == 1 then return {'0', '0'} end
local us = clock()
local now = math.floor(us / 1000)
local ttl = tonumber(ARGV[1])
local here, age = life()
local rec = redis.call('HMGET', KEYS[2], 'token', 'life', 'ttl', 'safe_at', 'expires', 'released')
local token = math.max(us, num(rec[1]) + 1, num(redis.call('HGET', KEYS[3], 'fence')) + 1)
local wait
if rec[1] and here ~= '' and rec[2] == here then
  local ready = num(rec[4])
  if rec[6] ~= '1' then ready = math.max(ready, num(rec[5])) end
  wait = math.max(0, ready - now)
else
  wait = math.max(0, math.max(ttl, num(rec[3])) - age)
end
local tok = fmt(token)
redis.call('SET', KEYS[1], tok .. ':' .. ARGV[2], 'PX', ttl)
redis.call('HSET', KEYS[2], 'token', tok, 'life', here, 'ttl', fmt(ttl), 'safe_at', fmt(now + wait),
  'expires', fmt(now + ttl), 'released', '0')
if num(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) else redis.call('PERSIST', KEYS[2]) end
return {tok, fmt(wait)}
`)

// fenceRenewScript extends a lock while it holds the holder's value.
// KEYS: lock, record. ARGV: value, ttl ms, record ttl ms (0: kept).
var fenceRenewScript = redis.NewScript(fenceLifeLua + `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], 'expires', fmt(math.floor(clock() / 1000) + tonumber(ARGV[2])))
if num(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 1
`)

// fenceReleaseScript frees a lock while it holds the holder's value, and
// records the release. KEYS: lock, record. ARGV: value.
var fenceReleaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('HGET', KEYS[2], 'token') == string.match(ARGV[1], '^(%d+):') then
  redis.call('HSET', KEYS[2], 'released', '1')
end
return 1
`)

// fenceKeys are the Redis keys of one fenced lock.
type fenceKeys struct {
	lock   string
	record string
	floor  string
}

// fencer takes fenced locks in one Redis with one configuration.
type fencer struct {
	rdb       redis.UniversalClient
	ttl       time.Duration
	interval  time.Duration // between tries while another holds the lock
	recordTTL time.Duration // how long a record outlives its last use; 0: forever
}

// newFencer checks a TTL and a retry interval; what names them in errors
// ("lease", "write lock").
func newFencer(rdb redis.UniversalClient, what string, ttl, interval, recordTTL time.Duration) (fencer, error) {
	if ttl < 30*time.Millisecond {
		return fencer{}, fmt.Errorf("redisstore: %s TTL must be at least 30ms, got %v", what, ttl)
	}
	if interval <= 0 {
		return fencer{}, fmt.Errorf("redisstore: %s retry interval must be positive, got %v", what, interval)
	}
	return fencer{rdb: rdb, ttl: ttl, interval: interval, recordTTL: recordTTL}, nil
}

// errHoldLost ends a wait whose hold was lost.
var errHoldLost = errors.New("redisstore: the lock was lost while waiting for its previous holder")

// acquire tries to take the lock every interval until it holds it (the
// hold is renewed from then on), ctx ends (ctx's error) or Redis fails
// (the error). The hold may act only after its settle.
func (f *fencer) acquire(ctx context.Context, k fenceKeys) (*fenceHold, error) {
	for {
		h, err := f.try(ctx, k)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if h != nil {
			return h, nil
		}
		t := time.NewTimer(f.interval + rand.N(f.interval/5+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// try takes the lock if it is free; it returns nil, nil when it is not.
func (f *fencer) try(ctx context.Context, k fenceKeys) (*fenceHold, error) {
	id := fmt.Sprintf("%016x", rand.Uint64())
	sent := time.Now()
	reply, err := fenceAcquireScript.Run(ctx, f.rdb, []string{k.lock, k.record, k.floor},
		f.ttl.Milliseconds(), id, f.recordTTL.Milliseconds()).StringSlice()
	if err != nil {
		return nil, err
	}
	if len(reply) != 2 {
		return nil, fmt.Errorf("unexpected reply %q", reply)
	}
	token, err1 := strconv.ParseInt(reply[0], 10, 64)
	wait, err2 := strconv.ParseInt(reply[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil || token < 0 || wait < 0 {
		return nil, fmt.Errorf("unexpected reply %q", reply)
	}
	if token == 0 {
		return nil, nil
	}
	h := &fenceHold{f: f, keys: k, token: token, value: reply[0] + ":" + id,
		// The wait is counted from the reply, which Redis sent after it
		// computed the wait: never early.
		readyAt: time.Now().Add(time.Duration(wait) * time.Millisecond),
		lost:    make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go h.renew(sent)
	return h, nil
}

// fenceHold is a held fenced lock and its renewal goroutine.
type fenceHold struct {
	f       *fencer
	keys    fenceKeys
	token   int64
	value   string    // "<token>:<id>", what the lock key holds
	readyAt time.Time // when every earlier holder has given up

	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

func (h *fenceHold) markLost() { h.lostOnce.Do(func() { close(h.lost) }) }

// settle waits until every earlier holder has given up. It returns
// errHoldLost when the hold is lost meanwhile, ctx's error when ctx ends.
func (h *fenceHold) settle(ctx context.Context) error {
	if d := time.Until(h.readyAt); d > 0 {
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

// renew extends the lock every third of the TTL until release or loss.
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
			// Redis has not confirmed the lock for two thirds of its TTL:
			// it may expire before the next try. Give it up first.
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
				if r.sent.After(lastOK) {
					lastOK = r.sent
					deadline.Reset(time.Until(lastOK.Add(giveUp)))
				}
			case r.err == nil:
				// The lock holds another value: it expired, or Redis
				// forgot it, and maybe another holder took it.
				h.markLost()
				return
			}
		}
	}
}

// renewOnce sends one renewal and reports its outcome on results (which
// has room for it: the renew loop may have ended meanwhile).
func (h *fenceHold) renewOnce(timeout time.Duration, results chan<- renewal) {
	sent := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	n, err := fenceRenewScript.Run(ctx, h.f.rdb, []string{h.keys.lock, h.keys.record},
		h.value, h.f.ttl.Milliseconds(), h.f.recordTTL.Milliseconds()).Int()
	results <- renewal{sent: sent, held: n == 1, err: err}
}

// release stops the renewals, reports the hold ended, and frees the lock
// if it still holds this hold's value, recording that it was released.
func (h *fenceHold) release(ctx context.Context) error {
	h.stopOnce.Do(func() { close(h.stop) })
	<-h.done
	h.markLost()
	return fenceReleaseScript.Run(ctx, h.f.rdb, []string{h.keys.lock, h.keys.record}, h.value).Err()
}
