package tiki

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// UnconfirmedError.Sent is false only for an answer that proves Tiki did
// not process the write (success false, a non-empty errors list, the
// paused-connection message); a message that refuses nothing, such as
// Replay's "Replay request accepted", leaves Sent true: the write may have
// been processed and must be looked up before it is sent again.
func TestUnconfirmedWriteIsNotSentOnlyWhenRefused(t *testing.T) {
	t.Parallel()
	answers := map[string]struct {
		body string
		sent bool
	}{
		"accepted message":         {`{"message":"Replay request accepted"}`, true},
		"msg":                      {`{"msg":"OK"}`, true},
		"error text":               {`{"error":"queued for review"}`, true},
		"success true":             {`{"success":true,"message":"done"}`, true},
		"empty errors":             {`{"errors":[],"message":"accepted"}`, true},
		"blank errors":             {`{"errors":[""]}`, true},
		"success false":            {`{"success":false,"message":"seller is inactive"}`, false},
		"errors":                   {`{"errors":["variants should have price > 0"]}`, false},
		"errors text":              {`{"errors":"variants should have price > 0"}`, false},
		"paused msg":               {`{"msg":"Kết nối đang tạm ngưng bởi seller","integration_status":0}`, false},
		"paused message":           {`{"message":"KẾT NỐI ĐANG TẠM NGƯNG BỞI SELLER."}`, false},
		"paused error":             {`{"error":"Kết nối đang tạm ngưng bởi seller"}`, false},
		"paused plain body":        {`Kết nối đang tạm ngưng bởi seller`, false},
		"another plain body":       {`Accepted`, true},
		"paused with a track code": {`{"msg":"Kết nối đang tạm ngưng bởi seller","track":"x"}`, false},
	}
	for name, a := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodPost, "/v2/tracking/t1/replay", 200, []byte(a.body))
			rec, _, err := c.Tracking.Replay(context.Background(), "t1")
			assert.Nil(t, rec)
			var ue *UnconfirmedError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, a.sent, ue.Sent)
			if a.sent {
				assert.Contains(t, err.Error(), "; Tiki may have processed the request: look it up before sending it again")
			} else {
				assert.Contains(t, err.Error(), "; Tiki did not process the request")
			}
			assert.Equal(t, 1, s.count(), "sent once")
			requireWire(t, s.last(), http.MethodPost, "/v2/tracking/t1/replay", nil)
		})
	}
}
