package tiki

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimeDecodesEveryForm(t *testing.T) {
	t.Parallel()
	want := time.Date(2021, 3, 19, 15, 45, 47, 0, Vietnam())
	cases := map[string]time.Time{
		`"2021-03-19 15:45:47"`:       want,
		`"2021-03-19T15:45:47+07:00"`: want,
		`"2021-03-19T08:45:47Z"`:      want,
		`"2021-03-19T15:45:47"`:       want,
		`"2021-03-19"`:                time.Date(2021, 3, 19, 0, 0, 0, 0, Vietnam()),
		`1616143547`:                  want,
		`"1616143547"`:                want,
		`1616143547000`:               want,
		`""`:                          {},
		`null`:                        {},
	}
	for in, exp := range cases {
		var got Time
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.True(t, exp.Equal(got.Time), "%s: got %v", in, got)
	}
	var bad Time
	assert.Error(t, json.Unmarshal([]byte(`"yesterday"`), &bad))
	assert.Error(t, json.Unmarshal([]byte(`{}`), &bad))
}

func TestTimeRoundTrip(t *testing.T) {
	t.Parallel()
	type doc struct {
		At    Time `json:"at"`
		Empty Time `json:"empty"`
	}
	in := `{"at":"2018-03-12 08:15:23","empty":null}`
	var d doc
	require.NoError(t, json.Unmarshal([]byte(in), &d))
	out, err := json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))

	// Other forms are written in Tiki's own layout and Vietnam time.
	require.NoError(t, json.Unmarshal([]byte(`{"at":"2018-03-12T01:15:23Z"}`), &d))
	out, err = json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
	assert.Equal(t, "2018-03-12 08:15:23", d.At.String())
	assert.Equal(t, "", Time{}.String())
}

func TestTimeQueryParameter(t *testing.T) {
	t.Parallel()
	q := encodeQuery(struct {
		Created Time `url:"created_from_date,omitempty"`
		Updated Time `url:"updated_from_date,omitempty"`
	}{Created: NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))})
	assert.Equal(t, "created_from_date=2024-01-02+10%3A04%3A05", q.Encode())
}

func TestFlexInt(t *testing.T) {
	t.Parallel()
	cases := map[string]FlexInt{`0`: 0, `"0"`: 0, `1`: 1, `"1"`: 1, `" 42 "`: 42, `12.0`: 12, `"-7"`: -7, `null`: 0, `""`: 0}
	for in, want := range cases {
		var got FlexInt
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{`1.5`, `"abc"`, `true`, `[]`, `{}`, `"1e400"`} {
		var got FlexInt
		assert.Error(t, json.Unmarshal([]byte(in), &got), in)
	}
	out, err := json.Marshal(struct{ N FlexInt }{N: 5})
	require.NoError(t, err)
	assert.JSONEq(t, `{"N":5}`, string(out))
}

func TestFlexBool(t *testing.T) {
	t.Parallel()
	cases := map[string]FlexBool{`true`: true, `false`: false, `1`: true, `0`: false, `"1"`: true, `"0"`: false,
		`"true"`: true, `"FALSE"`: false, `null`: false, `""`: false}
	for in, want := range cases {
		var got FlexBool
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{`2`, `"yes"`, `[]`} {
		var got FlexBool
		assert.Error(t, json.Unmarshal([]byte(in), &got), in)
	}
	out, err := json.Marshal(struct{ B FlexBool }{B: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"B":true}`, string(out))
}

func TestFlexString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`"abc"`: "abc", `" padded "`: " padded ", `""`: "", `null`: "", ` null `: "",
		`4833677185901`: "4833677185901", `-12`: "-12", `1.50`: "1.50", `1e3`: "1e3", `12345678901234567890123`: "12345678901234567890123",
	} {
		var s FlexString
		require.NoError(t, json.Unmarshal([]byte(in), &s), in)
		assert.Equal(t, want, string(s), in)
	}
	for _, in := range []string{`true`, `false`, `{}`, `[]`, `[1]`, `"unterminated`, ``, `nul`} {
		var s FlexString
		assert.Error(t, s.UnmarshalJSON([]byte(in)), in)
	}
}

// 003's order list names its rows "results" in the field table and "data"
// in the example: Page decodes either.
func TestPageDecodesDataOrResults(t *testing.T) {
	t.Parallel()
	paging := Paging{Total: 2, PerPage: 20, CurrentPage: 1, LastPage: 1, From: 1, To: 2}
	for body, want := range map[string][]AttributeValue{
		`{"data":[{"id":1},{"id":2}],"paging":{"total":2,"per_page":20,"current_page":1,"last_page":1,"from":1,"to":2}}`:       {{ID: 1}, {ID: 2}},
		`{"results":[{"id":1},{"id":2}],"paging":{"total":2,"per_page":20,"current_page":1,"last_page":1,"from":1,"to":2}}`:    {{ID: 1}, {ID: 2}},
		`{"data":null,"results":[{"id":3}],"paging":{"total":2,"per_page":20,"current_page":1,"last_page":1,"from":1,"to":2}}`: {{ID: 3}},
		`{"data":[],"results":[{"id":3}],"paging":{"total":2,"per_page":20,"current_page":1,"last_page":1,"from":1,"to":2}}`:   {},
	} {
		var p Page[AttributeValue]
		require.NoError(t, json.Unmarshal([]byte(body), &p), body)
		assert.Equal(t, want, p.Data, body)
		assert.Equal(t, paging, p.Paging, body)
	}
	var p Page[AttributeValue]
	var se *ShapeError
	assert.ErrorAs(t, json.Unmarshal([]byte(`{"paging":{}}`), &p), &se, "a page without rows is another shape, not an empty page")
	assert.ErrorAs(t, json.Unmarshal([]byte(`{}`), &p), &se)
	assert.ErrorAs(t, json.Unmarshal([]byte(`null`), &p), &se)
	var l list[AttributeValue]
	assert.ErrorAs(t, json.Unmarshal([]byte(`null`), &l), &se, "null is not a list")
	assert.ErrorAs(t, json.Unmarshal([]byte(`{}`), &l), &se)
	require.NoError(t, json.Unmarshal([]byte(`{"data": null}`), &l))
	assert.Empty(t, l)
	assert.Error(t, json.Unmarshal([]byte(`{"results":{"id":1}}`), &p))
	assert.Error(t, json.Unmarshal([]byte(`[]`), &p))
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

func TestFreeFormKept(t *testing.T) {
	t.Parallel()
	// A category with fields the SDK does not know still decodes: nothing
	// unknown makes a call fail.
	var c Category
	require.NoError(t, json.Unmarshal([]byte(`{"id":"5","name":"x","parent_id":null,"is_primary":"1","future_field":{"a":1}}`), &c))
	assert.Equal(t, Category{ID: 5, Name: "x", IsPrimary: true}, c)
}

func responseJSON(status int, body string) *http.Response {
	r := httpmock.NewStringResponse(status, body)
	r.Header.Set("Content-Type", "application/json")
	return r
}
