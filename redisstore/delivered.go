package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
)

// DefaultDeliveredPrefix is the namespace of a [DeliveredStore]'s Redis
// keys unless [WithDeliveredPrefix] is given.
const DefaultDeliveredPrefix = "tiki:orders:"

// DeliveredOption configures a [DeliveredStore].
type DeliveredOption func(*deliveredConfig)

type deliveredConfig struct {
	prefix    string
	retention time.Duration
	problems  problems
}

// WithDeliveredPrefix sets the namespace put before every key in Redis
// (DefaultDeliveredPrefix unless set).
func WithDeliveredPrefix(prefix string) DeliveredOption {
	return func(c *deliveredConfig) { c.prefix = prefix }
}

// WithDeliveredRetention sets how long a delivery is remembered after it
// was marked (reconcile.DefaultDeliveredRetention, seven days, unless set;
// at least 1s, whole seconds). It must be longer than the backfill reaches
// back (OrdersOptions.Overlap, plus the longest time the backfill may not
// run): a delivery forgotten earlier is handed out again.
func WithDeliveredRetention(d time.Duration) DeliveredOption {
	return func(c *deliveredConfig) {
		if d < time.Second || d%time.Second != 0 {
			c.problems.add("WithDeliveredRetention", "must be a whole number of seconds, at least 1s, not %v", d)
			return
		}
		c.retention = d
	}
}

// DeliveredStore is a [reconcile.DeliveredStore] kept in Redis, so that
// the replicas of a seller's backend share what was delivered to the
// seller's order handler: the live path of every replica
// ([reconcile.OrdersBackfill.Deliver], [reconcile.OrdersBackfill.Follow])
// records its deliveries in it, and the backfill, run by one replica at a
// time, hands out only what none of them delivered. Use one per seller:
// seller names the seller's keys.
//
// # Keys
//
// With base = prefix+"{"+seller+"}:" (the seller is a hash tag: every key
// of a seller lives in one Cluster slot, so that a script may use them
// together):
//
//	base+"order:"+code  the order's latest delivery, "<at>:<marked>:<status>"
//	                    (Unix seconds of the delivery's At and of when it was
//	                    marked, the canonical status), set with PX retention
//	base+"failures"     a hash: order code -> the order's failures since its
//	                    last delivery, as JSON {"status","at","failures",
//	                    "first","last","err"}; no expiry
//	base+"checkpoint"   the backfill's checkpoint, RFC 3339 with nanoseconds;
//	                    no expiry
//
// Latest is one MGET; a delivery marked longer than the retention ago
// (by the client's clock) counts as forgotten even before Redis expires
// its key. MarkDelivered is one script, atomic in Redis, for all its keys:
// each key replaces its order's delivery unless the one stored is newer
// (a later At, and not forgotten), and clears the order's failures unless
// they are of a newer delivery; so the newest delivery wins whichever
// replica marks last. RecordFailure is one script (count, first and last
// failure, last key and error); Failures is HGETALL; SaveCheckpoint is a
// SET. A method returns an error when Redis could not answer, and the
// backfill then stops its pass without handing anything out, and Deliver
// fails (the live path retries).
//
// # Durability
//
// MarkDelivered, RecordFailure and SaveCheckpoint return once Redis
// applied them: they are as durable as the Redis is. Run it with
// appendonly yes (appendfsync always, or everysec at the cost of the last
// second) and maxmemory-policy noeviction, or a volatile-* policy (only
// the deliveries expire, so only they can be evicted). What a Redis that
// loses writes does:
//
//   - Lost deliveries (a restart without persistence, the last second of
//     everysec, a failover to a replica that lagged) are handed out again:
//     a duplicate, never a loss. Redis loses the last writes first, and the
//     backfill saves a checkpoint only after the deliveries it covers, so
//     a checkpoint never survives the deliveries behind it.
//   - A lost checkpoint makes the next pass start at OrdersOptions.Start:
//     the orders changed since are listed again, and those whose
//     deliveries were lost too are handed out again.
//   - Lost failures make a parked order unknown: an order whose handler
//     kept failing, parked before the loss and older than the next pass's
//     reach, is not handed out again. Keep the Redis persistent, and the
//     parked orders' log lines (reconcile.OrdersBackfill.Parked lists them)
//     as a record.
//
// Replicas delivering the same order at once (the live path on one, the
// backfill on another) may both hand it out: delivery is at least once
// across processes, as with every store; within a process, one order is
// handed out at a time.
//
// Create it with [NewDeliveredStore]; it is safe for concurrent use.
type DeliveredStore struct {
	rdb       redis.UniversalClient
	base      string
	retention time.Duration
	now       func() time.Time
}

var _ reconcile.DeliveredStore = (*DeliveredStore)(nil)

// NewDeliveredStore returns the store of seller's deliveries in rdb. It
// does not contact Redis. Every problem with rdb, seller (empty, or with a
// brace, which would break the keys' hash tag) and opts is reported in
// one *tiki.ValidationError.
func NewDeliveredStore(rdb redis.UniversalClient, seller string, opts ...DeliveredOption) (*DeliveredStore, error) {
	cfg := deliveredConfig{prefix: DefaultDeliveredPrefix, retention: reconcile.DefaultDeliveredRetention}
	cfg.problems.checkClient(isNilClient(rdb))
	switch {
	case seller == "":
		cfg.problems.add("seller", "must not be empty")
	case strings.ContainsAny(seller, "{}"):
		cfg.problems.add("seller", "must not contain { or }, not %q", seller)
	}
	applyOptions(&cfg.problems, "DeliveredOption", &cfg, opts)
	if err := cfg.problems.err(); err != nil {
		return nil, err
	}
	return &DeliveredStore{rdb: rdb, base: cfg.prefix + "{" + seller + "}:", retention: cfg.retention, now: time.Now}, nil
}

// Keys of a seller's store.
func (s *DeliveredStore) orderKey(code string) string { return s.base + "order:" + code }
func (s *DeliveredStore) failuresKey() string         { return s.base + "failures" }
func (s *DeliveredStore) checkpointKey() string       { return s.base + "checkpoint" }

// deliveredProblems collects what is wrong with a store call's arguments.
type deliveredProblems struct{ list []tiki.FieldProblem }

func (p *deliveredProblems) check(ok bool, field, problem string) {
	if !ok {
		p.list = append(p.list, tiki.FieldProblem{Field: field, Problem: problem})
	}
}

// err returns the problems as one *tiki.ValidationError (matching
// tiki.ErrNilContext for a nil ctx), or nil; a store not made by
// NewDeliveredStore fails.
func (p *deliveredProblems) err(s *DeliveredStore) error {
	if len(p.list) > 0 {
		return &tiki.ValidationError{Problems: p.list}
	}
	if s == nil || s.rdb == nil {
		return errors.New("redisstore: the delivered store must be made with NewDeliveredStore")
	}
	return nil
}

// checkCall checks a call's context and keys.
func (s *DeliveredStore) checkCall(ctx context.Context, keys ...reconcile.OrderKey) error {
	var p deliveredProblems
	p.check(ctx != nil, "ctx", "must not be nil")
	for i, k := range keys {
		field := "keys[" + strconv.Itoa(i) + "]."
		p.check(k.Code != "", field+"Code", "is required")
		p.check(k.Status != "", field+"Status", "is required")
		p.check(!k.At.IsZero(), field+"At", "is required")
	}
	return p.err(s)
}

// unixVN is a time of the store, Unix seconds, as the store returns it: in
// Vietnam time.
func unixVN(sec int64) time.Time { return time.Unix(sec, 0).In(tiki.Vietnam()) }

// Latest implements [reconcile.DeliveredStore]: one MGET of the orders'
// keys.
func (s *DeliveredStore) Latest(ctx context.Context, codes []string) ([]reconcile.OrderKey, error) {
	var p deliveredProblems
	p.check(ctx != nil, "ctx", "must not be nil")
	for i, c := range codes {
		p.check(c != "", "codes["+strconv.Itoa(i)+"]", "is required")
	}
	if err := p.err(s); err != nil {
		return nil, err
	}
	out := make([]reconcile.OrderKey, len(codes))
	if len(codes) == 0 {
		return out, nil
	}
	keys := make([]string, len(codes))
	for i, c := range codes {
		keys[i] = s.orderKey(c)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: reading deliveries: %w", err)
	}
	if len(vals) != len(codes) {
		return nil, fmt.Errorf("redisstore: reading deliveries: %d values for %d orders", len(vals), len(codes))
	}
	now := s.now().Unix()
	for i, v := range vals {
		if v == nil {
			continue
		}
		str, ok := v.(string)
		at, marked, status, perr := parseDelivery(str)
		if !ok || perr != nil {
			return nil, fmt.Errorf("redisstore: reading deliveries: %s holds %q, not a delivery", keys[i], v)
		}
		if now-marked < int64(s.retention/time.Second) {
			out[i] = reconcile.OrderKey{Code: codes[i], Status: tiki.OrderStatus(status), At: unixVN(at)}
		}
	}
	return out, nil
}

// parseDelivery reads "<at>:<marked>:<status>".
func parseDelivery(v string) (at, marked int64, status string, err error) {
	a, rest, ok1 := strings.Cut(v, ":")
	m, status, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || status == "" {
		return 0, 0, "", errors.New("not a delivery")
	}
	if at, err = strconv.ParseInt(a, 10, 64); err == nil {
		marked, err = strconv.ParseInt(m, 10, 64)
	}
	return at, marked, status, err
}

// markScript records deliveries. KEYS[1] is the failures hash, KEYS[2..]
// the orders' keys; ARGV[1] is now and ARGV[2] the retention (Unix
// seconds), ARGV[3] the retention in milliseconds, then for each order key
// its code, At and status. A delivery replaces the stored one unless that
// is newer and still remembered; it clears the order's failures unless
// they are of a newer delivery.
var markScript = redis.NewScript(`
local now, keep = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 2, #KEYS do
  local j = 4 + (i - 2) * 3
  local code, at = ARGV[j], tonumber(ARGV[j + 1])
  local cur = redis.call("GET", KEYS[i])
  local replace = true
  if cur then
    local cat, cmarked = string.match(cur, "^(%d+):(%d+):")
    if cat and now - tonumber(cmarked) < keep and tonumber(cat) > at then
      replace = false
    end
  end
  if replace then
    redis.call("SET", KEYS[i], ARGV[j + 1] .. ":" .. ARGV[1] .. ":" .. ARGV[j + 2], "PX", ARGV[3])
  end
  local f = redis.call("HGET", KEYS[1], code)
  if f then
    local ok, rec = pcall(cjson.decode, f)
    if ok and type(rec) == "table" and tonumber(rec.at) and tonumber(rec.at) <= at then
      redis.call("HDEL", KEYS[1], code)
    end
  end
end
return #KEYS - 1
`)

// MarkDelivered implements [reconcile.DeliveredStore]: one script, atomic
// in Redis, records every key (see DeliveredStore).
func (s *DeliveredStore) MarkDelivered(ctx context.Context, keys ...reconcile.OrderKey) error {
	if err := s.checkCall(ctx, keys...); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	redisKeys := make([]string, 0, len(keys)+1)
	redisKeys = append(redisKeys, s.failuresKey())
	now := s.now().Unix()
	args := make([]any, 0, 3+3*len(keys))
	args = append(args, now, int64(s.retention/time.Second), s.retention.Milliseconds())
	for _, k := range keys {
		redisKeys = append(redisKeys, s.orderKey(k.Code))
		args = append(args, k.Code, k.At.Unix(), string(k.Status.Canonical()))
	}
	if err := markScript.Run(ctx, s.rdb, redisKeys, args...).Err(); err != nil {
		return fmt.Errorf("redisstore: recording deliveries: %w", err)
	}
	return nil
}

// failureRecord is an order's failures as the failures hash holds them.
// Numbers are read as float64: Redis's JSON encoder writes them so.
type failureRecord struct {
	Status   string  `json:"status"`
	At       float64 `json:"at"`
	Failures float64 `json:"failures"`
	First    float64 `json:"first"`
	Last     float64 `json:"last"`
	Err      string  `json:"err"`
}

// failure returns the record of code as an OrderFailure.
func (r failureRecord) failure(code string) (reconcile.OrderFailure, error) {
	if r.Status == "" || r.At <= 0 || r.Failures < 1 || r.First <= 0 || r.Last <= 0 {
		return reconcile.OrderFailure{}, errors.New("not an order's failures")
	}
	sec := func(f float64) int64 { return int64(math.Round(f)) }
	return reconcile.OrderFailure{
		Key:      reconcile.OrderKey{Code: code, Status: tiki.OrderStatus(r.Status), At: unixVN(sec(r.At))},
		Failures: int(sec(r.Failures)), First: unixVN(sec(r.First)), Last: unixVN(sec(r.Last)), Err: r.Err,
	}, nil
}

// failScript counts a failed hand-out. KEYS[1] is the failures hash;
// ARGV is the order's code, the key's status and At, now (Unix seconds)
// and the error. It returns the order's record, as JSON.
var failScript = redis.NewScript(`
local rec = nil
local f = redis.call("HGET", KEYS[1], ARGV[1])
if f then
  local ok, old = pcall(cjson.decode, f)
  if ok and type(old) == "table" and tonumber(old.failures) and tonumber(old.first) then
    rec = old
  end
end
if not rec then
  rec = {failures = 0, first = tonumber(ARGV[4])}
end
rec.failures = tonumber(rec.failures) + 1
rec.status, rec.at, rec.last, rec.err = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local out = cjson.encode(rec)
redis.call("HSET", KEYS[1], ARGV[1], out)
return out
`)

// RecordFailure implements [reconcile.DeliveredStore]: one script, atomic
// in Redis, counts the failure in the order's record.
func (s *DeliveredStore) RecordFailure(ctx context.Context, key reconcile.OrderKey, cause string) (reconcile.OrderFailure, error) {
	if err := s.checkCall(ctx, key); err != nil {
		return reconcile.OrderFailure{}, err
	}
	out, err := failScript.Run(ctx, s.rdb, []string{s.failuresKey()},
		key.Code, string(key.Status.Canonical()), key.At.Unix(), s.now().Unix(), cause).Text()
	if err != nil {
		return reconcile.OrderFailure{}, fmt.Errorf("redisstore: recording a failed delivery: %w", err)
	}
	f, err := decodeFailure(key.Code, out)
	if err != nil {
		return reconcile.OrderFailure{}, fmt.Errorf("redisstore: recording a failed delivery: %s of %s: %w", key.Code, s.failuresKey(), err)
	}
	return f, nil
}

// decodeFailure reads the record of code in the failures hash.
func decodeFailure(code, v string) (reconcile.OrderFailure, error) {
	var r failureRecord
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return reconcile.OrderFailure{}, err
	}
	return r.failure(code)
}

// Failures implements [reconcile.DeliveredStore]: HGETALL of the failures
// hash, sorted by order code.
func (s *DeliveredStore) Failures(ctx context.Context) ([]reconcile.OrderFailure, error) {
	if err := s.checkCall(ctx); err != nil {
		return nil, err
	}
	all, err := s.rdb.HGetAll(ctx, s.failuresKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: reading failed deliveries: %w", err)
	}
	out := make([]reconcile.OrderFailure, 0, len(all))
	for code, v := range all {
		f, err := decodeFailure(code, v)
		if err != nil {
			return nil, fmt.Errorf("redisstore: reading failed deliveries: field %s of %s holds %q: %w", code, s.failuresKey(), v, err)
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b reconcile.OrderFailure) int { return strings.Compare(a.Key.Code, b.Key.Code) })
	return out, nil
}

// Checkpoint implements [reconcile.DeliveredStore]: GET of the checkpoint
// key.
func (s *DeliveredStore) Checkpoint(ctx context.Context) (time.Time, error) {
	if err := s.checkCall(ctx); err != nil {
		return time.Time{}, err
	}
	v, err := s.rdb.Get(ctx, s.checkpointKey()).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("redisstore: reading the checkpoint: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("redisstore: reading the checkpoint: %s holds %q, not a time", s.checkpointKey(), v)
	}
	return t, nil
}

// SaveCheckpoint implements [reconcile.DeliveredStore]: SET of the
// checkpoint key, without expiry.
func (s *DeliveredStore) SaveCheckpoint(ctx context.Context, t time.Time) error {
	if err := s.checkCall(ctx); err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.checkpointKey(), t.Format(time.RFC3339Nano), 0).Err(); err != nil {
		return fmt.Errorf("redisstore: saving the checkpoint: %w", err)
	}
	return nil
}
