package webhook_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/webhook"
)

func TestTimeDecodeJSON(t *testing.T) {
	t.Parallel()
	ict := time.FixedZone("ICT", 7*60*60)
	unix := func(n json.Number) time.Time {
		s, err := n.Int64()
		if err != nil {
			return time.Time{}
		}
		return time.Unix(s, 0).UTC()
	}

	tests := []struct {
		in         string
		loc        *time.Location
		fromNumber func(json.Number) time.Time
		want       webhook.Time
	}{
		{`"2023-05-01 10:30:00"`, ict, nil, webhook.Time{Time: time.Date(2023, 5, 1, 10, 30, 0, 0, ict), Raw: "2023-05-01 10:30:00"}},
		{`"2023-05-01 10:30:00"`, nil, nil, webhook.Time{Time: time.Date(2023, 5, 1, 10, 30, 0, 0, time.UTC), Raw: "2023-05-01 10:30:00"}},
		{` "2021-04-07T06:06:46.494Z" `, ict, nil, webhook.Time{Time: time.Date(2021, 4, 7, 6, 6, 46, 494_000_000, time.UTC), Raw: "2021-04-07T06:06:46.494Z"}},
		{`""`, ict, nil, webhook.Time{}},
		{`"0000-00-00 00:00:00"`, ict, nil, webhook.Time{Raw: "0000-00-00 00:00:00"}},
		{`"1617775606"`, nil, unix, webhook.Time{Raw: "1617775606"}},
		{`1617775606`, nil, nil, webhook.Time{Raw: "1617775606"}},
		{`1617775606`, nil, unix, webhook.Time{Time: time.Date(2021, 4, 7, 6, 6, 46, 0, time.UTC), Raw: "1617775606"}},
		{`1.5`, nil, unix, webhook.Time{Raw: "1.5"}},
		{`true`, nil, unix, webhook.Time{Raw: "true"}},
		{`{"date": "2023-05-01"}`, nil, unix, webhook.Time{Raw: `{"date": "2023-05-01"}`}},
	}
	for _, tt := range tests {
		got := webhook.Time{Time: time.Now(), Raw: "previous"}
		got.DecodeJSON([]byte(tt.in), tt.loc, tt.fromNumber)
		assert.True(t, tt.want.Time.Equal(got.Time), "%s: got %v, want %v", tt.in, got.Time, tt.want.Time)
		_, wantOffset := tt.want.Zone()
		_, gotOffset := got.Zone()
		assert.Equal(t, wantOffset, gotOffset, tt.in)
		assert.Equal(t, tt.want.Raw, got.Raw, tt.in)
	}

	kept := webhook.Time{Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Raw: "x"}
	before := kept
	kept.DecodeJSON([]byte(" null "), ict, unix)
	assert.Equal(t, before, kept, "null leaves the value alone")
}

func TestTimeJSON(t *testing.T) {
	t.Parallel()

	var v struct {
		At webhook.Time `json:"at"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"at": "2023-05-01 10:30:00"}`), &v))
	assert.Equal(t, webhook.Time{Time: time.Date(2023, 5, 1, 10, 30, 0, 0, time.UTC), Raw: "2023-05-01 10:30:00"}, v.At, "UTC by default")
	require.NoError(t, json.Unmarshal([]byte(`{"at": 1617775606}`), &v), "never fails on valid JSON")
	assert.Equal(t, webhook.Time{Raw: "1617775606"}, v.At, "no Unix times by default")

	for _, tt := range []struct {
		in   webhook.Time
		json string
		str  string
	}{
		{webhook.Time{Time: time.Date(2023, 5, 1, 10, 30, 0, 0, time.FixedZone("ICT", 7*60*60)), Raw: "2023-05-01 10:30:00"},
			`"2023-05-01T10:30:00+07:00"`, "2023-05-01 10:30:00 +0700 ICT"},
		{webhook.Time{Raw: "0000-00-00 00:00:00"}, `"0000-00-00 00:00:00"`, "0000-00-00 00:00:00"},
		{webhook.Time{}, `null`, "0001-01-01 00:00:00 +0000 UTC"},
	} {
		b, err := json.Marshal(tt.in)
		require.NoError(t, err)
		assert.JSONEq(t, tt.json, string(b))
		assert.Equal(t, tt.str, tt.in.String())
	}
	assert.Contains(t, fmt.Sprintf("%#v", webhook.Time{Raw: "soon"}), `webhook.Time{Time: time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), Raw: "soon"}`)
}
