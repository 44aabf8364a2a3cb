package tiki

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// lengthServer serves a products list of last pages of one row each and
// records, for every walk, the pages requested before page 1 was answered.
// Pages past last are answered empty, or with status pastEnd when set.
type lengthServer struct {
	*httptest.Server
	mu      sync.Mutex
	last    int
	pastEnd int
	// hold, when set, keeps page 1's answer until it is closed or 5 s
	// pass, so that the test sees what was requested while page 1 was in
	// flight, whatever the machine's speed.
	hold      chan struct{}
	pages     []int // requested, in arrival order
	beforeOne []int // requested before page 1 was answered
	answered1 bool
}

func newLengthServer(t *testing.T, last int) *lengthServer {
	t.Helper()
	s := &lengthServer{last: last}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *lengthServer) serve(w http.ResponseWriter, r *http.Request) {
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	s.mu.Lock()
	s.pages = append(s.pages, p)
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
	s.pages, s.beforeOne, s.answered1, s.hold = nil, nil, false, nil
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

func (s *lengthServer) record() (pages, beforeOne []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pages, beforeOne = slices.Clone(s.pages), slices.Clone(s.beforeOne)
	slices.Sort(pages)
	slices.Sort(beforeOne)
	return pages, beforeOne
}

func walkIDs(t *testing.T, c *Client, opts *ProductsOptions) []int64 {
	t.Helper()
	var ids []int64
	for p, err := range c.Products.All(context.Background(), opts) {
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
	s := newLengthServer(t, 6)
	c, err := NewClient(WithBaseURL(s.URL), WithRateLimit(0, 0))
	require.NoError(t, err)

	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, walkIDs(t, c, nil))
	pages, before := s.record()
	assert.Equal(t, seq(1, 6), pages)
	assert.Empty(t, before, "first walk: nothing before page 1's answer")

	s.reset(5)
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, walkIDs(t, c, nil))
	pages, before = s.record()
	assert.Equal(t, seq(1, 6), pages, "each page once, none past the end")
	assert.Equal(t, seq(2, 6), before, "repeated walk: every known page at once")

	// The window bounds it: PagesAhead 2 requests pages 1 to 3 at once.
	s.reset(2)
	assert.Len(t, walkIDs(t, c, &ProductsOptions{ListOptions: ListOptions{PagesAhead: 2}}), 6)
	_, before = s.record()
	assert.Equal(t, []int{2, 3}, before)

	// ExpectedPages 1 turns it off.
	s.reset(0)
	assert.Len(t, walkIDs(t, c, &ProductsOptions{ListOptions: ListOptions{ExpectedPages: 1}}), 6)
	_, before = s.record()
	assert.Empty(t, before)
}

// The length is remembered per list and per set of filters, whatever
// their values: a walk with a filter the last walk did not have starts
// with page 1 alone; one with another value of the same filter requests
// the known pages.
func TestWalkLengthsArePerListAndFilters(t *testing.T) {
	t.Parallel()
	s := newLengthServer(t, 4)
	c, err := NewClient(WithBaseURL(s.URL), WithRateLimit(0, 0))
	require.NoError(t, err)

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

	assert.Equal(t, "products CategoryID Limit",
		listKey("products", &ProductsOptions{CategoryID: 9, ListOptions: ListOptions{Page: 3, Limit: 5, PagesAhead: 2, ExpectedPages: 4}}))
	assert.Equal(t, "products", listKey("products", (*ProductsOptions)(nil)))
	assert.Equal(t, "v2/orders Status", listKey("v2/orders", &OrderListOptions{Status: In(OrderStatusQueueing)}))
}

// An explicit ExpectedPages requests that many pages at once on a new
// client, and is refused, with nothing sent, when negative or above the
// window.
func TestExpectedPagesOption(t *testing.T) {
	t.Parallel()
	s := newLengthServer(t, 3)
	c, err := NewClient(WithBaseURL(s.URL), WithRateLimit(0, 0))
	require.NoError(t, err)
	s.reset(2)
	assert.Equal(t, []int64{1, 2, 3}, walkIDs(t, c, &ProductsOptions{ListOptions: ListOptions{ExpectedPages: 3}}))
	_, before := s.record()
	assert.Equal(t, []int{2, 3}, before)

	for _, n := range []int{-1, MaxPagesAhead + 2} {
		s.reset(0)
		for _, err := range c.Products.All(context.Background(), &ProductsOptions{ListOptions: ListOptions{ExpectedPages: n}}) {
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "expected_pages", ve.Problems[0].Field)
		}
		pages, _ := s.record()
		assert.Empty(t, pages, "nothing sent for ExpectedPages %d", n)
	}
}

// When a list shrank since the last walk, the pages requested past its new
// end are dropped, whether answered empty or with an error: the walk yields
// exactly the list's rows, no error, leaves no goroutine behind, and the
// client remembers the list's new length.
func TestWalkOfAListThatShrank(t *testing.T) {
	before := goleak.IgnoreCurrent()
	for _, pastEnd := range []int{0, http.StatusNotFound, http.StatusInternalServerError} {
		s := newLengthServer(t, 5)
		c, err := NewClient(WithBaseURL(s.URL), WithRateLimit(0, 0), WithRetry(2, time.Millisecond, time.Millisecond))
		require.NoError(t, err)
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
		c.CloseIdleConnections()
		s.Close()
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
