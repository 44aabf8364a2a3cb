package tikitest

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tikisdk/tiki"
)

// prodShape is which of Tiki's product representations to render.
type prodShape int

const (
	prodShapeList    prodShape = iota // latest products, find by original SKU
	prodShapeGet                      // one product, with includes
	prodShapeHidden                   // hidden products
	prodShapeRequest                  // products of a product request
	prodShapeSummary                  // products of a request found by track id
)

// prodIncludeSet is the extra information asked for with include(s)=.
type prodIncludeSet uint8

const (
	prodIncSeller prodIncludeSet = 1 << iota
	prodIncCategories
	prodIncInventory
	prodIncAttributes
	prodIncImages

	prodAllIncludes = prodIncSeller | prodIncCategories | prodIncInventory | prodIncAttributes | prodIncImages
)

// prodIncludes reads "seller,categories,inventory"; unknown names are
// ignored.
func prodIncludes(v string) prodIncludeSet {
	var inc prodIncludeSet
	for _, name := range strings.Split(v, ",") {
		switch strings.TrimSpace(name) {
		case "seller":
			inc |= prodIncSeller
		case "categories":
			inc |= prodIncCategories
		case "inventory":
			inc |= prodIncInventory
		case "attributes":
			inc |= prodIncAttributes
		case "images":
			inc |= prodIncImages
		}
	}
	return inc
}

// renderProduct renders a product in one of Tiki's shapes; version "v2.1"
// gives stock per warehouse. The result shares no mutable state with the
// model, so it can be encoded after s.mu is released. s.mu must be held.
func (s *Server) renderProduct(p *fakeProduct, version string, shape prodShape, inc prodIncludeSet) map[string]any {
	base := map[string]any{
		"sku": p.sku, "name": p.name, "master_id": p.masterID, "master_sku": p.masterSKU,
		"super_id": p.superID, "super_sku": p.superSKU, "original_sku": p.originalSKU,
		"type": "simple", "entity_type": "seller_simple",
		"price": p.price, "market_price": p.marketPrice, "version": p.version,
		"created_at": prodTime(p.createdAt), "created_by": productCreatedBy,
	}
	switch shape {
	case prodShapeGet:
		base["id"] = p.id
		base["active"] = prodFlag(p.active)
		base["is_hidden"] = p.hidden
		base["updated_at"] = prodTime(p.updatedAt)
		base["thumbnail"] = p.images[0].url
		delete(base, "created_by")
		if inc&prodIncSeller != 0 {
			base["seller"] = s.state.products.seller
		}
		if inc&prodIncAttributes != 0 {
			base["attributes"] = productAttributes(p)
		}
		if inc&prodIncImages != 0 {
			base["images"] = prodImages(p)
		}
		if inc&prodIncCategories != 0 {
			base["categories"] = s.productCategories(p.categoryID)
		}
		if inc&prodIncInventory != 0 {
			base["inventory"] = s.renderInventory(p, version)
		}
	case prodShapeList:
		base["product_id"] = p.id
		base["thumbnail"] = p.images[0].url
		base["images"] = prodImages(p)
		base["categories"] = s.productCategories(p.categoryID)
		base["active"] = prodFlag(p.active)
		base["updated_at"] = prodTime(p.updatedAt)
		if inc&prodIncInventory != 0 {
			base["inventory"] = s.renderInventory(p, version)
		}
	case prodShapeHidden:
		base["id"] = p.id
		base["updated_at"] = prodTime(p.updatedAt)
		base["active"] = strconv.Itoa(prodFlag(p.active)) // Tiki sends "0" here
		base["is_hidden"] = p.hidden
	case prodShapeSummary:
		base["product_id"] = p.id
		delete(base, "market_price")
		delete(base, "version")
	case prodShapeRequest:
		attrs := map[string]any{}
		for k, v := range productAttributes(p) {
			attrs[k] = map[string]any{"attribute_code": k, "value": v, "input_type": nil}
		}
		return map[string]any{
			"product_id": p.id, "sku": p.sku, "name": p.name, "active": prodFlag(p.active),
			"original_sku": p.originalSKU, "price": p.price, "market_price": p.marketPrice,
			"images": prodImages(p), "categories": s.productCategories(p.categoryID), "attributes": attrs,
		}
	}
	return base
}

func prodFlag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// productAttributes returns a copy of the product's attributes with its
// name, description, price and SKUs, as Tiki lists them.
func productAttributes(p *fakeProduct) map[string]any {
	out := maps.Clone(p.attributes)
	out["name"] = p.name
	out["description"] = p.description
	out["price"] = p.price
	out["list_price"] = p.marketPrice
	out["sku"] = p.sku
	out["status"] = prodFlag(p.active)
	return out
}

func prodImages(p *fakeProduct) []map[string]any {
	out := make([]map[string]any, 0, len(p.images))
	for i, im := range p.images {
		if im.url == "" {
			continue
		}
		path := im.url
		if u, err := url.Parse(im.url); err == nil && u.Path != "" {
			path = strings.TrimPrefix(u.Path, "/")
		}
		out = append(out, map[string]any{"id": im.id, "url": im.url, "path": path, "position": i, "width": 0, "height": 0})
	}
	return out
}

// productCategories lists the product's primary category and, when the
// catalog knows them, its ancestors.
func (s *Server) productCategories(id int64) []map[string]any {
	cat := s.catalog.findCategory(int(id))
	if cat == nil {
		return []map[string]any{}
	}
	entry := func(c map[string]any, primary bool) map[string]any {
		name, _ := c["name"].(string)
		key, ok := c["url_key"].(string)
		if !ok || key == "" {
			key = prodURLKey(name)
		}
		return map[string]any{"id": c["id"], "name": name, "url_key": key, "is_primary": primary}
	}
	var out []map[string]any
	parents, _ := cat["parents"].([]any)
	for _, p := range parents {
		if pm, ok := p.(map[string]any); ok && pm["id"] != cat["id"] {
			out = append(out, entry(pm, false))
		}
	}
	return append(out, entry(cat, true))
}

// prodBaseLetter maps a Vietnamese letter to its base Latin letter.
func prodBaseLetter(r rune) rune {
	for _, group := range [...]struct {
		base    rune
		letters string
	}{
		{'a', "àáạảãâầấậẩẫăằắặẳẵ"}, {'e', "èéẹẻẽêềếệểễ"}, {'i', "ìíịỉĩ"}, {'o', "òóọỏõôồốộổỗơờớợởỡ"},
		{'u', "ùúụủũưừứựửữ"}, {'y', "ỳýỵỷỹ"}, {'d', "đ"},
	} {
		if strings.ContainsRune(group.letters, r) {
			return group.base
		}
	}
	return r
}

// prodURLKey makes a URL key from a name as Tiki does: lower case, without
// diacritics, words joined by "-" ("Nhà Sách Tiki.vn" -> "nha-sach-tiki-vn").
func prodURLKey(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		r = prodBaseLetter(r)
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// prodFulfillment is who delivers a product of an inventory type.
func prodFulfillment(t tiki.InventoryType) string {
	if t == tiki.InventorySellerBackorder {
		return "seller_delivery"
	}
	return "tiki_delivery"
}

// renderInventory renders the stock: per warehouse for v2.1, one total for
// v2.
func (s *Server) renderInventory(p *fakeProduct, version string) map[string]any {
	out := map[string]any{"inventory_type": p.inventoryType, "fulfillment_type": prodFulfillment(p.inventoryType)}
	if version != "v2.1" {
		var total StockLevel
		for _, id := range p.warehouses {
			l := s.stockLevel(p, id)
			total.Available, total.Reserved, total.Sellable = total.Available+l.Available, total.Reserved+l.Reserved, total.Sellable+l.Sellable
		}
		out["quantity"], out["quantity_available"], out["quantity_sellable"], out["quantity_reserved"] = total.Available, total.Available, total.Sellable, total.Reserved
		return out
	}
	stocks := make([]map[string]any, 0, len(p.warehouses))
	for _, id := range p.warehouses {
		l := s.stockLevel(p, id)
		stocks = append(stocks, map[string]any{
			"warehouse_id": id, "quantity": l.Available, "quantity_available": l.Available, "quantity_sellable": l.Sellable, "quantity_reserved": l.Reserved,
		})
	}
	out["warehouse_stocks"] = stocks
	return out
}

// latestFirst returns the products kept by keep, latest created first.
// s.mu must be held.
func (s *Server) latestFirst(keep func(*fakeProduct) bool) []*fakeProduct {
	var out []*fakeProduct
	for _, p := range s.latest() {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// latestPage returns the products not hidden and kept by keep (every one
// when keep is nil), latest created first, that page selects, and how many
// there are in all. It holds no list of the others: a page of the whole
// list costs its rows alone, a filtered one a pass over the products.
// s.mu must be held.
func (s *Server) latestPage(page pageRequest, keep func(*fakeProduct) bool) ([]*fakeProduct, int) {
	st := &s.state.products
	all := s.latest()
	if st.visible == nil {
		st.visible = make([]*fakeProduct, 0, len(all))
		for _, p := range all {
			if !p.hidden {
				st.visible = append(st.visible, p)
			}
		}
	}
	if keep == nil {
		from, to := page.window(len(st.visible))
		return st.visible[from:to], len(st.visible)
	}
	from := (page.page - 1) * page.limit
	var out []*fakeProduct
	n := 0
	for _, p := range st.visible {
		if !keep(p) {
			continue
		}
		if n >= from && n < from+page.limit {
			out = append(out, p)
		}
		n++
	}
	return out, n
}

// latest returns every product, latest created first. Products are only
// ever added: the order is sorted again only when some were. s.mu must be
// held.
func (s *Server) latest() []*fakeProduct {
	st := &s.state.products
	if len(st.latest) != len(st.products) {
		st.visible = nil
		st.latest = slices.Clone(st.products)
		slices.SortStableFunc(st.latest, func(a, b *fakeProduct) int {
			if c := b.createdAt.Compare(a.createdAt); c != 0 {
				return c
			}
			return cmp.Compare(b.id, a.id)
		})
	}
	return st.latest
}

// prodNameMatches is Tiki's full-text name search, approximated: every word of
// the query is in the name, ignoring case.
func prodNameMatches(name, query string) bool {
	if query == "" {
		return true
	}
	name = strings.ToLower(name)
	for _, w := range strings.Fields(strings.ToLower(query)) {
		if !strings.Contains(name, w) {
			return false
		}
	}
	return true
}

// GET /integration/{v2.1,v2}/products?name=&active=&category_id=&include=
// &created_from_date=&created_to_date=&updated_from_date=&updated_to_date=
// &page=&limit=: the products that are not hidden, latest first.
func (s *Server) listProducts(version string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var bad prodProblems
		active := -1
		switch q.Get("active") {
		case "":
		case "0", "1":
			active, _ = strconv.Atoi(q.Get("active"))
		default:
			bad.add("active must be 1 (active) or 0 (inactive)")
		}
		category, err := intParam(q.Get("category_id"), 0)
		if err != nil {
			bad.add("category_id must be a number")
		}
		created := prodTimeRangeParam(q, &bad, "created_from_date", "created_to_date")
		updated := prodTimeRangeParam(q, &bad, "updated_from_date", "updated_to_date")
		if len(bad) > 0 {
			writeErrors(w, http.StatusBadRequest, bad...)
			return
		}
		page, ok := pageOf(w, r)
		if !ok {
			return
		}
		inc, name := prodIncludes(q.Get("include")), q.Get("name")
		var keep func(p *fakeProduct) bool // nil: every product not hidden
		if name != "" || active >= 0 || category != 0 || created != (prodTimeRange{}) || updated != (prodTimeRange{}) {
			keep = func(p *fakeProduct) bool {
				return prodNameMatches(p.name, name) && (active < 0 || prodFlag(p.active) == active) &&
					(category == 0 || p.categoryID == int64(category)) && created.match(p.createdAt) && updated.match(p.updatedAt)
			}
		}
		s.mu.Lock()
		s.tickRequests()
		kept, total := s.latestPage(page, keep)
		rows := make([]json.RawMessage, len(kept))
		for i, p := range kept {
			rows[i] = s.listRow(p, version, inc)
		}
		s.mu.Unlock()
		writePageRows(w, page, rows, total)
	}
}

// GET /integration/v2/products/getHiddenSkus?name=&created_at_from=
// &created_at_to=&updated_at_from=&updated_at_to=&page=&limit=
func (s *Server) hiddenProducts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var bad prodProblems
	created := prodTimeRangeParam(q, &bad, "created_at_from", "created_at_to")
	updated := prodTimeRangeParam(q, &bad, "updated_at_from", "updated_at_to")
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	name := q.Get("name")
	s.mu.Lock()
	s.tickRequests()
	rows := []map[string]any{}
	for _, p := range s.latestFirst(func(p *fakeProduct) bool {
		return p.hidden && prodNameMatches(p.name, name) && created.match(p.createdAt) && updated.match(p.updatedAt)
	}) {
		rows = append(rows, s.renderProduct(p, "v2", prodShapeHidden, 0))
	}
	s.mu.Unlock()
	writePage(w, r, rows)
}

// GET /integration/{v2.1,v2}/products/{id}?includes=seller,categories,...
func (s *Server) getProduct(version string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		q := r.URL.Query()
		inc := prodIncludes(q.Get("includes")) | prodIncludes(q.Get("include"))
		s.mu.Lock()
		s.tickRequests()
		p, ok := s.state.products.byID[id]
		var out map[string]any
		if ok && err == nil {
			out = s.renderProduct(p, version, prodShapeGet, inc)
		}
		s.mu.Unlock()
		if out == nil {
			writeErrors(w, http.StatusNotFound, "Product not found id: "+r.PathValue("id"))
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// GET /integration/{v2,v2.1}/products/findBy?original_sku=
func (s *Server) findProductsBySKU(w http.ResponseWriter, r *http.Request) {
	sku := r.URL.Query().Get("original_sku")
	if sku == "" {
		writeErrors(w, http.StatusBadRequest, "original_sku is required")
		return
	}
	s.mu.Lock()
	s.tickRequests()
	rows := []map[string]any{}
	if p, ok := s.state.products.bySKU[sku]; ok {
		rows = append(rows, s.renderProduct(p, "v2", prodShapeList, 0))
	}
	s.mu.Unlock()
	writePage(w, r, rows)
}
