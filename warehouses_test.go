package tiki

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWarehousesSeller(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "seller_warehouses.json")
	s.respond(http.MethodGet, "/v1/warehouses", 200, body)

	whs, resp, err := c.V1.Warehouses.ListSeller(context.Background(), nil)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/warehouses", nil)
	assert.Equal(t, 1, resp.Attempts)

	rows := rawRows(t, body)
	require.Len(t, whs, 6)
	require.Len(t, rows, len(whs))
	loc := func(v any) Locality {
		m, _ := v.(map[string]any)
		return Locality{Code: str(m["code"]), Name: str(m["name"])}
	}
	for i, r := range rows {
		assert.Equal(t, SellerWarehouse{
			WarehouseID:       num(r["warehouse_id"]),
			WarehouseCode:     str(r["warehouse_code"]),
			SellerInventoryID: num(r["seller_inventory_id"]),
			Name:              str(r["name"]),
			Street:            str(r["street"]),
			Ward:              loc(r["ward"]),
			District:          loc(r["district"]),
			Region:            loc(r["region"]),
			Country:           loc(r["country"]),
			ContactName:       str(r["contact_name"]),
			ContactEmail:      str(r["contact_email"]),
			ContactPhone:      str(r["contact_phone"]),
		}, whs[i], i)
	}
	// The first row in full, so the loop above cannot pass on empty values.
	assert.Equal(t, SellerWarehouse{
		WarehouseID: 2, WarehouseCode: "hn", SellerInventoryID: 919,
		Name: "Kho giáp bát hà nội", Street: "dsa ds",
		Ward:         Locality{Code: "VN034025003", Name: "Phường Giáp Bát"},
		District:     Locality{Code: "VN034025", Name: "Quận Hoàng Mai"},
		Region:       Locality{Code: "VN034", Name: "Hà Nội"},
		Country:      Locality{Code: "vn", Name: "Viet Nam"},
		ContactName:  "Nguyễn Thị Bích a",
		ContactEmail: "dsada@gmail.com",
		ContactPhone: "0988909999",
	}, whs[0])
}

func TestWarehousesSellerFiltered(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/warehouses", 200, []byte(`[{"warehouse_id":"2","warehouse_code":"hn","seller_inventory_id":"919"}]`))

	whs, _, err := c.V1.Warehouses.ListSeller(context.Background(), &SellerWarehousesOptions{WarehouseID: 2, WarehouseCode: "hn"})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/warehouses", map[string][]string{"warehouse_id": {"2"}, "warehouse_code": {"hn"}})
	assert.Equal(t, []SellerWarehouse{{WarehouseID: 2, WarehouseCode: "hn", SellerInventoryID: 919}}, whs)
}

func TestWarehousesSellerInvalid(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, _, err := c.V1.Warehouses.ListSeller(context.Background(), &SellerWarehousesOptions{WarehouseID: -1})
	requireRefused(t, err, s, FieldProblem{Field: "warehouse_id", Problem: "must not be negative"})
}

func TestWarehousesTiki(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/warehouses/tiki", 200, fixture(t, "warehouses_tiki.json"))

	whs, _, err := c.Warehouses.ListTiki(context.Background())
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/warehouses/tiki", nil)
	assert.Equal(t, []Warehouse{
		{"Hà Nội", "hn"}, {"Sài Gòn", "sgn"}, {"Cần Thơ", "ct"}, {"Đà Nẵng", "dn"}, {"Hải Phòng", "hp"},
		{"Tân Sơn", "ts"}, {"Nha Trang", "nt"}, {"Vĩnh Lộc Mới", "vln"}, {"Buffer SGN", "bfsgn"},
		{"Sai Gon 3", "sgn3"}, {"Hà Nội 4", "hn4"},
	}, whs)
}

func TestWarehousesUnauthorized(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/warehouses/tiki", 401, []byte(`{"errors":["Unauthorized"]}`))
	_, _, err := c.Warehouses.ListTiki(context.Background())
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.False(t, errors.Is(err, ErrNotFound))
	assert.Equal(t, 1, s.count(), "a seller key cannot be renewed: no repeat")
}

func TestWarehousesSellerInventories(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/seller-inventories", 200, fixture(t, "orders_v2/seller_inventories.json"))
	invs, _, err := c.Warehouses.ListSellerInventories(context.Background(), "sgn", "hn4")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/seller-inventories", map[string][]string{"tiki_warehouse_codes": {"sgn,hn4"}})
	bigC := SellerInventory{ID: 188954, Name: "Big C NTT", Type: "requisition",
		Address: InventoryAddress{Street: "Lô A, Khu dân cư ...", Ward: "Phường Tân Phú", District: "Quận 7", Region: "Hồ Chí Minh", Country: "Viet Nam"}}
	assert.Equal(t, &SellerInventories{
		Inventories: []SellerInventory{bigC},
		Mappings:    []InventoryMapping{{TikiWarehouseCode: "sgn", SellerInventoryIDs: []int64{188954}}},
	}, invs)
	assert.Equal(t, []SellerInventory{bigC}, invs.For("SGN"))
	assert.Empty(t, invs.For("hn4"))

	c2, s2 := setup(t)
	_, _, err = c2.Warehouses.ListSellerInventories(context.Background())
	requireRefused(t, err, s2, []FieldProblem{{Field: "tiki_warehouse_codes", Problem: "must name at least one Tiki warehouse (Order.TikiWarehouse.Code)"}}...)
	_, _, err = c2.Warehouses.ListSellerInventories(context.Background(), "")
	requireRefused(t, err, s2, []FieldProblem{{Field: "tiki_warehouse_codes", Problem: "must name at least one Tiki warehouse (Order.TikiWarehouse.Code)"}}...)
}
