package tiki

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSellersMe(t *testing.T) {
	t.Parallel()
	// Pinned to v2 whatever the orders group's version.
	c, mt := setup(t)
	var got wire
	respond(mt, http.MethodGet, "/v2/sellers/me", 200, fixture(t, "sellers_me.json"), &got)

	me, _, err := c.Sellers.Me(context.Background())
	require.NoError(t, err)
	requireWire(t, got, http.MethodGet, "/v2/sellers/me", nil)
	assert.Equal(t, &SellerInfo{
		ID:                 328785,
		Name:               "Sushi shop",
		Active:             true,
		OperationModels:    []string{"dropship", "instock"},
		CanUpdateProduct:   true,
		RegistrationStatus: RegistrationCompleted,
		LiveAt:             vnTime(t, "2021-03-15 10:20:30"),
	}, me)
}

func TestSellersMeDraft(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	respond(mt, http.MethodGet, "/v2/sellers/me", 200, fixture(t, "sellers_me_draft.json"), nil)

	me, _, err := c.Sellers.Me(context.Background())
	require.NoError(t, err)
	assert.Equal(t, &SellerInfo{
		ID:                 328784,
		SID:                "2DB7528064112E985AAA198C269FA22A0262192F",
		Name:               "ikitech123",
		Active:             false,
		OperationModels:    []string{"dropship", "instock"},
		CanUpdateProduct:   true,
		RegistrationStatus: RegistrationDraft,
	}, me)
}

func TestSellerInfoDecodesStringsAndBooleans(t *testing.T) {
	t.Parallel()
	var s SellerInfo
	require.NoError(t, json.Unmarshal([]byte(`{"id":"5678","active":true,"can_update_product":"0","registration_status":null,"logo":"http://x/l.png","operation_models":null,"live_at":""}`), &s))
	assert.Equal(t, SellerInfo{ID: 5678, Active: true, Logo: "http://x/l.png"}, s)
	assert.Error(t, json.Unmarshal([]byte(`{"active":"yes"}`), &s))
}
