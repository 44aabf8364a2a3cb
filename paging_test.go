package tiki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// listServer is a fake attribute values list (a route of setup's server)
// whose answers a test writes page by page. It records, at the client's
// transport, which pages were asked for and how many requests were in
// flight at once: a request is in flight from the moment the client hands
// it to its transport until the transport returns.
type listServer struct {
	srv         *server
	mu          sync.Mutex
	requested   []int // pages, in order of sending
	highest     int   // highest page asked for
	inflight    int
	maxInflight int
	// arrived is signalled (without blocking) on each request sent.
	arrived chan int
	next    http.RoundTripper
}

// answer is the status and JSON body that answer a request for page; it
// may block, honouring ctx (the request's, which ends when the client
// gives up), and then answers nothing (status 0).
type answer func(ctx context.Context, page int) (int, string)

// newListServer is setup with attribute 7's values answered by a, and a
// client whose transport the listServer records; opts come last.
func newListServer(t *testing.T, a answer, opts ...Option) (*Client, *listServer) {
	t.Helper()
	_, srv := setup(t)
	srv.handle("GET /v2/attributes/7/values", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if code, body := a(r.Context(), page); code != 0 {
			status(code, body)(w, r)
		}
	})
	s := &listServer{srv: srv, arrived: make(chan int, 1000), next: srv.transport()}
	c := srv.client(t, WithSellerKey(testKey), append([]Option{WithHTTPClient(&http.Client{Transport: s})}, opts...)...)
	return c, s
}

// RoundTrip records the request and hands it to the server's transport.
func (s *listServer) RoundTrip(r *http.Request) (*http.Response, error) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	s.mu.Lock()
	s.requested = append(s.requested, page)
	s.highest = max(s.highest, page)
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	s.mu.Unlock()
	select {
	case s.arrived <- page:
	default:
	}
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()
	return s.next.RoundTrip(r)
}

func (s *listServer) stats() (requested []int, highest, inflight, maxInflight int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.requested...), s.highest, s.inflight, s.maxInflight
}

// rowsOf is the body of page: rows page*100+1 .. page*100+n, and last.
func rowsOf(page, last, n int) string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf(`{"id":%d}`, page*100+i+1)
	}
	return fmt.Sprintf(`{"data":[%s],"paging":{"current_page":%d,"last_page":%d,"per_page":%d}}`, strings.Join(rows, ","), page, last, n)
}

// ids are the rows rowsOf gives pages first..last, n rows each.
func ids(first, last, n int) []int64 {
	var out []int64
	for p := first; p <= last; p++ {
		for i := range n {
			out = append(out, int64(p*100+i+1))
		}
	}
	return out
}

// pagesOf answers every page of a list of last pages with n rows each.
func pagesOf(last, n int) answer {
	return func(_ context.Context, page int) (int, string) {
		return 200, rowsOf(page, last, n)
	}
}

// collect ranges over seq and returns the rows and the errors, in order.
func collect(seq func(func(AttributeValue, error) bool)) (rows []int64, errs []error) {
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, v.ID)
	}
	return rows, errs
}

func attrValues(c *Client, ctx context.Context, opts *AttributeValuesOptions, walkOpts ...WalkOption) func(func(AttributeValue, error) bool) {
	return c.Catalog.AllAttributeValues(ctx, 7, opts, walkOpts...)
}

// queriesOf returns the query of each request s received, sorted.
func queriesOf(s *server) []string {
	var out []string
	for _, got := range s.requests() {
		out = append(out, got.RawQuery)
	}
	slices.Sort(out)
	return out
}

func TestIteratorWalksToLastPage(t *testing.T) {
	t.Parallel()
	c, s := pagedServer(t)
	opts := &AttributeValuesOptions{Query: "x", ListOptions: ListOptions{Limit: 3}}
	var got []int64
	for v, err := range c.Catalog.AllAttributeValues(context.Background(), 7, opts) {
		require.NoError(t, err)
		got = append(got, v.ID)
	}
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, got, "the short page 2 is not the end")
	assert.Equal(t, []string{"limit=3&page=1&q=x", "limit=3&page=2&q=x", "limit=3&page=3&q=x"}, queriesOf(s), "each page once; pages_ahead is not sent")
	assert.Equal(t, &AttributeValuesOptions{Query: "x", ListOptions: ListOptions{Limit: 3}}, opts, "the caller's options are not changed")
}

func TestIteratorStopsOnBreak(t *testing.T) {
	t.Parallel()
	c, s := pagedServer(t)
	var got []int64
	for v, err := range c.Catalog.AllAttributeValues(context.Background(), 7, &AttributeValuesOptions{ListOptions: ListOptions{Page: 2}}) {
		require.NoError(t, err)
		got = append(got, v.ID)
		if v.ID == 5 {
			break
		}
	}
	assert.Equal(t, []int64{4, 5}, got)
	assert.Equal(t, []string{"page=2", "page=3"}, queriesOf(s), "starts at the caller's page, never past the last page")
}

// Pages are fetched concurrently but yielded strictly in page order: page 2
// answers only once pages 3 to 6 have been answered, and they answer only
// once page 2 has been asked for.
func TestIteratorYieldsRowsInPageOrder(t *testing.T) {
	t.Parallel()
	page2Asked, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	answered := 0
	// wait waits for ch, and answers what to send instead when it does not
	// come.
	wait := func(ctx context.Context, ch chan struct{}) (int, string) {
		select {
		case <-ch:
			return 0, ""
		case <-ctx.Done():
			return 0, ""
		case <-time.After(10 * time.Second):
			return 500, `{"errors":["pages 2 to 6 were not in flight together"]}`
		}
	}
	c, s := newListServer(t, func(ctx context.Context, page int) (int, string) {
		switch {
		case page == 2:
			close(page2Asked)
			if code, body := wait(ctx, release); code != 0 || ctx.Err() != nil {
				return code, body
			}
		case page > 2:
			if code, body := wait(ctx, page2Asked); code != 0 || ctx.Err() != nil {
				return code, body
			}
			mu.Lock()
			if answered++; answered == 4 {
				close(release)
			}
			mu.Unlock()
		}
		return 200, rowsOf(page, 6, 3)
	})
	rows, errs := collect(attrValues(c, context.Background(), nil))
	require.Empty(t, errs)
	assert.Equal(t, ids(1, 6, 3), rows)
	requested, _, inflight, maxInflight := s.stats()
	assert.Len(t, requested, 6)
	assert.GreaterOrEqual(t, maxInflight, 2, "later pages were in flight together with page 2")
	assert.Zero(t, inflight)
}

// The window bounds both the requests in flight and the pages held: while
// the loop is on page k, no page past k+pages ahead has been asked for.
func TestIteratorKeepsAtMostPagesAheadRequested(t *testing.T) {
	t.Parallel()
	for _, ahead := range []int{0, 1, 3} {
		t.Run(strconv.Itoa(ahead), func(t *testing.T) {
			t.Parallel()
			window, walkOpts := DefaultPagesAhead, []WalkOption(nil)
			if ahead != 0 {
				window, walkOpts = ahead, []WalkOption{WithPagesAhead(ahead)}
			}
			c, s := newListServer(t, pagesOf(3*window, 2))
			var rows []int64
			for v, err := range attrValues(c, context.Background(), nil, walkOpts...) {
				require.NoError(t, err)
				rows = append(rows, v.ID)
				page := int(v.ID / 100)
				_, highest, _, _ := s.stats()
				require.LessOrEqual(t, highest, page+window, "on page %d", page)
			}
			assert.Equal(t, ids(1, 3*window, 2), rows)
			requested, _, inflight, maxInflight := s.stats()
			assert.Len(t, requested, 3*window, "each page once")
			assert.LessOrEqual(t, maxInflight, window)
			assert.Zero(t, inflight)
		})
	}
}

// A page that fails ends the walk with its error, once, after the rows of
// every page before it, even when a later page failed first.
func TestIteratorYieldsOneErrorAndStops(t *testing.T) {
	t.Parallel()
	t.Run("next page fails", func(t *testing.T) {
		t.Parallel()
		c, s := newListServer(t, func(_ context.Context, page int) (int, string) {
			if page == 2 {
				return 404, `{"errors":["gone"]}`
			}
			return 200, rowsOf(page, 5, 1)
		})
		rows, errs := collect(attrValues(c, context.Background(), nil))
		assert.Equal(t, []int64{101}, rows)
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], ErrNotFound)
		requested, _, inflight, _ := s.stats()
		assert.LessOrEqual(t, len(requested), 5)
		assert.Zero(t, inflight)
	})
	t.Run("a later page fails first", func(t *testing.T) {
		t.Parallel()
		page4Done := make(chan struct{})
		c, s := newListServer(t, func(ctx context.Context, page int) (int, string) {
			switch page {
			case 3:
				select {
				case <-page4Done:
				case <-ctx.Done():
					return 0, ""
				}
			case 4:
				defer close(page4Done)
				return 422, `{"errors":["page 4 refused"]}`
			}
			return 200, rowsOf(page, 6, 2)
		})
		rows, errs := collect(attrValues(c, context.Background(), nil))
		assert.Equal(t, ids(1, 3, 2), rows, "pages 1 to 3 first")
		require.Len(t, errs, 1)
		var apiErr *APIError
		require.ErrorAs(t, errs[0], &apiErr)
		assert.Equal(t, 422, apiErr.StatusCode)
		_, _, inflight, _ := s.stats()
		assert.Zero(t, inflight)
	})
}

// blockAfterFirst answers page 1 of a list of 100 and holds every other
// page until its request is cancelled.
func blockAfterFirst(ctx context.Context, page int) (int, string) {
	if page == 1 {
		return 200, rowsOf(1, 100, 3)
	}
	<-ctx.Done()
	return 0, ""
}

// Breaking out of the loop cancels the requests in flight and waits for
// them: when the loop statement ends, no request is left running.
func TestIteratorBreakCancelsRequestsInFlight(t *testing.T) {
	t.Parallel()
	c, s := newListServer(t, blockAfterFirst)
	n := 0
	for _, err := range attrValues(c, context.Background(), nil) {
		require.NoError(t, err)
		n++
		// Wait until the window is in flight, then leave.
		for range 1 + DefaultPagesAhead {
			<-s.arrived
		}
		break
	}
	assert.Equal(t, 1, n)
	requested, _, inflight, _ := s.stats()
	assert.Len(t, requested, 1+DefaultPagesAhead)
	assert.Zero(t, inflight, "every request in flight ended before the loop did")
}

// When ctx ends, the rows already fetched are yielded, then the error of
// the page that could not be fetched, once; nothing is left running.
func TestIteratorStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	c, s := newListServer(t, blockAfterFirst)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rows []int64
	var errs []error
	for v, err := range attrValues(c, ctx, nil) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, v.ID)
		cancel()
	}
	assert.Equal(t, ids(1, 1, 3), rows)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
	_, _, inflight, _ := s.stats()
	assert.Zero(t, inflight)
}

// A panic while fetching a page (here in the caller's transport) becomes a
// *PanicError yielded in the page's place; the process goes on.
func TestIteratorPanicBecomesError(t *testing.T) {
	t.Parallel()
	for _, bad := range []int{1, 3} {
		t.Run(strconv.Itoa(bad), func(t *testing.T) {
			t.Parallel()
			_, s := setup(t)
			s.handle("GET /v2/attributes/7/values", func(w http.ResponseWriter, r *http.Request) {
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				status(200, rowsOf(page, 5, 1))(w, r)
			})
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if page, _ := strconv.Atoi(r.URL.Query().Get("page")); page == bad {
					panic(fmt.Sprintf("transport broke on page %d", page))
				}
				return s.transport().RoundTrip(r)
			})
			c := s.client(t, WithSellerKey(testKey), WithHTTPClient(&http.Client{Transport: rt}))
			rows, errs := collect(attrValues(c, context.Background(), nil))
			assert.Equal(t, ids(1, bad-1, 1), rows)
			require.Len(t, errs, 1)
			var pe *PanicError
			require.ErrorAs(t, errs[0], &pe)
			assert.Contains(t, fmt.Sprint(pe.Value), fmt.Sprintf("page %d", bad))
		})
	}
}

// all itself: a panicking fetch on a later page, and a fetch that returns
// no page, are errors in the page's place.
func TestAllFetchFailures(t *testing.T) {
	t.Parallel()
	fetch := func(_ context.Context, page int) (*Page[int], error) {
		switch page {
		case 3:
			panic(errors.New("boom"))
		case 4:
			return nil, nil
		}
		return &Page[int]{Data: []int{page}, Paging: Paging{CurrentPage: page, LastPage: 5}}, nil
	}
	var rows []int
	var errs []error
	for v, err := range all(context.Background(), walkPlan{ahead: 2}, fetch) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, v)
	}
	assert.Equal(t, []int{1, 2}, rows)
	require.Len(t, errs, 1)
	var pe *PanicError
	assert.ErrorAs(t, errs[0], &pe)

	rows, errs = nil, nil
	for v, err := range all(context.Background(), walkPlan{first: 4, ahead: 2}, fetch) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, v)
	}
	assert.Empty(t, rows)
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "no page")
}

// The walk follows each page's own paging block, in page order, as a walk
// of one page at a time would: a last_page that grows extends it, one that
// shrinks ends it (rows of pages fetched ahead past it are not yielded).
func TestIteratorFollowsEachPagesLastPage(t *testing.T) {
	t.Parallel()
	t.Run("grows", func(t *testing.T) {
		t.Parallel()
		c, s := newListServer(t, func(_ context.Context, page int) (int, string) {
			last := 4
			if page == 1 {
				last = 2
			}
			return 200, rowsOf(page, last, 1)
		})
		rows, errs := collect(attrValues(c, context.Background(), nil))
		require.Empty(t, errs)
		assert.Equal(t, ids(1, 4, 1), rows)
		requested, _, _, _ := s.stats()
		assert.Len(t, requested, 4)
	})
	t.Run("shrinks", func(t *testing.T) {
		t.Parallel()
		c, _ := newListServer(t, func(_ context.Context, page int) (int, string) {
			last := 2
			if page == 1 {
				last = 5
			}
			return 200, rowsOf(page, last, 1)
		})
		rows, errs := collect(attrValues(c, context.Background(), nil))
		require.Empty(t, errs)
		assert.Equal(t, ids(1, 2, 1), rows)
	})
}

func TestIteratorMovesForwardWhateverCurrentPageSays(t *testing.T) {
	t.Parallel()
	t.Run("stuck on page 1", func(t *testing.T) {
		t.Parallel()
		// A server that always claims to be on page 1 of 3.
		c, s := newListServer(t, func(context.Context, int) (int, string) {
			return 200, `{"data":[{"id":1}],"paging":{"current_page":1,"last_page":3}}`
		})
		rows, errs := collect(attrValues(c, context.Background(), nil))
		require.Empty(t, errs)
		assert.Len(t, rows, 3)
		requested, _, _, _ := s.stats()
		sort.Ints(requested)
		assert.Equal(t, []int{1, 2, 3}, requested)
	})
	t.Run("jumps ahead", func(t *testing.T) {
		t.Parallel()
		// Asked for page 2, the server says it answered page 4: the walk
		// goes on from page 5, as a walk of one page at a time would.
		c, _ := newListServer(t, func(_ context.Context, page int) (int, string) {
			if page == 2 {
				return 200, `{"data":[{"id":201}],"paging":{"current_page":4,"last_page":6}}`
			}
			return 200, rowsOf(page, 6, 1)
		})
		rows, errs := collect(attrValues(c, context.Background(), nil, WithPagesAhead(2)))
		require.Empty(t, errs)
		assert.Equal(t, []int64{101, 201, 501, 601}, rows)
	})
}

// An iterator can be ranged over more than once; each ranging walks the
// whole list again, from the same first page.
func TestIteratorRangedTwice(t *testing.T) {
	t.Parallel()
	c, s := newListServer(t, pagesOf(12, 2))
	seq := attrValues(c, context.Background(), &AttributeValuesOptions{ListOptions: ListOptions{Page: 3}})
	for range 2 {
		rows, errs := collect(seq)
		require.Empty(t, errs)
		assert.Equal(t, ids(3, 12, 2), rows)
	}
	requested, _, _, _ := s.stats()
	assert.Len(t, requested, 20)
}

func TestIteratorValidationError(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	n := 0
	for _, err := range c.Catalog.AllAttributeValues(context.Background(), 0, nil) {
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		n++
	}
	assert.Equal(t, 1, n)
	for _, ahead := range []int{-1, 0, MaxPagesAhead + 1} {
		n = 0
		for _, err := range c.Catalog.AllAttributeValues(context.Background(), 7, nil, WithPagesAhead(ahead)) {
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, []FieldProblem{{"pages_ahead", fmt.Sprintf("must be between 1 and %d", MaxPagesAhead)}}, ve.Problems)
			n++
		}
		assert.Equal(t, 1, n)
	}
	// Every problem of the walk's options at once.
	n = 0
	for _, err := range c.Catalog.AllAttributeValues(context.Background(), 7, nil, nil, WithPagesAhead(MaxPagesAhead+1), WithExpectedPages(MaxPagesAhead+1)) {
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, []FieldProblem{
			{"walk_opts[0]", "must not be nil"},
			{"pages_ahead", fmt.Sprintf("must be between 1 and %d", MaxPagesAhead)},
			{"expected_pages", fmt.Sprintf("must be between 1 and the pages ahead (%d)", MaxPagesAhead)},
		}, ve.Problems)
		n++
	}
	assert.Equal(t, 1, n)
	assert.Equal(t, 0, s.count())
}

// TestIteratorLeavesNoGoroutine leaves walks early (break, a cancelled
// context, a failed page) while requests are in flight and checks that no
// goroutine is left once the loop statement has ended (and the fake Tiki
// of each walk is closed). It is not parallel, so that other tests'
// goroutines do not interfere.
func TestIteratorLeavesNoGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	c, s := newListServer(t, blockAfterFirst)
	for _, err := range attrValues(c, context.Background(), nil) {
		require.NoError(t, err)
		break
	}
	s.srv.Close()
	goleak.VerifyNone(t, before)

	c, s = newListServer(t, blockAfterFirst)
	ctx, cancel := context.WithCancel(context.Background())
	for _, err := range attrValues(c, ctx, nil) {
		cancel()
		if err != nil {
			break
		}
	}
	cancel()
	s.srv.Close()
	goleak.VerifyNone(t, before)

	c, s = newListServer(t, func(ctx context.Context, page int) (int, string) {
		if page == 2 {
			return 404, `{"errors":["gone"]}`
		}
		return blockAfterFirst(ctx, page)
	})
	_, errs := collect(attrValues(c, context.Background(), nil))
	require.Len(t, errs, 1)
	s.srv.Close()
	goleak.VerifyNone(t, before)
}

func TestListOptionsLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{0, 1, 100} {
		var v validator
		ListOptions{Limit: limit}.validate(&v)
		assert.NoError(t, v.err(), limit)
	}
	for limit, problem := range map[int]string{-1: "must not be negative", 101: "must be at most 100"} {
		var v validator
		ListOptions{Limit: limit}.validate(&v)
		assert.Equal(t, []FieldProblem{{"limit", problem}}, v.problems, limit)
	}
}

// TestAllRangedTwice ranges one All iterator of each paged service twice:
// the second walk yields the same rows and sends the same requests as the
// first, and the caller's options are left as they were given.
func TestAllRangedTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	order := string(fixture(t, "orders_v2/order_simplified_tiki_delivery.json"))
	rows := map[string]func(page int) string{
		"/v2.1/products": func(p int) string {
			return fmt.Sprintf(`{"product_id": %d}, {"product_id": %d}`, p*10+1, p*10+2)
		},
		"/v2/orders": func(p int) string {
			return strings.Replace(order, "613795703", fmt.Sprint(100+p), 1)
		},
		"/v1/orders": func(p int) string {
			return fmt.Sprintf(`{"order_code": "A%d"}, {"order_code": "B%d"}`, p, p)
		},
		"/v2/requests": func(p int) string {
			return fmt.Sprintf(`{"request_id": "r%d", "state": "rejected"}`, p)
		},
	}
	cases := map[string]struct {
		path  string
		pages int // requests per walk
		// walk returns a fresh copy of the caller's options and ranges one
		// iterator over opts twice, returning each walk's row keys.
		walk func(c *Client) (opts, given any, walks [2][]string)
	}{
		"products": {"/v2.1/products", 2, func(c *Client) (any, any, [2][]string) {
			mk := func() *ProductsOptions {
				return &ProductsOptions{Include: []ProductInclude{IncludeInventory}, ListOptions: ListOptions{Page: 2, Limit: 2}}
			}
			opts := mk()
			return opts, mk(), rangeTwice(t, c.Products.All(ctx, opts), func(p Product) string { return fmt.Sprint(p.ProductID) })
		}},
		"orders": {"/v2/orders", 3, func(c *Client) (any, any, [2][]string) {
			mk := func() *OrderListOptions {
				return &OrderListOptions{Status: In(OrderStatusQueueing), Include: []OrderInclude{}, ListOptions: ListOptions{Limit: 1}}
			}
			opts := mk()
			return opts, mk(), rangeTwice(t, c.Orders.All(ctx, opts), func(o Order) string { return o.Code })
		}},
		"orders v1": {"/v1/orders", 3, func(c *Client) (any, any, [2][]string) {
			mk := func() *OrderListOptionsV1 { return &OrderListOptionsV1{Status: OrderStatusQueueing} }
			opts := mk()
			return opts, mk(), rangeTwice(t, c.V1.Orders.All(ctx, opts), func(o OrderV1) string { return o.OrderCode })
		}},
		"product requests": {"/v2/requests", 3, func(c *Client) (any, any, [2][]string) {
			mk := func() *ProductRequestsOptions {
				return &ProductRequestsOptions{State: RequestRejected, ListOptions: ListOptions{Limit: 1}}
			}
			opts := mk()
			return opts, mk(), rangeTwice(t, c.ProductRequests.All(ctx, opts), func(r ProductRequest) string { return r.RequestID })
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.handle("GET "+tc.path, func(w http.ResponseWriter, r *http.Request) {
				p, _ := strconv.Atoi(r.URL.Query().Get("page"))
				status(200, fmt.Sprintf(`{"data": [%s], "paging": {"current_page": %d, "last_page": 3}}`, rows[tc.path](p), p))(w, r)
			})
			opts, given, walks := tc.walk(c)
			require.NotEmpty(t, walks[0])
			assert.Equal(t, walks[0], walks[1], "the same rows")
			var queries []string
			for _, got := range s.requests() {
				queries = append(queries, url.Values(got.Query).Encode())
			}
			// Pages ahead may be asked for in any order within a walk.
			n := tc.pages
			require.Len(t, queries, 2*n)
			first, second := slices.Clone(queries[:n]), slices.Clone(queries[n:])
			slices.Sort(first)
			slices.Sort(second)
			assert.Equal(t, first, second, "the same requests")
			assert.Equal(t, given, opts, "the caller's options unchanged")
		})
	}
}

// rangeTwice ranges seq to its end twice and returns each walk's row keys.
func rangeTwice[T any](t *testing.T, seq iter.Seq2[T, error], key func(T) string) (walks [2][]string) {
	t.Helper()
	for i := range walks {
		for row, err := range seq {
			require.NoError(t, err)
			walks[i] = append(walks[i], key(row))
		}
	}
	return walks
}

// Lengths remembered between walks (WithExpectedPages).

// lengthServer serves a products list (a route of setup's server) of last
// pages of one row each and records, for every walk, the pages requested
// before page 1 was answered. Pages past last are answered empty, or with
// status pastEnd when set.
type lengthServer struct {
	srv     *server
	mu      sync.Mutex
	last    int
	pastEnd int
	// hold, when set, keeps page 1's answer until it is closed or 5 s
	// pass, so that the test sees what was requested while page 1 was in
	// flight, whatever the machine's speed.
	hold      chan struct{}
	pages     []int           // requested, in arrival order
	beforeOne []int           // requested before page 1 was answered
	others    map[string]bool // each request's query without its page
	answered1 bool
}

// newLengthServer is setup with a lengthServer of last pages; opts come
// last.
func newLengthServer(t *testing.T, last int, opts ...Option) (*Client, *lengthServer) {
	t.Helper()
	c, srv := setup(t, opts...)
	s := &lengthServer{srv: srv, last: last}
	srv.handle("GET /v2.1/products", s.serve)
	return c, s
}

func (s *lengthServer) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, _ := strconv.Atoi(q.Get("page"))
	q.Del("page")
	s.mu.Lock()
	s.pages = append(s.pages, p)
	if s.others == nil {
		s.others = map[string]bool{}
	}
	s.others[q.Encode()] = true
	if !s.answered1 && p != 1 {
		s.beforeOne = append(s.beforeOne, p)
	}
	last, pastEnd, hold := s.last, s.pastEnd, s.hold
	s.mu.Unlock()
	if p == 1 && hold != nil {
		select {
		case <-hold:
		case <-time.After(5 * time.Second):
		}
	}
	s.mu.Lock()
	if p == 1 {
		s.answered1 = true
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if p > last && pastEnd != 0 {
		w.WriteHeader(pastEnd)
		fmt.Fprint(w, `{"errors":["page out of range"]}`)
		return
	}
	data := fmt.Sprintf(`[{"product_id":%d}]`, p)
	if p > last {
		data = `[]`
	}
	fmt.Fprintf(w, `{"data":%s,"paging":{"total":%d,"per_page":1,"current_page":%d,"last_page":%d}}`, data, last, p, last)
}

// reset starts a new walk's record; when holdFor is above zero, page 1 is
// answered once that many other pages were requested.
func (s *lengthServer) reset(holdFor int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages, s.beforeOne, s.answered1, s.hold, s.others = nil, nil, false, nil, nil
	if holdFor > 0 {
		hold := make(chan struct{})
		s.hold = hold
		go func() {
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				s.mu.Lock()
				n := len(s.beforeOne)
				s.mu.Unlock()
				if n >= holdFor {
					break
				}
				time.Sleep(time.Millisecond)
			}
			close(hold)
		}()
	}
}

// queries returns the distinct queries, page aside, of the walk's requests.
func (s *lengthServer) queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for q := range s.others {
		out = append(out, q)
	}
	slices.Sort(out)
	return out
}

func (s *lengthServer) record() (pages, beforeOne []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pages, beforeOne = slices.Clone(s.pages), slices.Clone(s.beforeOne)
	slices.Sort(pages)
	slices.Sort(beforeOne)
	return pages, beforeOne
}

func walkIDs(t *testing.T, c *Client, opts *ProductsOptions, walkOpts ...WalkOption) []int64 {
	t.Helper()
	var ids []int64
	for p, err := range c.Products.All(context.Background(), opts, walkOpts...) {
		require.NoError(t, err)
		ids = append(ids, p.ProductID)
	}
	return ids
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// A client's first walk of a list requests page 1 alone: it does not know
// the list's length, and no page is requested blindly. Its next walk of
// the same list requests every page the first found at once, before page
// 1 answers, and yields the same rows in order.
func TestRepeatedWalkRequestsTheKnownPagesAtOnce(t *testing.T) {
	t.Parallel()
	c, s := newLengthServer(t, 6)

	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, walkIDs(t, c, nil))
	pages, before := s.record()
	assert.Equal(t, seq(1, 6), pages)
	assert.Empty(t, before, "first walk: nothing before page 1's answer")

	s.reset(5)
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, walkIDs(t, c, nil))
	pages, before = s.record()
	assert.Equal(t, seq(1, 6), pages, "each page once, none past the end")
	assert.Equal(t, seq(2, 6), before, "repeated walk: every known page at once")

	// The window bounds it: 2 pages ahead requests pages 1 and 2 at once,
	// never more than 2 in flight.
	s.reset(1)
	assert.Len(t, walkIDs(t, c, nil, WithPagesAhead(2)), 6)
	_, before = s.record()
	assert.Equal(t, []int{2}, before)

	// WithExpectedPages(1) turns it off.
	s.reset(0)
	assert.Len(t, walkIDs(t, c, nil, WithExpectedPages(1)), 6)
	_, before = s.record()
	assert.Empty(t, before)
}

// The length is remembered per list, filters and page size, date filters
// whatever their values: a walk with another filter, another value of a
// filter that is not a date, or another page size starts with page 1
// alone; one over another date range requests the known pages.
func TestWalkLengthsArePerListAndFilters(t *testing.T) {
	t.Parallel()
	c, s := newLengthServer(t, 4)

	day := func(d int) Time { return Time{time.Date(2026, 12, d, 0, 0, 0, 0, Vietnam())} }
	walkIDs(t, c, &ProductsOptions{UpdatedFrom: day(1)})

	s.reset(0)
	walkIDs(t, c, &ProductsOptions{Name: "áo"})
	_, before := s.record()
	assert.Empty(t, before, "another filter: another list")

	s.reset(3)
	walkIDs(t, c, &ProductsOptions{UpdatedFrom: day(2)})
	_, before = s.record()
	assert.Equal(t, []int{2, 3, 4}, before, "the same filter with another value: the same list")
	assert.Equal(t, []string{"updated_from_date=2026-12-02+00%3A00%3A00"}, s.queries(),
		"every page, those requested before page 1 answered included, carries the walk's filters")

	s.reset(0)
	walkIDs(t, c, &ProductsOptions{Name: "bình"})
	_, before = s.record()
	assert.Empty(t, before, "another value of a filter that is not a date: another list")

	s.reset(0)
	walkIDs(t, c, &ProductsOptions{UpdatedFrom: day(3), ListOptions: ListOptions{Limit: 50}})
	_, before = s.record()
	assert.Empty(t, before, "another page size: another list")

	active := ActiveFlag(1)
	assert.Equal(t, "products Active=1 CategoryID=9 UpdatedFrom Limit=5",
		listKey("products", &ProductsOptions{Active: &active, CategoryID: 9, UpdatedFrom: day(4),
			ListOptions: ListOptions{Page: 3, Limit: 5}}))
	assert.Equal(t, "products", listKey("products", (*ProductsOptions)(nil)))
	assert.Equal(t, "v2/orders Status=queueing", listKey("v2/orders", &OrderListOptions{Status: In(OrderStatusQueueing)}))
}

// WithExpectedPages requests that many pages at once on a new client, and
// is refused, with nothing sent, below 1 or above the window
// (WithPagesAhead, or DefaultPagesAhead).
func TestExpectedPagesOption(t *testing.T) {
	t.Parallel()
	c, s := newLengthServer(t, 3)
	s.reset(2)
	assert.Equal(t, []int64{1, 2, 3}, walkIDs(t, c, nil, WithExpectedPages(3)))
	_, before := s.record()
	assert.Equal(t, []int{2, 3}, before)

	for _, walkOpts := range [][]WalkOption{
		{WithExpectedPages(-1)},
		{WithExpectedPages(0)},
		{WithExpectedPages(DefaultPagesAhead + 1)},
		{WithPagesAhead(2), WithExpectedPages(3)},
	} {
		s.reset(0)
		for _, err := range c.Products.All(context.Background(), nil, walkOpts...) {
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "expected_pages", ve.Problems[0].Field)
		}
		pages, _ := s.record()
		assert.Empty(t, pages, "nothing sent")
	}
}

// When a list shrank since the last walk, the pages requested past its new
// end are dropped, whether answered empty or with an error: the walk yields
// exactly the list's rows, no error, leaves no goroutine behind, and the
// client remembers the list's new length.
func TestWalkOfAListThatShrank(t *testing.T) {
	before := goleak.IgnoreCurrent()
	for _, pastEnd := range []int{0, http.StatusNotFound, http.StatusInternalServerError} {
		c, s := newLengthServer(t, 5, WithRetry(2, time.Millisecond, time.Millisecond))
		walkIDs(t, c, nil)

		s.mu.Lock()
		s.last, s.pastEnd = 2, pastEnd
		s.mu.Unlock()
		s.reset(4)
		assert.Equal(t, []int64{1, 2}, walkIDs(t, c, nil), "past-end answer %d", pastEnd)

		// A request the walk cancelled may still reach the server later,
		// so the next walk's plan is read from the client.
		last, ok := c.walks.lastPage(listKey("products", &ProductsOptions{}))
		assert.True(t, ok)
		assert.Equal(t, 2, last, "the new length is remembered")
		s.srv.Close()
	}
	goleak.VerifyNone(t, before)
}

// The table of lengths is bounded: past maxRememberedLists lists it starts
// again.
func TestWalkLengthsBounded(t *testing.T) {
	t.Parallel()
	var l walkLengths
	for i := range maxRememberedLists + 10 {
		l.remember("list "+strconv.Itoa(i), i)
	}
	assert.LessOrEqual(t, len(l.pages), maxRememberedLists)
	n, ok := l.lastPage("list " + strconv.Itoa(maxRememberedLists+9))
	assert.True(t, ok)
	assert.Equal(t, maxRememberedLists+9, n)
	l.remember("zero", 0)
	n, _ = l.lastPage("zero")
	assert.Equal(t, 1, n)
}

// Pages of products take their own route (rows decoded as sent, then
// converted: productRows), not a special case of Page: every product list
// answers what the generic page decodes from the same body, row by row
// through Product.UnmarshalJSON.
func TestProductPagesDecodeAsTheGenericPage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture, path string
		list          func(*Client) (*Page[Product], *Response, error)
	}{
		{"products_list_v21.json", "/v2.1/products", func(c *Client) (*Page[Product], *Response, error) {
			return c.Products.List(context.Background(), nil)
		}},
		{"products_hidden.json", "/v2/products/getHiddenSkus", func(c *Client) (*Page[Product], *Response, error) {
			return c.Products.ListHidden(context.Background(), nil)
		}},
		{"product_find_by_original_sku.json", "/v2/products/findBy", func(c *Client) (*Page[Product], *Response, error) {
			return c.Products.FindByOriginalSKU(context.Background(), "YOUR_ORIGINAL_SKU_123")
		}},
	} {
		c, s := setup(t)
		body := fixture(t, tc.fixture)
		s.respond(http.MethodGet, tc.path, 200, body)
		got, _, err := tc.list(c)
		require.NoError(t, err, tc.fixture)
		var generic Page[Product]
		require.NoError(t, json.Unmarshal(body, &generic), tc.fixture)
		require.NotEmpty(t, generic.Data, tc.fixture)
		assert.Equal(t, &generic, got, tc.fixture)
	}
}
