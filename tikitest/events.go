package tikitest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
)

// The event queue side of the fake: Tiki's pull-based notifications.
//
//	GET   /integration/v1/queues
//	POST  /integration/v1/queues                                {"name"}
//	GET   /integration/v1/queues/{code}/subscriptions
//	POST  /integration/v1/queues/{code}/subscriptions           {"event_type"}
//	PUT   /integration/v1/queues/{code}/subscriptions/{sub}     {"active"} (PATCH too)
//	POST  /integration/v1/queues/{code}/events/pull             {"ack_id"}
//
// Queues belong to the app: the seller key, the fake's access token and the
// tokens it issues act as the app and as its own seller (an in-house app).
// A token of another seller who authorized the app (AddSeller, GrantToken,
// the consent flow of ApproveConsent) is that seller's token:
// it may subscribe that seller to the app's queues, and nothing else.
//
// An event goes to every queue that has an active subscription of its type
// and seller, made at least the routing delay earlier on the fake's clock.
// A pull answers the oldest unacknowledged events of the queue (at most the
// batch size) with a new ack id; the next pull acknowledges that batch by
// sending the ack id back. A pull without an ack id, or with an older one,
// acknowledges nothing new and answers the unacknowledged events again: at
// least once, in order. An ack id the queue never issued is refused (400).

// DefaultEventBatchSize is the most events one pull answers, unless
// Server.SetEventBatchSize changes it. Tiki documents no batch size.
const DefaultEventBatchSize = 100

// eventTypeName is the form of an event type name: Tiki adds types, so the
// fake accepts any upper-case name.
var eventTypeName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// eventState is the fake's event queues; every field is guarded by
// Server.mu and set up on first use.
type eventState struct {
	ready      bool
	batch      int
	delay      time.Duration
	defaultSID int64
	queues     map[string]*eventQueue
	order      []*eventQueue // in creation order
	dropPulls  int           // pull answers still to lose
}

type eventQueue struct {
	serial uint32 // identifies the queue inside its ack ids
	code   string
	name   string
	subs   []*eventSub
	// log holds the unacknowledged events; start is the position of
	// log[0] in the queue since it was created, which is also how many
	// events were acknowledged.
	log    []*queuedEvent
	start  int64
	pulls  uint64 // answers issued
	issued int64  // the furthest position an issued ack id covers
}

type eventSub struct {
	code      string
	eventType string
	sid       int64
	active    bool
	since     time.Time // routing starts (again) at this time
}

// queuedEvent is an event as a pull answers it.
type queuedEvent struct {
	ID        string          `json:"id"`
	SID       string          `json:"sid"`
	CreatedAt int64           `json:"created_at"`
	Type      string          `json:"type"`
	Version   string          `json:"version"`
	Payload   json.RawMessage `json:"payload"`
}

// EventQueueInfo is the state of one of the fake's event queues, for
// assertions in tests.
type EventQueueInfo struct {
	// Code and Name are the queue's code and name.
	Code, Name string
	// Pending is how many routed events are not acknowledged yet.
	Pending int
	// Acknowledged is how many events were acknowledged since the queue
	// was created; it never decreases.
	Acknowledged int64
	// Pulls is how many pull answers the queue issued.
	Pulls int
	// Subscriptions and ActiveSubscriptions count its subscriptions.
	Subscriptions, ActiveSubscriptions int
}

// eventRoutes registers the event queue endpoints.
func (s *Server) eventRoutes(api apiFunc) {
	api("GET /integration/v1/queues", s.listQueues)
	api("POST /integration/v1/queues", s.createQueue)
	api("GET /integration/v1/queues/{code}/subscriptions", s.listSubscriptions)
	api("POST /integration/v1/queues/{code}/subscriptions", s.createSubscription)
	api("PUT /integration/v1/queues/{code}/subscriptions/{sub}", s.updateSubscription)
	api("PATCH /integration/v1/queues/{code}/subscriptions/{sub}", s.updateSubscription)
	api("POST /integration/v1/queues/{code}/events/pull", s.pullEvents)
}

// evs returns the event state, set up on first use. s.mu must be held.
func (s *Server) evs() *eventState {
	st := &s.events
	if st.ready {
		return st
	}
	st.ready = true
	st.batch = DefaultEventBatchSize
	st.queues = map[string]*eventQueue{}
	var seller struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal(s.state.orders.seller, &seller) != nil || seller.ID <= 0 {
		panic("tikitest: bad embedded sellers_me.json") // a build defect, caught by the package's tests
	}
	st.defaultSID = seller.ID
	return st
}

// DefaultSellerID returns the id of the fake's own seller (the one
// GET /v2/sellers/me describes): the sid of the events of its orders and
// products.
func (s *Server) DefaultSellerID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evs().defaultSID
}

// AddSeller makes another seller known to the fake and returns a Bearer
// token of that seller authorized to the fake's app, as a public app holds
// one per seller. The token is accepted until ExpireTokens; with it, a
// test subscribes the seller to the app's queues (the subscription's and
// its events' sid is sellerID). It cannot create, list or pull queues,
// which belong to the app. A sellerID that is not positive, or is the
// fake's own seller's (DefaultSellerID), is refused with a
// *tiki.ValidationError.
func (s *Server) AddSeller(sellerID int64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.evs()
	var bad problems
	bad.check(sellerID > 0, "sellerID", fmt.Sprintf("must be positive, not %d", sellerID))
	bad.check(sellerID != st.defaultSID, "sellerID", fmt.Sprintf("must not be %d, the fake's own seller: use its credentials", sellerID))
	if err := bad.err(); err != nil {
		return "", err
	}
	tok := "seller-" + randomToken(len(s.tokens))
	g := &grant{clientID: s.cfg.clientID, seller: sellerID}
	s.grants = append(s.grants, g)
	s.tokens[tok] = s.cfg.now().Add(100 * 365 * 24 * time.Hour)
	s.tokenGrant[tok] = g
	g.access = append(g.access, tok)
	return tok, nil
}

// SetEventBatchSize sets the most events one pull answers (n <= 0 restores
// DefaultEventBatchSize).
func (s *Server) SetEventBatchSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		n = DefaultEventBatchSize
	}
	s.evs().batch = n
}

// SetEventRoutingDelay sets how long after a subscription is made (or made
// active again), on the fake's clock, its events start going to the queue
// (default 0; Tiki says about 5 s). Events in between are not routed to
// that queue. A negative d counts as 0.
func (s *Server) SetEventRoutingDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs().delay = max(d, 0)
}

// DropPullAnswers makes the next n pulls (of any queue) lose their answer:
// each is carried out (the batch its ack id names is acknowledged and a new
// batch is issued), then the connection is closed without an answer, as
// when a network fails after Tiki acted. Use it to prove that repeating a
// pull is harmless. n <= 0 cancels the drops still armed.
func (s *Server) DropPullAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs().dropPulls = max(n, 0)
}

// EventQueue returns the state of the event queue with this code, and
// whether it exists.
func (s *Server) EventQueue(code string) (EventQueueInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.evs().queues[code]
	if !ok {
		return EventQueueInfo{}, false
	}
	info := EventQueueInfo{Code: q.code, Name: q.name, Pending: len(q.log), Acknowledged: q.start,
		Pulls: int(q.pulls), Subscriptions: len(q.subs)}
	for _, sub := range q.subs {
		if sub.active {
			info.ActiveSubscriptions++
		}
	}
	return info, true
}

// EmitEvent publishes an event of the seller sid, as Tiki does when
// something happens: it goes to every queue subscribed to its type for that
// seller (see SetEventRoutingDelay), or nowhere. The type may be one Tiki
// does not document yet (an upper-case name, as subscriptions take). The
// payload is encoded as JSON as it is (Tiki sends an object; a test may
// send anything, to check a consumer's handling of unknown types, versions
// and shapes). It returns the event's id. A sid that is not positive, a
// type that is not such a name or a payload that does not encode is
// refused with a *tiki.ValidationError.
func (s *Server) EmitEvent(sid int64, eventType tiki.EventType, version string, payload any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publishEvent(sid, eventType, version, payload)
}

// publishEvent publishes an event (see EmitEvent); the order and product
// code of the fake calls it when they change. s.mu must be held.
func (s *Server) publishEvent(sid int64, eventType tiki.EventType, version string, payload any) (string, error) {
	st := s.evs()
	var bad problems
	bad.check(sid > 0, "sid", fmt.Sprintf("must be positive, not %d", sid))
	bad.check(eventTypeName.MatchString(string(eventType)), "eventType",
		fmt.Sprintf("must be an upper-case name such as %s, not %q", tiki.EventOrderCreated, eventType))
	raw, err := json.Marshal(payload)
	if err != nil {
		bad.add("payload", "does not encode as JSON: "+err.Error())
	}
	if err := bad.err(); err != nil {
		return "", err
	}
	now := s.cfg.now()
	ev := &queuedEvent{ID: newUUID(), SID: strconv.FormatInt(sid, 10), CreatedAt: now.UnixMilli(),
		Type: string(eventType), Version: version, Payload: raw}
	for _, q := range st.order {
		for _, sub := range q.subs {
			if sub.active && sub.sid == sid && sub.eventType == string(eventType) && !now.Before(sub.since) {
				q.log = append(q.log, ev)
				break
			}
		}
	}
	return ev.ID, nil
}

// publishOwnEvent publishes an event of the fake's own seller. The fake's
// own changes always have a valid sid, type and payload, so there is no
// error to report. s.mu must be held.
func (s *Server) publishOwnEvent(eventType tiki.EventType, version string, payload any) {
	_, _ = s.publishEvent(s.evs().defaultSID, eventType, version, payload)
}

// Payloads of the product events the fake publishes, as Tiki documents them
// (prices are strings).
type (
	pricePayload struct {
		ProductID   int64  `json:"product_id"`
		OriginalSKU string `json:"original_sku"`
		PriceFrom   string `json:"price_from"`
		PriceTo     string `json:"price_to"`
	}
	marketPricePayload struct {
		ProductID       int64  `json:"product_id"`
		OriginalSKU     string `json:"original_sku"`
		MarketPriceFrom string `json:"market_price_from"`
		MarketPriceTo   string `json:"market_price_to"`
	}
	inventoryPayload struct {
		ProductID             int64  `json:"product_id"`
		OriginalSKU           string `json:"original_sku"`
		WarehouseID           int64  `json:"warehouse_id"`
		QuantityFrom          int    `json:"quantity_from"`
		QuantityTo            int    `json:"quantity_to"`
		QuantityAvailableFrom int    `json:"quantity_available_from"`
		QuantityAvailableTo   int    `json:"quantity_available_to"`
		QuantityReservedFrom  int    `json:"quantity_reserved_from"`
		QuantityReservedTo    int    `json:"quantity_reserved_to"`
		QuantitySellableFrom  int    `json:"quantity_sellable_from"`
		QuantitySellableTo    int    `json:"quantity_sellable_to"`
	}
)

// publishOrderCreated publishes ORDER_CREATED_SUCCESSFULLY (v1) for an
// order of the fake's own seller that was just placed. s.mu must be held.
func (s *Server) publishOrderCreated(code, status string) {
	s.publishOwnEvent(tiki.EventOrderCreated, "v1", struct {
		OrderCode string `json:"order_code"`
		Status    string `json:"status"`
	}{code, status})
}

// publishOrderStatus publishes ORDER_STATUS_UPDATED (v1) for an order of
// the fake's own seller whose status changed; like Tiki, the payload also
// carries the order code under the camel-case key orderCode. s.mu must be
// held.
func (s *Server) publishOrderStatus(code, status string) {
	s.publishOwnEvent(tiki.EventOrderStatusUpdated, "v1", struct {
		OrderCode      string `json:"order_code"`
		OrderCodeCamel string `json:"orderCode"`
		Status         string `json:"status"`
	}{code, code, status})
}

// publishProductChanges publishes PRODUCT_PRICE_UPDATED and
// PRODUCT_MARKET_PRICE_UPDATED (v1) when p's prices differ from the ones
// given, and PRODUCT_INVENTORY_UPDATED (v2) for each seller warehouse whose
// quantity available differs, in warehouse order, with the units orders
// hold (see stock.go). s.mu must be held.
func (s *Server) publishProductChanges(p *fakeProduct, price, marketPrice int64, stock map[int64]int) {
	if p.price != price {
		s.publishOwnEvent(tiki.EventProductPriceUpdated, "v1", pricePayload{ProductID: p.id, OriginalSKU: p.originalSKU,
			PriceFrom: strconv.FormatInt(price, 10), PriceTo: strconv.FormatInt(p.price, 10)})
	}
	if p.marketPrice != marketPrice {
		s.publishOwnEvent(tiki.EventProductMarketPriceUpdated, "v1", marketPricePayload{ProductID: p.id, OriginalSKU: p.originalSKU,
			MarketPriceFrom: strconv.FormatInt(marketPrice, 10), MarketPriceTo: strconv.FormatInt(p.marketPrice, 10)})
	}
	var ids []int64
	for id := range stock {
		ids = append(ids, id)
	}
	for id := range p.stock {
		if _, ok := stock[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		res := s.reservedUnits(p, id)
		from := StockLevel{Warehouse: id, Available: stock[id], Reserved: res, Sellable: max(stock[id]-res, 0)}
		s.publishInventory(p, id, from, s.stockLevel(p, id))
	}
}

// eventCaller is who calls an event queue endpoint.
type eventCaller struct {
	app bool  // the app (and its own seller), not another seller's token
	sid int64 // the seller
}

// caller tells the app from the token of a seller who authorized the app
// (AddSeller, GrantToken, the consent flow). The request is already
// authenticated. s.mu must be held.
func (s *Server) caller(r *http.Request) eventCaller {
	st := s.evs()
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && r.Header.Get("tiki-api") == "" {
		if sid := s.sellerOfToken(tok); sid != 0 {
			return eventCaller{sid: sid}
		}
	}
	return eventCaller{app: true, sid: st.defaultSID}
}

const msgQueueOwner = "The queue belongs to the app: use the app's own token, not a token a seller authorized"

// queueFor finds the queue named in the path, answering 404 when there is
// none. s.mu must be held.
func (s *Server) queueFor(w http.ResponseWriter, r *http.Request) (*eventQueue, bool) {
	code := r.PathValue("code")
	q, ok := s.evs().queues[code]
	if !ok {
		writeErrors(w, http.StatusNotFound, "Queue not found: "+code)
	}
	return q, ok
}

func (q *eventQueue) view() map[string]any {
	return map[string]any{"code": q.code, "name": q.name, "status": "ACTIVE"}
}

func (sub *eventSub) view() map[string]any {
	return map[string]any{"code": sub.code, "active": sub.active, "event_type": sub.eventType, "sid": strconv.FormatInt(sub.sid, 10)}
}

// GET /integration/v1/queues: the app's queues, oldest first.
func (s *Server) listQueues(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.caller(r).app {
		writeErrors(w, http.StatusForbidden, msgQueueOwner)
		return
	}
	out := make([]map[string]any, 0, len(s.evs().order))
	for _, q := range s.evs().order {
		out = append(out, q.view())
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /integration/v1/queues {"name"}: a new queue of the app.
func (s *Server) createQueue(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name *string `json:"name"`
	}
	if !readEventBody(w, r, &in, false) {
		return
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		writeErrors(w, http.StatusBadRequest, "name is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.caller(r).app {
		writeErrors(w, http.StatusForbidden, msgQueueOwner)
		return
	}
	st := s.evs()
	q := &eventQueue{serial: uint32(len(st.order) + 1), code: newUUID(), name: *in.Name}
	st.queues[q.code] = q
	st.order = append(st.order, q)
	writeJSON(w, http.StatusOK, q.view())
}

// GET /integration/v1/queues/{code}/subscriptions: every subscription of
// the queue for the app, the seller's own for a seller token.
func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueFor(w, r)
	if !ok {
		return
	}
	who := s.caller(r)
	out := make([]map[string]any, 0, len(q.subs))
	for _, sub := range q.subs {
		if who.app || sub.sid == who.sid {
			out = append(out, sub.view())
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /integration/v1/queues/{code}/subscriptions {"event_type"}: routes
// the caller's seller's events of that type to the queue. Subscribing again
// answers the existing subscription, active again.
func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	var in struct {
		EventType *string `json:"event_type"`
	}
	if !readEventBody(w, r, &in, false) {
		return
	}
	switch {
	case in.EventType == nil || *in.EventType == "":
		writeErrors(w, http.StatusBadRequest, "event_type is required")
		return
	case !eventTypeName.MatchString(*in.EventType):
		writeErrors(w, http.StatusBadRequest, "event_type is not supported: "+*in.EventType)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueFor(w, r)
	if !ok {
		return
	}
	who := s.caller(r)
	for _, sub := range q.subs {
		if sub.eventType == *in.EventType && sub.sid == who.sid {
			s.activate(sub, true)
			writeJSON(w, http.StatusOK, sub.view())
			return
		}
	}
	sub := &eventSub{code: newUUID(), eventType: *in.EventType, sid: who.sid}
	s.activate(sub, true)
	q.subs = append(q.subs, sub)
	writeJSON(w, http.StatusOK, sub.view())
}

// activate switches a subscription on or off; switched on, its routing
// starts after the routing delay. s.mu must be held.
func (s *Server) activate(sub *eventSub, on bool) {
	if on && !sub.active {
		sub.since = s.cfg.now().Add(s.evs().delay)
	}
	sub.active = on
}

// PUT (or PATCH) /integration/v1/queues/{code}/subscriptions/{sub}
// {"active"}: switches a subscription on or off.
func (s *Server) updateSubscription(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Active *bool `json:"active"`
	}
	if !readEventBody(w, r, &in, false) {
		return
	}
	if in.Active == nil {
		writeErrors(w, http.StatusBadRequest, "active is required (true or false)")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queueFor(w, r)
	if !ok {
		return
	}
	who := s.caller(r)
	code := r.PathValue("sub")
	for _, sub := range q.subs {
		if sub.code == code && (who.app || sub.sid == who.sid) {
			s.activate(sub, *in.Active)
			writeJSON(w, http.StatusOK, sub.view())
			return
		}
	}
	writeErrors(w, http.StatusNotFound, "Subscription not found: "+code)
}

// POST /integration/v1/queues/{code}/events/pull {"ack_id"}: acknowledges
// the batch the ack id names, if it is newer than what was acknowledged,
// and answers the oldest unacknowledged events with a new ack id.
func (s *Server) pullEvents(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AckID *string `json:"ack_id"`
	}
	if !readEventBody(w, r, &in, true) {
		return
	}
	s.mu.Lock()
	q, ok := s.queueFor(w, r)
	if !ok {
		s.mu.Unlock()
		return
	}
	if !s.caller(r).app {
		s.mu.Unlock()
		writeErrors(w, http.StatusForbidden, msgQueueOwner)
		return
	}
	if in.AckID != nil && *in.AckID != "" {
		end, ok := q.parseAckID(*in.AckID)
		if !ok {
			s.mu.Unlock()
			writeErrors(w, http.StatusBadRequest, "ack_id "+*in.AckID+" is not valid for this queue")
			return
		}
		if n := int(end - q.start); n > 0 {
			clear(q.log[:n])
			q.log = q.log[n:]
			q.start = end
		}
	}
	st := s.evs()
	batch := make([]*queuedEvent, min(st.batch, len(q.log))) // never null in the answer
	copy(batch, q.log)
	q.pulls++
	end := q.start + int64(len(batch))
	q.issued = max(q.issued, end)
	ack := q.ackID(q.pulls, end)
	drop := st.dropPulls > 0
	if drop {
		st.dropPulls--
	}
	s.mu.Unlock()
	if drop {
		hangUp(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": batch, "ack_id": ack})
}

// ackID names the answer to pull number n, whose events end at position
// end of the queue. It has the form of a UUID, as Tiki's ack ids do; the
// fake reads the queue, the pull and the position back from it instead of
// keeping every ack id it issued.
func (q *eventQueue) ackID(n uint64, end int64) string {
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", q.serial, n>>24&0xffff, n>>12&0xfff, n&0xfff, end)
}

// parseAckID returns the position an ack id of this queue acknowledges up
// to, and whether the queue issued it.
func (q *eventQueue) parseAckID(id string) (int64, bool) {
	parts := strings.Split(id, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 ||
		len(parts[4]) != 12 || parts[2][0] != '4' || parts[3][0] != 'a' {
		return 0, false
	}
	hex := func(s string) (uint64, bool) {
		n, err := strconv.ParseUint(s, 16, 64)
		return n, err == nil
	}
	serial, ok1 := hex(parts[0])
	hi, ok2 := hex(parts[1])
	mid, ok3 := hex(parts[2][1:])
	lo, ok4 := hex(parts[3][1:])
	end, ok5 := hex(parts[4])
	n := hi<<24 | mid<<12 | lo
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || serial != uint64(q.serial) || n == 0 || n > q.pulls ||
		end > uint64(q.issued) {
		return 0, false
	}
	return int64(end), true
}

// readEventBody decodes a JSON object body into v, answering 400 when it is
// not one. An empty body is allowed when emptyOK.
func readEventBody(w http.ResponseWriter, r *http.Request, v any, emptyOK bool) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "Invalid payload: the body could not be read")
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 && emptyOK {
		return true
	}
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		writeErrors(w, http.StatusBadRequest, "Invalid payload: the body must be a JSON object")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeErrors(w, http.StatusBadRequest, "Invalid payload: "+err.Error())
		return false
	}
	return true
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// No connection to hang up (an HTTP/2 or recorded response): end with
	// an empty body and ask the client to close.
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusBadGateway)
}

// newUUID returns a random version 4 UUID, the form of Tiki's codes and ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
