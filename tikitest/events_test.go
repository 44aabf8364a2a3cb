package tikitest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

var evUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// evCall sends a raw request to the fake with a Bearer token (the fake's
// own access token when token is empty) and returns the status and body.
func evCall(t *testing.T, srv *tikitest.Server, token, method, path, body string) (int, string) {
	t.Helper()
	if token == "" {
		token = srv.AccessToken()
	}
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// evOK sends a request that must succeed and decodes its answer into out.
func evOK(t *testing.T, srv *tikitest.Server, token, method, path, body string, out any) {
	t.Helper()
	code, got := evCall(t, srv, token, method, path, body)
	require.Equal(t, http.StatusOK, code, "%s %s: %s", method, path, got)
	require.NoError(t, json.Unmarshal([]byte(got), out), got)
}

// evErrors checks that a request is answered with Tiki's error shape and
// exactly these messages.
func evErrors(t *testing.T, srv *tikitest.Server, token, method, path, body string, status int, messages ...string) {
	t.Helper()
	code, got := evCall(t, srv, token, method, path, body)
	assert.Equal(t, status, code, "%s %s: %s", method, path, got)
	want, err := json.Marshal(map[string][]string{"errors": messages})
	require.NoError(t, err)
	assert.JSONEq(t, string(want), got, "%s %s", method, path)
}

type evQueue struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type evSub struct {
	Code      string `json:"code"`
	Active    bool   `json:"active"`
	EventType string `json:"event_type"`
	SID       string `json:"sid"`
}

type evEvent struct {
	ID        string          `json:"id"`
	SID       string          `json:"sid"`
	CreatedAt int64           `json:"created_at"`
	Type      string          `json:"type"`
	Version   string          `json:"version"`
	Payload   json.RawMessage `json:"payload"`
}

type evBatch struct {
	Events []evEvent `json:"events"`
	AckID  string    `json:"ack_id"`
}

func evCreateQueue(t *testing.T, srv *tikitest.Server, name string) string {
	t.Helper()
	var q evQueue
	evOK(t, srv, "", "POST", "/v1/queues", `{"name": "`+name+`"}`, &q)
	return q.Code
}

func evSubscribe(t *testing.T, srv *tikitest.Server, token, queue, eventType string) evSub {
	t.Helper()
	var sub evSub
	evOK(t, srv, token, "POST", "/v1/queues/"+queue+"/subscriptions", `{"event_type": "`+eventType+`"}`, &sub)
	return sub
}

// evPull pulls with ackID ("" sends null) and returns the batch.
func evPull(t *testing.T, srv *tikitest.Server, queue, ackID string) evBatch {
	t.Helper()
	body := `{"ack_id": null}`
	if ackID != "" {
		body = `{"ack_id": "` + ackID + `"}`
	}
	var b evBatch
	evOK(t, srv, "", "POST", "/v1/queues/"+queue+"/events/pull", body, &b)
	require.NotNil(t, b.Events, "events is never null")
	require.Regexp(t, evUUID, b.AckID)
	return b
}

func evIDs(b evBatch) []string {
	ids := make([]string, 0, len(b.Events))
	for _, e := range b.Events {
		ids = append(ids, e.ID)
	}
	return ids
}

func evEmit(t *testing.T, srv *tikitest.Server, sid int64, eventType tiki.EventType, payload any) string {
	t.Helper()
	id, err := srv.EmitEvent(sid, eventType, "v1", payload)
	require.NoError(t, err)
	require.Regexp(t, evUUID, id)
	return id
}

func evInfo(t *testing.T, srv *tikitest.Server, queue string) tikitest.EventQueueInfo {
	t.Helper()
	info, ok := srv.EventQueue(queue)
	require.True(t, ok)
	return info
}

func TestEventQueuesCreateAndList(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	code, body := evCall(t, srv, "", "GET", "/v1/queues", "")
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `[]`, body)

	code, body = evCall(t, srv, "", "POST", "/v1/queues", `{"name": "queue 1"}`)
	require.Equal(t, http.StatusOK, code, body)
	var q1 evQueue
	require.NoError(t, json.Unmarshal([]byte(body), &q1))
	assert.Regexp(t, evUUID, q1.Code)
	assert.JSONEq(t, `{"code": "`+q1.Code+`", "name": "queue 1", "status": "ACTIVE"}`, body)
	q2 := evCreateQueue(t, srv, "queue 2")
	assert.NotEqual(t, q1.Code, q2)

	// The seller key is the app too.
	req, err := http.NewRequest("GET", srv.URL+"/v1/queues", nil)
	require.NoError(t, err)
	req.Header.Set("tiki-api", srv.SellerKey())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.JSONEq(t, `[{"code": "`+q1.Code+`", "name": "queue 1", "status": "ACTIVE"},
		{"code": "`+q2+`", "name": "queue 2", "status": "ACTIVE"}]`, string(b))

	evErrors(t, srv, "", "POST", "/v1/queues", `{}`, 400, "name is required")
	evErrors(t, srv, "", "POST", "/v1/queues", `{"name": "  "}`, 400, "name is required")
	evErrors(t, srv, "", "POST", "/v1/queues", ``, 400, "Invalid payload: the body must be a JSON object")
	evErrors(t, srv, "", "POST", "/v1/queues", `["queue"]`, 400, "Invalid payload: the body must be a JSON object")
	evErrors(t, srv, "", "POST", "/v1/queues", `{"name": 5}`, 400,
		"Invalid payload: json: cannot unmarshal number into Go struct field .name of type string")
	code, _ = evCall(t, srv, "not-a-token", "GET", "/v1/queues", "")
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestEventSubscriptions(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	q := evCreateQueue(t, srv, "orders")
	path := "/v1/queues/" + q + "/subscriptions"

	code, body := evCall(t, srv, "", "POST", path, `{"event_type": "ORDER_CREATED_SUCCESSFULLY"}`)
	require.Equal(t, http.StatusOK, code, body)
	var created evSub
	require.NoError(t, json.Unmarshal([]byte(body), &created))
	assert.Regexp(t, evUUID, created.Code)
	assert.JSONEq(t, `{"code": "`+created.Code+`", "active": true, "event_type": "ORDER_CREATED_SUCCESSFULLY", "sid": "328785"}`, body)
	assert.Equal(t, int64(328785), srv.DefaultSellerID())

	again := evSubscribe(t, srv, "", q, "ORDER_CREATED_SUCCESSFULLY")
	assert.Equal(t, created, again, "subscribing again answers the same subscription")
	status := evSubscribe(t, srv, "", q, "ORDER_STATUS_UPDATED")

	var list []evSub
	evOK(t, srv, "", "GET", path, "", &list)
	assert.Equal(t, []evSub{created, status}, list)

	var off evSub
	evOK(t, srv, "", "PUT", path+"/"+created.Code, `{"active": false}`, &off)
	assert.False(t, off.Active)
	assert.Equal(t, created.Code, off.Code)
	evOK(t, srv, "", "GET", path, "", &list)
	assert.False(t, list[0].Active)
	assert.True(t, list[1].Active)
	info := evInfo(t, srv, q)
	assert.Equal(t, 2, info.Subscriptions)
	assert.Equal(t, 1, info.ActiveSubscriptions)

	var on evSub
	evOK(t, srv, "", "PATCH", path+"/"+created.Code, `{"active": true}`, &on)
	assert.Equal(t, created, on)
	// Subscribing again makes an inactive subscription active.
	evOK(t, srv, "", "PUT", path+"/"+status.Code, `{"active": false}`, &off)
	assert.Equal(t, status, evSubscribe(t, srv, "", q, "ORDER_STATUS_UPDATED"))

	evErrors(t, srv, "", "POST", path, `{}`, 400, "event_type is required")
	evErrors(t, srv, "", "POST", path, `{"event_type": "order_created"}`, 400, "event_type is not supported: order_created")
	evErrors(t, srv, "", "PUT", path+"/"+created.Code, `{}`, 400, "active is required (true or false)")
	evErrors(t, srv, "", "PUT", path+"/"+created.Code, `{"active": "no"}`, 400,
		"Invalid payload: json: cannot unmarshal string into Go struct field .active of type bool")
	evErrors(t, srv, "", "PUT", path+"/nope", `{"active": true}`, 404, "Subscription not found: nope")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/queues/nope/subscriptions", ""},
		{"POST", "/v1/queues/nope/subscriptions", `{"event_type": "ORDER_STATUS_UPDATED"}`},
		{"PUT", "/v1/queues/nope/subscriptions/" + created.Code, `{"active": true}`},
		{"POST", "/v1/queues/nope/events/pull", `{"ack_id": null}`},
	} {
		evErrors(t, srv, "", c.method, c.path, c.body, 404, "Queue not found: nope")
	}
	_, ok := srv.EventQueue("nope")
	assert.False(t, ok)
}

func TestEventPullDeliversInOrderAndAcknowledges(t *testing.T) {
	t.Parallel()
	clock := prodNewClock(t, "2026-03-01 10:00:00")
	srv := tikitest.NewServer(t, tikitest.WithClock(clock.Now))
	srv.SetEventBatchSize(2)
	q := evCreateQueue(t, srv, "all")
	evSubscribe(t, srv, "", q, "ORDER_STATUS_UPDATED")
	sid := srv.DefaultSellerID()
	var ids []string
	for i := range 5 {
		ids = append(ids, evEmit(t, srv, sid, "ORDER_STATUS_UPDATED", map[string]any{"order_code": fmt.Sprint(100 + i), "status": "picking"}))
		clock.Advance(time.Millisecond)
	}

	code, body := evCall(t, srv, "", "POST", "/v1/queues/"+q+"/events/pull", `{"ack_id": null}`)
	require.Equal(t, http.StatusOK, code, body)
	var first evBatch
	require.NoError(t, json.Unmarshal([]byte(body), &first))
	want := fmt.Sprintf(`{"ack_id": %q, "events": [
		{"id": %q, "sid": "328785", "created_at": %d, "type": "ORDER_STATUS_UPDATED", "version": "v1",
		 "payload": {"order_code": "100", "status": "picking"}},
		{"id": %q, "sid": "328785", "created_at": %d, "type": "ORDER_STATUS_UPDATED", "version": "v1",
		 "payload": {"order_code": "101", "status": "picking"}}]}`,
		first.AckID, ids[0], prodAt(t, "2026-03-01 10:00:00").UnixMilli(), ids[1], prodAt(t, "2026-03-01 10:00:00").UnixMilli()+1)
	assert.JSONEq(t, want, body)

	second := evPull(t, srv, q, first.AckID)
	assert.Equal(t, ids[2:4], evIDs(second))
	assert.Equal(t, int64(2), evInfo(t, srv, q).Acknowledged)
	third := evPull(t, srv, q, second.AckID)
	assert.Equal(t, ids[4:], evIDs(third))
	empty := evPull(t, srv, q, third.AckID)
	assert.Empty(t, empty.Events)
	info := evInfo(t, srv, q)
	assert.Equal(t, tikitest.EventQueueInfo{Code: q, Name: "all", Pending: 0, Acknowledged: 5, Pulls: 4,
		Subscriptions: 1, ActiveSubscriptions: 1}, info)
	// An empty batch's ack id acknowledges nothing more.
	assert.Empty(t, evPull(t, srv, q, empty.AckID).Events)
	assert.Equal(t, int64(5), evInfo(t, srv, q).Acknowledged)

	// An empty body pulls like a null ack id.
	code, body = evCall(t, srv, "", "POST", "/v1/queues/"+q+"/events/pull", ``)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"events":[]`)
}

func TestEventPullRedeliversUnacknowledgedBatch(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	srv.SetEventBatchSize(2)
	q := evCreateQueue(t, srv, "orders")
	evSubscribe(t, srv, "", q, "ORDER_CREATED_SUCCESSFULLY")
	var ids []string
	for i := range 3 {
		ids = append(ids, evEmit(t, srv, srv.DefaultSellerID(), "ORDER_CREATED_SUCCESSFULLY", map[string]string{"order_code": fmt.Sprint(i)}))
	}

	a := evPull(t, srv, q, "")
	assert.Equal(t, ids[:2], evIDs(a))
	again := evPull(t, srv, q, "") // no ack id: the same batch again
	assert.Equal(t, evIDs(a), evIDs(again))
	assert.NotEqual(t, a.AckID, again.AckID, "every answer has its own ack id")
	assert.Equal(t, int64(0), evInfo(t, srv, q).Acknowledged)

	b := evPull(t, srv, q, a.AckID)
	assert.Equal(t, ids[2:], evIDs(b))
	// The same ack id again (as after a lost answer): nothing more is
	// acknowledged and the unacknowledged batch comes again.
	b2 := evPull(t, srv, q, a.AckID)
	assert.Equal(t, evIDs(b), evIDs(b2))
	b3 := evPull(t, srv, q, again.AckID) // another answer for the same events
	assert.Equal(t, evIDs(b), evIDs(b3))
	assert.Equal(t, int64(2), evInfo(t, srv, q).Acknowledged)

	done := evPull(t, srv, q, b2.AckID)
	assert.Empty(t, done.Events)
	assert.Equal(t, int64(3), evInfo(t, srv, q).Acknowledged)
	// An old ack id never moves the acknowledgement backwards.
	assert.Empty(t, evPull(t, srv, q, a.AckID).Events)
	assert.Equal(t, int64(3), evInfo(t, srv, q).Acknowledged)

	// Events routed after a pull join the unacknowledged batch.
	id := evEmit(t, srv, srv.DefaultSellerID(), "ORDER_CREATED_SUCCESSFULLY", map[string]string{"order_code": "9"})
	assert.Equal(t, []string{id}, evIDs(evPull(t, srv, q, b.AckID)))
}

func TestEventPullRefusesUnknownAckID(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	q1 := evCreateQueue(t, srv, "one")
	q2 := evCreateQueue(t, srv, "two")
	evSubscribe(t, srv, "", q1, "ORDER_STATUS_UPDATED")
	evEmit(t, srv, srv.DefaultSellerID(), "ORDER_STATUS_UPDATED", map[string]string{"order_code": "1"})
	other := evPull(t, srv, q2, "")
	mine := evPull(t, srv, q1, "")
	require.Len(t, mine.Events, 1)

	path := "/v1/queues/" + q1 + "/events/pull"
	for _, bad := range []string{
		"nope",
		other.AckID,                            // another queue's
		"00000001-0000-4000-a009-000000000000", // a pull that never happened
		"00000001-0000-4000-a001-000000000009", // past the events issued
		strings.ToUpper(mine.AckID[:8]) + "x" + mine.AckID[9:],
	} {
		evErrors(t, srv, "", "POST", path, `{"ack_id": "`+bad+`"}`, 400, "ack_id "+bad+" is not valid for this queue")
	}
	evErrors(t, srv, "", "POST", path, `{"ack_id": 5}`, 400,
		"Invalid payload: json: cannot unmarshal number into Go struct field .ack_id of type string")
	evErrors(t, srv, "", "POST", path, `null`, 400, "Invalid payload: the body must be a JSON object")
	// Nothing was acknowledged by the refused pulls.
	info := evInfo(t, srv, q1)
	assert.Equal(t, int64(0), info.Acknowledged)
	assert.Equal(t, 1, info.Pending)
	assert.Empty(t, evPull(t, srv, q1, mine.AckID).Events)
}

func TestEventRouting(t *testing.T) {
	t.Parallel()
	clock := prodNewClock(t, "2026-03-01 10:00:00")
	srv := tikitest.NewServer(t, tikitest.WithClock(clock.Now))
	sid := srv.DefaultSellerID()
	q1 := evCreateQueue(t, srv, "one")
	q2 := evCreateQueue(t, srv, "two")

	evEmit(t, srv, sid, "ORDER_STATUS_UPDATED", map[string]string{"order_code": "early"}) // no subscription yet: lost
	sub := evSubscribe(t, srv, "", q1, "ORDER_STATUS_UPDATED")
	evSubscribe(t, srv, "", q2, "ORDER_STATUS_UPDATED")
	evSubscribe(t, srv, "", q2, "BRAND_NEW_TYPE") // types Tiki adds later are accepted
	both := evEmit(t, srv, sid, "ORDER_STATUS_UPDATED", map[string]string{"order_code": "1"})
	evEmit(t, srv, sid, "PRODUCT_PRICE_UPDATED", map[string]string{"price_to": "1"})    // no one subscribed
	evEmit(t, srv, sid+1, "ORDER_STATUS_UPDATED", map[string]string{"order_code": "x"}) // another seller
	newType, err := srv.EmitEvent(sid, "BRAND_NEW_TYPE", "v7", []int{1, 2})
	require.NoError(t, err)

	var off evSub
	evOK(t, srv, "", "PUT", "/v1/queues/"+q1+"/subscriptions/"+sub.Code, `{"active": false}`, &off)
	onlyQ2 := evEmit(t, srv, sid, "ORDER_STATUS_UPDATED", map[string]string{"order_code": "2"})

	// Routing starts again after the routing delay on the fake's clock.
	srv.SetEventRoutingDelay(5 * time.Second)
	var on evSub
	evOK(t, srv, "", "PUT", "/v1/queues/"+q1+"/subscriptions/"+sub.Code, `{"active": true}`, &on)
	clock.Advance(4999 * time.Millisecond)
	tooSoon := evEmit(t, srv, sid, "ORDER_STATUS_UPDATED", map[string]string{"order_code": "3"})
	clock.Advance(time.Millisecond)
	late := evEmit(t, srv, sid, "ORDER_STATUS_UPDATED", map[string]string{"order_code": "4"})

	b1 := evPull(t, srv, q1, "")
	assert.Equal(t, []string{both, late}, evIDs(b1))
	b2 := evPull(t, srv, q2, "")
	assert.Equal(t, []string{both, newType, onlyQ2, tooSoon, late}, evIDs(b2))
	assert.Equal(t, b1.Events[0], b2.Events[0], "one event, the same in every queue")
	assert.JSONEq(t, `[1, 2]`, string(b2.Events[1].Payload))
	assert.Equal(t, "v7", b2.Events[1].Version)

	_, err = srv.EmitEvent(0, "ORDER_STATUS_UPDATED", "v1", nil)
	requireInvalid(t, err, "sid must be positive, not 0")
	_, err = srv.EmitEvent(sid, " ", "v1", nil)
	requireInvalid(t, err, `eventType must be an upper-case name such as ORDER_CREATED_SUCCESSFULLY, not " "`)
	_, err = srv.EmitEvent(sid, "order_status_updated", "v1", nil)
	requireInvalid(t, err, `eventType must be an upper-case name such as ORDER_CREATED_SUCCESSFULLY, not "order_status_updated"`)
	_, err = srv.EmitEvent(sid, tiki.EventOrderStatusUpdated, "v1", func() {})
	requireInvalid(t, err, "payload does not encode as JSON: json: unsupported type: func()")
	_, err = srv.EmitEvent(-1, "", "v1", func() {})
	requireInvalid(t, err, "sid must be positive, not -1", `eventType must be an upper-case name such as ORDER_CREATED_SUCCESSFULLY, not ""`,
		"payload does not encode as JSON: json: unsupported type: func()")
	assert.Equal(t, 2, evInfo(t, srv, q1).Pending)
}

func TestEventSubscriptionsPerSeller(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	q := evCreateQueue(t, srv, "marketplace")
	sellerA, err := srv.AddSeller(1001)
	require.NoError(t, err)
	sellerB, err := srv.AddSeller(1002)
	require.NoError(t, err)
	_, err = srv.AddSeller(0)
	requireInvalid(t, err, "sellerID must be positive, not 0")
	_, err = srv.AddSeller(srv.DefaultSellerID())
	requireInvalid(t, err, "sellerID must not be 328785, the fake's own seller: use its credentials")

	subA := evSubscribe(t, srv, sellerA, q, "ORDER_CREATED_SUCCESSFULLY")
	assert.Equal(t, "1001", subA.SID)
	subB := evSubscribe(t, srv, sellerB, q, "ORDER_CREATED_SUCCESSFULLY")
	assert.Equal(t, "1002", subB.SID)
	assert.NotEqual(t, subA.Code, subB.Code)
	own := evSubscribe(t, srv, "", q, "ORDER_CREATED_SUCCESSFULLY")

	var list []evSub
	evOK(t, srv, sellerA, "GET", "/v1/queues/"+q+"/subscriptions", "", &list)
	assert.Equal(t, []evSub{subA}, list, "a seller sees its own subscriptions")
	evOK(t, srv, "", "GET", "/v1/queues/"+q+"/subscriptions", "", &list)
	assert.Equal(t, []evSub{subA, subB, own}, list, "the app sees every subscription")
	evErrors(t, srv, sellerA, "PUT", "/v1/queues/"+q+"/subscriptions/"+subB.Code, `{"active": false}`, 404,
		"Subscription not found: "+subB.Code)
	var off evSub
	evOK(t, srv, sellerA, "PUT", "/v1/queues/"+q+"/subscriptions/"+subA.Code, `{"active": false}`, &off)
	assert.False(t, off.Active)
	evOK(t, srv, "", "PUT", "/v1/queues/"+q+"/subscriptions/"+subA.Code, `{"active": true}`, &off)
	assert.True(t, off.Active)

	const owner = "The queue belongs to the app: use the app's own token, not a token a seller authorized"
	evErrors(t, srv, sellerA, "GET", "/v1/queues", "", 403, owner)
	evErrors(t, srv, sellerA, "POST", "/v1/queues", `{"name": "mine"}`, 403, owner)
	evErrors(t, srv, sellerA, "POST", "/v1/queues/"+q+"/events/pull", `{"ack_id": null}`, 403, owner)

	a := evEmit(t, srv, 1001, "ORDER_CREATED_SUCCESSFULLY", map[string]string{"order_code": "A1"})
	b := evEmit(t, srv, 1002, "ORDER_CREATED_SUCCESSFULLY", map[string]string{"order_code": "B1"})
	o := evEmit(t, srv, srv.DefaultSellerID(), "ORDER_CREATED_SUCCESSFULLY", map[string]string{"order_code": "O1"})
	evEmit(t, srv, 1003, "ORDER_CREATED_SUCCESSFULLY", map[string]string{"order_code": "C1"}) // not subscribed
	batch := evPull(t, srv, q, "")
	assert.Equal(t, []string{a, b, o}, evIDs(batch))
	assert.Equal(t, []string{"1001", "1002", "328785"}, []string{batch.Events[0].SID, batch.Events[1].SID, batch.Events[2].SID})

	srv.ExpireTokens()
	code, _ := evCall(t, srv, sellerA, "GET", "/v1/queues/"+q+"/subscriptions", "")
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestEventProductChanges(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	products := prodSeed(t, srv, "EV-1")
	p := products[0]
	q := evCreateQueue(t, srv, "products")
	for _, typ := range []string{"PRODUCT_PRICE_UPDATED", "PRODUCT_MARKET_PRICE_UPDATED", "PRODUCT_INVENTORY_UPDATED"} {
		evSubscribe(t, srv, "", q, typ)
	}

	code, body := prodRaw(t, srv, "PUT", "/v2.1/products/updateSku", fmt.Sprintf(`{"product_id": %d, "price": 140000,
		"market_price": 210000, "warehouse_quantities": [{"warehouse_id": 919, "qty_available": 3}, {"warehouse_id": 903, "qty_available": 7}]}`, p.ProductID))
	require.Equal(t, http.StatusOK, code, body)
	batch := evPull(t, srv, q, "")
	require.Len(t, batch.Events, 3)
	var got []string
	for _, e := range batch.Events {
		assert.Equal(t, "328785", e.SID)
		got = append(got, e.Type+" "+e.Version+" "+string(e.Payload))
	}
	assert.Equal(t, []string{
		fmt.Sprintf(`PRODUCT_PRICE_UPDATED v1 {"product_id":%d,"original_sku":"EV-1","price_from":"150000","price_to":"140000"}`, p.ProductID),
		fmt.Sprintf(`PRODUCT_MARKET_PRICE_UPDATED v1 {"product_id":%d,"original_sku":"EV-1","market_price_from":"200000","market_price_to":"210000"}`, p.ProductID),
		fmt.Sprintf(`PRODUCT_INVENTORY_UPDATED v2 {"product_id":%d,"original_sku":"EV-1","warehouse_id":919,"quantity_from":5,"quantity_to":3,`+
			`"quantity_available_from":5,"quantity_available_to":3,"quantity_reserved_from":0,"quantity_reserved_to":0,`+
			`"quantity_sellable_from":5,"quantity_sellable_to":3}`, p.ProductID),
	}, got)

	// An update that changes nothing publishes nothing; a refused one
	// neither. Batch updates publish like single ones.
	code, body = prodRaw(t, srv, "PUT", "/v2.1/products/updateSku", fmt.Sprintf(`{"product_id": %d, "price": 140000}`, p.ProductID))
	require.Equal(t, http.StatusOK, code, body)
	code, body = prodRaw(t, srv, "PUT", "/v2.1/products/updateSku", fmt.Sprintf(`{"product_id": %d, "price": 900000}`, p.ProductID))
	require.Equal(t, http.StatusUnprocessableEntity, code, body)
	code, body = prodRaw(t, srv, "PUT", "/v2.1/products/updateSkus", `{"data": [{"original_sku": "EV-1",
		"warehouse_quantities": [{"warehouse_id": 903, "qty_available": 0}]}]}`)
	require.Equal(t, http.StatusOK, code, body)
	next := evPull(t, srv, q, batch.AckID)
	require.Len(t, next.Events, 2, "919 and 903 both change: the list given is the whole list")
	var w919, w903 map[string]any
	require.NoError(t, json.Unmarshal(next.Events[0].Payload, &w903))
	require.NoError(t, json.Unmarshal(next.Events[1].Payload, &w919))
	assert.Equal(t, []any{903.0, 7.0, 0.0}, []any{w903["warehouse_id"], w903["quantity_from"], w903["quantity_to"]})
	assert.Equal(t, []any{919.0, 3.0, 0.0}, []any{w919["warehouse_id"], w919["quantity_from"], w919["quantity_to"]})
}

func TestEventPullFaults(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	srv.SetEventBatchSize(1)
	q := evCreateQueue(t, srv, "faulty")
	evSubscribe(t, srv, "", q, "ORDER_STATUS_UPDATED")
	var ids []string
	for i := range 3 {
		ids = append(ids, evEmit(t, srv, srv.DefaultSellerID(), "ORDER_STATUS_UPDATED", map[string]string{"order_code": fmt.Sprint(i)}))
	}
	path := "/v1/queues/" + q + "/events/pull"
	first := evPull(t, srv, q, "")
	require.Equal(t, ids[:1], evIDs(first))

	// A fault answers before the fake acts: nothing is acknowledged.
	require.NoError(t, srv.Inject(tikitest.Fault{Method: "POST", Path: "/integration" + path, Status: http.StatusServiceUnavailable}))
	evErrors(t, srv, "", "POST", path, `{"ack_id": "`+first.AckID+`"}`, 503, "Service Unavailable")
	assert.Equal(t, int64(0), evInfo(t, srv, q).Acknowledged)
	require.NoError(t, srv.Inject(tikitest.Fault{Path: "/integration" + path, Close: true}))
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(`{"ack_id": "`+first.AckID+`"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.AccessToken())
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Equal(t, int64(0), evInfo(t, srv, q).Acknowledged)

	// A lost answer: the fake acted (the first batch is acknowledged, the
	// second issued), then hung up. Repeating the pull is harmless: the
	// second batch comes again.
	srv.DropPullAnswers(1)
	req, err = http.NewRequest("POST", srv.URL+path, strings.NewReader(`{"ack_id": "`+first.AckID+`"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.AccessToken())
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Equal(t, int64(1), evInfo(t, srv, q).Acknowledged)
	second := evPull(t, srv, q, first.AckID)
	assert.Equal(t, ids[1:2], evIDs(second))
	third := evPull(t, srv, q, second.AckID)
	assert.Equal(t, ids[2:], evIDs(third))

	// Through the SDK's transport: a rate-limited pull is answered 429.
	require.NoError(t, srv.Inject(tikitest.Fault{Path: "/integration" + path, Status: http.StatusTooManyRequests, Times: 2}))
	evErrors(t, srv, "", "POST", path, `{"ack_id": "`+third.AckID+`"}`, 429, "Too Many Requests")
	evErrors(t, srv, "", "POST", path, `{"ack_id": "`+third.AckID+`"}`, 429, "Too Many Requests")
	assert.Empty(t, evPull(t, srv, q, third.AckID).Events)
	assert.Equal(t, int64(3), evInfo(t, srv, q).Acknowledged)
}

// TestEventQueueConcurrent emits from several goroutines while another
// pulls and acknowledges: every event arrives once, in each emitter's
// order.
func TestEventQueueConcurrent(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	srv.SetEventBatchSize(7)
	q := evCreateQueue(t, srv, "busy")
	evSubscribe(t, srv, "", q, "PRODUCT_INVENTORY_UPDATED")
	const emitters, each = 4, 250
	var wg sync.WaitGroup
	errs := make(chan error, emitters)
	for e := range emitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := srv.EmitEvent(srv.DefaultSellerID(), "PRODUCT_INVENTORY_UPDATED", "v2", map[string]int{"emitter": e, "n": i}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	seen := map[string]bool{}
	next := make([]int, emitters)
	ack := ""
	pull := func() int {
		b := evPull(t, srv, q, ack)
		ack = b.AckID
		for _, ev := range b.Events {
			require.False(t, seen[ev.ID], "event %s delivered twice", ev.ID)
			seen[ev.ID] = true
			var p struct{ Emitter, N int }
			require.NoError(t, json.Unmarshal(ev.Payload, &p))
			require.Equal(t, next[p.Emitter], p.N, "emitter %d out of order", p.Emitter)
			next[p.Emitter]++
		}
		return len(b.Events)
	}
	for range 50 { // pull while the emitters run
		pull()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for pull() > 0 {
	}
	assert.Len(t, seen, emitters*each)
	assert.Equal(t, []int{each, each, each, each}, next)
	info := evInfo(t, srv, q)
	assert.Equal(t, int64(emitters*each), info.Acknowledged)
	assert.Zero(t, info.Pending)
}

// TestEventQueueWithIssuedToken: a token from the client credentials grant
// (a public app's own token) owns queues like the fake's access token.
func TestEventQueueWithIssuedToken(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	form := "grant_type=client_credentials"
	req, err := http.NewRequest("POST", srv.Host+"/sc/oauth2/token", strings.NewReader(form))
	require.NoError(t, err)
	creds := srv.ClientCredentials()
	req.SetBasicAuth(creds.ClientID, creds.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	require.NotEmpty(t, tok.AccessToken)
	var queue evQueue
	evOK(t, srv, tok.AccessToken, "POST", "/v1/queues", `{"name": "app"}`, &queue)
	var list []evQueue
	evOK(t, srv, tok.AccessToken, "GET", "/v1/queues", "", &list)
	assert.Equal(t, []evQueue{queue}, list)
}

func TestEventOrderChanges(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	q := evCreateQueue(t, srv, "orders")
	for _, typ := range []string{"ORDER_CREATED_SUCCESSFULLY", "ORDER_STATUS_UPDATED"} {
		evSubscribe(t, srv, "", q, typ)
	}
	o, err := srv.CreateOrder(tikitest.OrderSpec{FulfillmentType: "tiki_delivery"})
	require.NoError(t, err)
	require.NoError(t, srv.SetOrderStatus(o.Code, "canceled"))

	batch := evPull(t, srv, q, "")
	var got []string
	for _, e := range batch.Events {
		assert.Equal(t, "328785", e.SID)
		got = append(got, e.Type+" "+e.Version+" "+string(e.Payload))
	}
	assert.Equal(t, []string{
		`ORDER_CREATED_SUCCESSFULLY v1 {"order_code":"` + o.Code + `","status":"queueing"}`,
		`ORDER_STATUS_UPDATED v1 {"order_code":"` + o.Code + `","orderCode":"` + o.Code + `","status":"canceled"}`,
	}, got)
}
