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
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/sellers/me", 200, fixture(t, "sellers_me.json"))

	me, _, err := c.Sellers.Get(context.Background())
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/sellers/me", nil)
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
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/sellers/me", 200, fixture(t, "sellers_me_draft.json"))

	me, _, err := c.Sellers.Get(context.Background())
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

func TestSellersWarehouses(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := `{"data": [` + string(fixture(t, "orders_v2/seller_warehouse.json")) + `], "paging": {"total": 1, "current_page": 1, "last_page": 1, "per_page": 20, "from": 1, "to": 1}}`
	s.respond(http.MethodGet, "/v2/sellers/me/warehouses", 200, []byte(body))
	page, _, err := c.Sellers.ListWarehouses(context.Background(), &SellerWarehouseListOptions{Active: Ptr(true), Type: Ptr(WarehouseTypePickup), ListOptions: ListOptions{Limit: 50}})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/sellers/me/warehouses", map[string][]string{"status": {"1"}, "type": {"1"}, "limit": {"50"}})
	assert.Equal(t, []SellerInventory{{ID: 558, SellerID: 871, Name: "Seller Alice Shop Hà Nội", Status: 1, Type: "requisition",
		Address: InventoryAddress{Street: "01 đường số 2", Ward: "Xã Đông Xuân", District: "Huyện Sóc Sơn", Region: "Hà Nội", Country: "Viet Nam"}}}, page.Data)
	assert.Equal(t, 1, page.Paging.Total)

	var n int
	for w, err := range c.Sellers.AllWarehouses(context.Background(), &SellerWarehouseListOptions{Active: Ptr(false)}) {
		require.NoError(t, err)
		assert.Equal(t, int64(558), w.ID)
		n++
	}
	assert.Equal(t, 1, n)

	c2, s2 := setup(t)
	_, _, err = c2.Sellers.ListWarehouses(context.Background(), &SellerWarehouseListOptions{Type: Ptr(2)})
	requireRefused(t, err, s2, []FieldProblem{{Field: "type", Problem: "must be WarehouseTypeReturn (0) or WarehouseTypePickup (1)"}}...)
}
