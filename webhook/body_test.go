package webhook_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/webhook"
)

func TestReadBody(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		body    string
		limit   int64
		unknown bool // hide Content-Length, so the limit applies while reading
		want    string
		tooBig  bool
	}{
		{name: "under the limit", body: "hello", limit: 10, want: "hello"},
		{name: "exactly the limit", body: "0123456789", limit: 10, want: "0123456789"},
		{name: "empty", body: "", limit: 10, want: ""},
		{name: "declared over the limit", body: "0123456789x", limit: 10, tooBig: true},
		{name: "streamed over the limit", body: "0123456789x", limit: 10, unknown: true, tooBig: true},
		{name: "streamed at the limit", body: "0123456789", limit: 10, unknown: true, want: "0123456789"},
		{name: "default limit accepts 1 MiB", body: strings.Repeat("a", 1<<20), want: strings.Repeat("a", 1<<20)},
		{name: "default limit refuses 1 MiB + 1", body: strings.Repeat("a", 1<<20+1), unknown: true, tooBig: true},
		{name: "negative limit means default", body: "abc", limit: -1, want: "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.unknown {
				r.ContentLength = -1
			}
			got, err := webhook.ReadBody(httptest.NewRecorder(), r, tt.limit)
			if tt.tooBig {
				require.ErrorIs(t, err, webhook.ErrBodyTooLarge)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestReadBodyNilWriterAndNilBody(t *testing.T) {
	t.Parallel()

	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789x"))
	r.ContentLength = -1
	_, err := webhook.ReadBody(nil, r, 10)
	require.ErrorIs(t, err, webhook.ErrBodyTooLarge)

	r = httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body = nil
	got, err := webhook.ReadBody(nil, r, 10)
	require.NoError(t, err)
	assert.Empty(t, got)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadBodyReadError(t *testing.T) {
	t.Parallel()

	r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(failingReader{}))
	_, err := webhook.ReadBody(nil, r, 10)
	require.Error(t, err)
	assert.NotErrorIs(t, err, webhook.ErrBodyTooLarge)
	assert.ErrorContains(t, err, "connection reset")
}

func TestBodyKey(t *testing.T) {
	t.Parallel()

	// SHA-256 test vectors.
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", webhook.BodyKey(nil))
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", webhook.BodyKey([]byte("abc")))
	assert.NotEqual(t, webhook.BodyKey([]byte(`{"a":1}`)), webhook.BodyKey([]byte(`{"a": 1}`)))
}

func TestSecretEqual(t *testing.T) {
	t.Parallel()

	assert.True(t, webhook.SecretEqual("s3cr3t", "s3cr3t"))
	assert.False(t, webhook.SecretEqual("s3cr3T", "s3cr3t"))
	assert.False(t, webhook.SecretEqual("s3cr3", "s3cr3t"))
	assert.False(t, webhook.SecretEqual("s3cr3tt", "s3cr3t"))
	assert.False(t, webhook.SecretEqual("", "s3cr3t"))
	assert.False(t, webhook.SecretEqual("", ""), "an empty secret must never match")
	assert.False(t, webhook.SecretEqual("x", ""))
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()

	w := httptest.NewRecorder()
	require.NoError(t, webhook.WriteJSON(w, http.StatusAccepted, map[string]bool{"status": true}))
	assert.Equal(t, http.StatusAccepted, w.Code)
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	assert.JSONEq(t, `{"status": true}`, w.Body.String())

	w = httptest.NewRecorder()
	err := webhook.WriteJSON(w, http.StatusOK, map[string]any{"bad": make(chan int)})
	require.Error(t, err)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.JSONEq(t, `{}`, w.Body.String())
}

func TestParseTime(t *testing.T) {
	t.Parallel()

	ict := time.FixedZone("ICT", 7*60*60)
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"2021-04-07T06:06:46.494Z", nil, time.Date(2021, 4, 7, 6, 6, 46, 494_000_000, time.UTC)},
		{"2020-10-27T15:50:19Z", ict, time.Date(2020, 10, 27, 15, 50, 19, 0, time.UTC)},
		{"2023-05-01T10:00:00+07:00", nil, time.Date(2023, 5, 1, 10, 0, 0, 0, ict)},
		{"2023-05-01T03:00:00.000000Z", nil, time.Date(2023, 5, 1, 3, 0, 0, 0, time.UTC)},
		{"2023-05-01 10:00:00+07:00", nil, time.Date(2023, 5, 1, 10, 0, 0, 0, ict)},
		{"2023-05-01 10:00:00", ict, time.Date(2023, 5, 1, 10, 0, 0, 0, ict)},
		{"2023-05-01 10:00:00.123", ict, time.Date(2023, 5, 1, 10, 0, 0, 123_000_000, ict)},
		{"2023-05-01T10:00:00", ict, time.Date(2023, 5, 1, 10, 0, 0, 0, ict)},
		{"2023-05-01 10:00:00", nil, time.Date(2023, 5, 1, 10, 0, 0, 0, time.UTC)},
		{" 1990-12-31 ", ict, time.Date(1990, 12, 31, 0, 0, 0, 0, ict)},
	}
	for _, tt := range tests {
		got, err := webhook.ParseTime(tt.in, tt.loc)
		require.NoError(t, err, tt.in)
		assert.True(t, tt.want.Equal(got), "%q: got %v, want %v", tt.in, got, tt.want)
		_, wantOffset := tt.want.Zone()
		_, gotOffset := got.Zone()
		assert.Equal(t, wantOffset, gotOffset, tt.in)
	}

	for _, bad := range []string{"", "yesterday", "0000-00-00 00:00:00", "2023-13-01", "1700000000", "01/05/2023", "2023-05-01 10:00:00+24:00", "2023-05-01T10:00:00-24:00"} {
		_, err := webhook.ParseTime(bad, nil)
		assert.Error(t, err, bad)
	}
}

func TestDecodeObject(t *testing.T) {
	t.Parallel()

	var v struct {
		Type string `json:"type"`
	}
	require.NoError(t, webhook.DecodeObject([]byte(" {\"type\": \"A\"} \n"), &v))
	assert.Equal(t, "A", v.Type)

	for _, bad := range []string{``, ` `, `null`, `[]`, `"x"`, `1`, `{"type": `, `{"type": 1}`, `{} {}`} {
		err := webhook.DecodeObject([]byte(bad), &v)
		assert.ErrorIs(t, err, webhook.ErrMalformedPayload, bad)
	}
}
