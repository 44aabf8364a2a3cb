package tikitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
)

// maxProductBody bounds the body of a product request.
const maxProductBody = 8 << 20

// readProductBody reads a request body, answering 400 itself when it
// cannot.
func readProductBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxProductBody))
	if err != nil || !json.Valid(b) {
		writeErrors(w, http.StatusBadRequest, "Invalid JSON payload")
		return nil, false
	}
	return b, true
}

// POST /integration/v2.1/requests, /v2/requests and /v1/products: a new
// product request, checked like Tiki checks it, answered with its track id
// (v1: trace_id) in state queuing.
func (s *Server) createProductRequest(version string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := readProductBody(w, r)
		if !ok {
			return
		}
		p, status, msgs := s.checkNewProduct(body, version)
		if len(msgs) > 0 {
			writeErrors(w, status, msgs...)
			return
		}
		s.mu.Lock()
		s.tickRequests()
		req := s.newRequest(tiki.RequestKindCreateProduct, s.cfg.now())
		req.product = p
		s.mu.Unlock()
		key := "track_id"
		if version == "v1" {
			key = "trace_id"
		}
		writeJSON(w, http.StatusOK, map[string]string{key: req.trackID, "state": string(tiki.RequestQueuing)})
	}
}

// prodProblems collects Tiki's error messages once each, in order.
type prodProblems []string

func (p *prodProblems) add(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !slices.Contains(*p, msg) {
		*p = append(*p, msg)
	}
}

// prodNonNumberPrice returns the first price of a product request body
// that is not a JSON number, and what it is instead ("string"), as Tiki
// reports it: the product's prices are numbers on the wire, which
// tiki.Money, more tolerant in what it reads, would not check.
func prodNonNumberPrice(body []byte) (field, kind string) {
	var w struct {
		MarketPrice json.RawMessage `json:"market_price"`
		Variants    []struct {
			Price       json.RawMessage `json:"price"`
			MarketPrice json.RawMessage `json:"market_price"`
		} `json:"variants"`
	}
	if json.Unmarshal(body, &w) != nil {
		return "", "" // the decoding into tiki.NewProduct reports it
	}
	check := func(name string, v json.RawMessage) bool {
		v = bytes.TrimSpace(v)
		if len(v) == 0 || string(v) == "null" || v[0] == '-' || ('0' <= v[0] && v[0] <= '9') {
			return false
		}
		field = name
		switch v[0] {
		case '"':
			kind = "string"
		case '{':
			kind = "object"
		case '[':
			kind = "array"
		default:
			kind = "bool"
		}
		return true
	}
	if check("market_price", w.MarketPrice) {
		return field, kind
	}
	for _, v := range w.Variants {
		if check("variants.price", v.Price) || check("variants.market_price", v.MarketPrice) {
			return field, kind
		}
	}
	return "", ""
}

// checkNewProduct decodes and checks the body of a product request sent
// through the given API version. It returns the product, or the status and
// messages to answer with: 422 for an invalid payload, 404 when the only
// problem is an unknown category (Tiki: "Attributes not found for
// category_id"). It reads only read-only state.
func (s *Server) checkNewProduct(body []byte, version string) (*tiki.NewProduct, int, []string) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, http.StatusBadRequest, []string{"Invalid JSON payload: the body must be a product object"}
	}
	if field, kind := prodNonNumberPrice(body); field != "" {
		return nil, http.StatusUnprocessableEntity, []string{fmt.Sprintf("%s has an invalid value (%s)", field, kind)}
	}
	var p tiki.NewProduct
	if err := json.Unmarshal(body, &p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, http.StatusUnprocessableEntity, []string{fmt.Sprintf("%s has an invalid value (%s)", te.Field, te.Value)}
		}
		return nil, http.StatusUnprocessableEntity, []string{"Invalid payload"}
	}
	var bad prodProblems
	isNull := func(key string) bool { v, ok := raw[key]; return !ok || string(v) == "null" }

	if p.CategoryID <= 0 {
		bad.add("category_id is required")
	}
	if strings.TrimSpace(p.Name) == "" {
		bad.add("name is required")
	}
	if strings.TrimSpace(p.Description) == "" {
		bad.add("description is required")
	}
	if p.MarketPrice < 0 {
		bad.add("market_price must not be negative")
	}
	if strings.TrimSpace(p.Image) == "" {
		bad.add("image is required")
	}
	if isNull("images") {
		bad.add("images is required: send [] when the product has no other image")
	}
	if isNull("attributes") {
		bad.add("attributes is required")
	}
	for _, code := range s.state.products.required {
		if v, ok := p.Attributes[code]; !ok || v == nil || v == "" {
			bad.add("attributes.%s is required by the category", code)
		}
	}
	opts := p.OptionAttributes
	switch {
	case isNull("option_attributes"):
		bad.add("option_attributes is required: send [] for a simple product")
	case len(opts) > 2:
		bad.add("option_attributes supports up to 2 attributes")
	}
	for i, o := range opts {
		if strings.TrimSpace(o) == "" {
			bad.add("option_attributes must not hold an empty code")
		} else if slices.Index(opts, o) != i {
			bad.add("option_attributes must not repeat %s", o)
		}
	}
	declared := min(len(opts), 2)

	switch {
	case len(p.Variants) == 0:
		bad.add("variants is required")
	case declared == 0 && len(p.Variants) > 1:
		bad.add("a product without option_attributes is simple and must have exactly one variant")
	}
	skus := map[string]bool{}
	combos := map[[2]string]bool{}
	for _, v := range p.Variants {
		sku := strings.TrimSpace(v.SKU)
		switch {
		case sku == "":
			bad.add("variants should have sku")
		case skus[sku]:
			bad.add("variants sku %s is duplicated", sku)
		}
		skus[sku] = true
		for k, val := range []string{v.Option1, v.Option2} {
			switch {
			case k < declared && strings.TrimSpace(val) == "":
				bad.add("variants don't match with option_attributes => variants option%d missing", k+1)
			case k >= declared && val != "":
				bad.add("variants don't match with option_attributes => variants option%d is not an option attribute", k+1)
			}
		}
		if declared > 0 {
			combo := [2]string{v.Option1, v.Option2}
			if combos[combo] {
				bad.add("variants options %s are duplicated", strings.Join(prodNonEmpty(v.Option1, v.Option2), ", "))
			}
			combos[combo] = true
		}
		if v.Price <= 0 {
			bad.add("variants should have price > 0")
		}
		if v.MarketPrice < 0 {
			bad.add("variants market_price must not be negative")
		}
		if v.InventoryType != "" && !v.InventoryType.Valid() {
			bad.add("variants inventory_type %s is not valid", v.InventoryType)
		}
		s.checkWarehouseList(&bad, "variants seller_warehouse", v.SellerWarehouse)
		switch version {
		case "v2.1":
			seen := map[int64]bool{}
			for _, ws := range v.WarehouseStocks {
				s.checkWarehouse(&bad, "variants warehouse_stocks", ws.WarehouseID)
				if seen[ws.WarehouseID] {
					bad.add("variants warehouse_stocks repeats warehouse %d", ws.WarehouseID)
				}
				seen[ws.WarehouseID] = true
				if ws.QtyAvailable < 0 {
					bad.add("variants warehouse_stocks qtyAvailable must not be negative")
				}
			}
		default:
			if v.Quantity == nil {
				bad.add("variants should have quantity")
			}
			if version == "v1" && v.Supplier <= 0 {
				bad.add("variants should have supplier")
			}
		}
		if v.Quantity != nil && *v.Quantity < 0 {
			bad.add("variants quantity must not be negative")
		}
	}
	for _, f := range p.CertificateFiles {
		if strings.TrimSpace(f.URL) == "" {
			bad.add("certificate_files url is required")
		}
		if !f.Type.Valid() {
			bad.add("certificate_files type must be brand or category")
		}
		if f.Type == tiki.CertificateCategory && f.DocumentID <= 0 {
			bad.add("certificate_files document_id is required for a category document")
		}
	}

	if p.CategoryID > 0 {
		cat := s.catalog.findCategory(int(p.CategoryID))
		switch {
		case cat == nil && len(bad) == 0:
			return nil, http.StatusNotFound, []string{fmt.Sprintf("Attributes not found for category_id %d", p.CategoryID)}
		case cat == nil:
			bad.add("category_id %d is not a category", p.CategoryID)
		case cat["is_primary"] != true:
			bad.add("category_id %d is not a primary category: products belong to primary categories", p.CategoryID)
		case cat["is_product_listing_enabled"] == false:
			bad.add("category_id %d does not accept products", p.CategoryID)
		}
	}
	if len(bad) > 0 {
		return nil, http.StatusUnprocessableEntity, bad
	}
	return &p, 0, nil
}

// checkWarehouse refuses a warehouse that is not one of the seller's.
func (s *Server) checkWarehouse(bad *prodProblems, field string, id int64) {
	if _, ok := s.state.products.warehouses[id]; !ok {
		bad.add("%s: warehouse %d is not a warehouse of the seller", field, id)
	}
}

// checkWarehouseList checks "1034, 1015".
func (s *Server) checkWarehouseList(bad *prodProblems, field, list string) {
	if strings.TrimSpace(list) == "" {
		return
	}
	for _, part := range strings.Split(list, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil || id <= 0 {
			bad.add("%s must be comma-separated warehouse ids", field)
			return
		}
		s.checkWarehouse(bad, field, id)
	}
}

// --- tracking -------------------------------------------------------------

// trackingRecord renders a request's tracking record: v2 {track_id, state,
// reason, request_id once created}; v1 {trace_id, state, reason, tiki_sku}.
// s.mu must be held.
func (s *Server) trackingRecord(req *productRequest, version string) map[string]any {
	if version == "v1" {
		rec := map[string]any{"trace_id": req.trackID, "state": req.state, "reason": nil, "tiki_sku": nil}
		if req.reason != "" {
			rec["reason"] = req.reason
		}
		if req.state == tiki.RequestApproved && len(req.productIDs) > 0 {
			rec["tiki_sku"] = s.state.products.byID[req.productIDs[0]].sku
		}
		return rec
	}
	rec := map[string]any{"track_id": req.trackID, "state": req.state, "reason": req.reason}
	if req.requestID != "" {
		rec["request_id"] = req.requestID
	}
	return rec
}

// prodTimeRange is an optional [min, max] range from query parameters.
type prodTimeRange struct{ from, to time.Time }

func (f prodTimeRange) match(t time.Time) bool {
	return (f.from.IsZero() || !t.Before(f.from)) && (f.to.IsZero() || !t.After(f.to))
}

// prodTimeRangeParam reads a range in Tiki's date format, adding problems.
func prodTimeRangeParam(q url.Values, bad *prodProblems, fromKey, toKey string) prodTimeRange {
	var f prodTimeRange
	for _, p := range []struct {
		key string
		t   *time.Time
	}{{fromKey, &f.from}, {toKey, &f.to}} {
		v := q.Get(p.key)
		if v == "" {
			continue
		}
		t, err := tiki.ParseTime(v)
		if err != nil {
			bad.add("%s must be a date like 2019-06-27 10:47:34", p.key)
			continue
		}
		*p.t = t.Time
	}
	return f
}

// GET /integration/{v2,v1}/tracking?limit=&created_at_min=&created_at_max=
// &updated_at_min=&updated_at_max=: the latest requests first.
func (s *Server) trackingLatest(version string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var bad prodProblems
		limit, err := intParam(q.Get("limit"), 20)
		if err != nil || limit < 1 || limit > 100 {
			bad.add("limit must be between 1 and 100")
		}
		created := prodTimeRangeParam(q, &bad, "created_at_min", "created_at_max")
		updated := prodTimeRangeParam(q, &bad, "updated_at_min", "updated_at_max")
		if len(bad) > 0 {
			writeErrors(w, http.StatusBadRequest, bad...)
			return
		}
		s.mu.Lock()
		s.tickRequests()
		out := []map[string]any{}
		reqs := s.state.products.requests
		for i := len(reqs) - 1; i >= 0 && len(out) < limit; i-- {
			req := reqs[i]
			if created.match(req.createdAt) && updated.match(req.updatedAt) {
				out = append(out, s.trackingRecord(req, version))
			}
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	}
}

// GET /integration/{v2,v1}/tracking/{track_id}
func (s *Server) trackingOne(version string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.tickRequests()
		req, ok := s.state.products.byTrack[r.PathValue("track_id")]
		var rec map[string]any
		if ok {
			rec = s.trackingRecord(req, version)
		}
		s.mu.Unlock()
		if !ok {
			msg := "track_id is invalid: " + r.PathValue("track_id")
			if version == "v1" {
				msg = "TraceId not found: " + r.PathValue("track_id")
			}
			writeErrors(w, http.StatusNotFound, msg)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	}
}

// POST /integration/v2/tracking/{track_id}/replay: a rejected request
// starts again from the queue.
func (s *Server) replayRequest(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickRequests()
	st := &s.state.products
	req, ok := st.byTrack[r.PathValue("track_id")]
	switch {
	case !ok:
		writeErrors(w, http.StatusNotFound, "track_id is invalid: "+r.PathValue("track_id"))
		return
	case req.state != tiki.RequestRejected:
		writeErrors(w, http.StatusUnprocessableEntity, fmt.Sprintf("Request %s is %s: only a rejected request can be replayed", req.trackID, req.state))
		return
	}
	s.setState(req, tiki.RequestQueuing, s.cfg.now())
	req.reason = ""
	if !slices.Contains(st.live, req) {
		st.live = append(st.live, req)
	}
	writeJSON(w, http.StatusOK, map[string]string{"track_id": req.trackID, "state": string(req.state)})
}

// --- product requests -------------------------------------------------------

// requestJSON renders a request as the requests endpoints show it. s.mu
// must be held.
func (s *Server) requestJSON(req *productRequest, withProducts bool) map[string]any {
	out := map[string]any{
		"request_id": req.requestID, "state": req.state,
		"created_at": prodTime(req.createdAt), "created_by": productCreatedBy,
		"kind": req.kind, "approved_at": nil, "approved_by": nil, "reasons": nil, "products": []any{},
	}
	if req.state == tiki.RequestApproved {
		out["approved_at"], out["approved_by"] = prodTime(req.approvedAt), productApprovedBy
	}
	if req.reason != "" {
		out["reasons"] = []string{req.reason}
	}
	if withProducts {
		products := []map[string]any{}
		for _, id := range req.productIDs {
			products = append(products, s.renderProduct(s.state.products.byID[id], "v2", prodShapeRequest, 0))
		}
		out["products"] = products
	}
	return out
}

// visibleRequest returns the request with this request_id unless it was
// deleted. s.mu must be held.
func (s *Server) visibleRequest(id string) (*productRequest, bool) {
	req, ok := s.state.products.byRequest[id]
	if !ok || req.state == tiki.RequestDeleted {
		return nil, false
	}
	return req, true
}

// GET /integration/{v2,v2.1}/requests?page=&limit=&state=&include=products:
// the requests Tiki has created (those with a request_id), latest first.
func (s *Server) listProductRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := tiki.RequestState(q.Get("state"))
	if state != "" && !state.Valid() {
		writeErrors(w, http.StatusBadRequest, "state is invalid: "+string(state))
		return
	}
	include := slices.Contains(strings.Split(q.Get("include"), ","), "products")
	s.mu.Lock()
	s.tickRequests()
	rows := []map[string]any{}
	reqs := s.state.products.requests
	for i := len(reqs) - 1; i >= 0; i-- {
		req := reqs[i]
		if _, ok := s.visibleRequest(req.requestID); ok && (state == "" || req.state == state) {
			rows = append(rows, s.requestJSON(req, include))
		}
	}
	s.mu.Unlock()
	writePage(w, r, rows)
}

// GET /integration/{v2,v2.1}/requests/{request_id}: with its products.
func (s *Server) getProductRequest(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tickRequests()
	req, ok := s.visibleRequest(r.PathValue("request_id"))
	var out map[string]any
	if ok {
		out = s.requestJSON(req, true)
	}
	s.mu.Unlock()
	if !ok {
		writeErrors(w, http.StatusNotFound, "Request not found: "+r.PathValue("request_id"))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /integration/{v2,v2.1}/requests/findBy?track_id=: the request's
// products merged with the request's fields; empty until Tiki has created
// the request.
func (s *Server) findRequestByTrackID(w http.ResponseWriter, r *http.Request) {
	trackID := r.URL.Query().Get("track_id")
	if trackID == "" {
		writeErrors(w, http.StatusBadRequest, "track_id is required")
		return
	}
	s.mu.Lock()
	s.tickRequests()
	rows := []map[string]any{}
	if req, ok := s.state.products.byTrack[trackID]; ok && req.requestID != "" && req.state != tiki.RequestDeleted {
		fields := map[string]any{
			"request_id": req.requestID, "state": req.state, "kind": req.kind,
			"approved_at": nil, "approved_by": nil, "product_info": nil, "reasons": nil,
		}
		if req.state == tiki.RequestApproved {
			fields["approved_at"], fields["approved_by"] = prodTime(req.approvedAt), productApprovedBy
		}
		if req.reason != "" {
			fields["reasons"] = []string{req.reason}
		}
		for _, row := range s.requestedProducts(req) {
			for k, v := range fields {
				row[k] = v
			}
			rows = append(rows, row)
		}
	}
	s.mu.Unlock()
	writePage(w, r, rows)
}

// requestedProducts renders the products of a request: those it created or
// changed once approved; before, what it asks for. s.mu must be held.
func (s *Server) requestedProducts(req *productRequest) []map[string]any {
	st := &s.state.products
	var rows []map[string]any
	if req.state == tiki.RequestApproved {
		for _, id := range req.productIDs {
			rows = append(rows, s.renderProduct(st.byID[id], "v2", prodShapeSummary, 0))
		}
		return rows
	}
	if req.update != nil {
		if p, ok := st.byID[req.update.ProductID]; ok {
			rows = append(rows, s.renderProduct(p, "v2", prodShapeSummary, 0))
		}
		return rows
	}
	for _, v := range req.product.Variants {
		name := req.product.Name
		if v.Name != "" {
			name = v.Name
		}
		rows = append(rows, map[string]any{
			"sku": "", "master_sku": "", "master_id": 0, "super_sku": "", "super_id": 0, "name": name,
			"entity_type": "seller_simple", "type": "simple", "price": v.Price,
			"created_at": prodTime(req.createdAt), "created_by": productCreatedBy, "product_id": 0, "original_sku": v.SKU,
		})
	}
	return rows
}

// DELETE /integration/{v2,v2.1}/requests/{request_id}: a request that is
// not approved is deleted.
func (s *Server) deleteProductRequest(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickRequests()
	req, ok := s.visibleRequest(r.PathValue("request_id"))
	switch {
	case !ok:
		writeErrors(w, http.StatusNotFound, "Request not found: "+r.PathValue("request_id"))
		return
	case req.state == tiki.RequestApproved:
		writeErrors(w, http.StatusUnprocessableEntity, fmt.Sprintf("Request %s is approved and cannot be deleted", req.requestID))
		return
	}
	s.finishRequest(req, tiki.RequestDeleted, "", s.cfg.now())
	s.pruneLive()
	writeJSON(w, http.StatusOK, map[string]string{"request_id": req.requestID, "state": string(req.state)})
}

// POST /integration/{v2,v2.1}/requests/updateProductInfo: a request that
// changes a product's attributes, main image or gallery once approved.
func (s *Server) updateProductInfo(w http.ResponseWriter, r *http.Request) {
	body, ok := readProductBody(w, r)
	if !ok {
		return
	}
	var u tiki.ProductInfoUpdate
	var id struct {
		ProductID tiki.FlexInt `json:"product_id"`
	}
	if json.Unmarshal(body, &id) != nil {
		writeErrors(w, http.StatusBadRequest, "product_id must be a number")
		return
	}
	if err := json.Unmarshal(body, &struct {
		Attributes *map[string]any `json:"attributes"`
		Image      *string         `json:"image"`
		Images     *[]string       `json:"images"`
	}{&u.Attributes, &u.Image, &u.Images}); err != nil {
		writeErrors(w, http.StatusBadRequest, "attributes must be an object, image a URL and images a list of URLs")
		return
	}
	u.ProductID = int64(id.ProductID)
	var bad prodProblems
	if u.ProductID <= 0 {
		bad.add("product_id is required")
	}
	if len(u.Attributes) == 0 && u.Image == "" && len(u.Images) == 0 {
		bad.add("attributes, image or images is required")
	}
	for _, im := range u.Images {
		if strings.TrimSpace(im) == "" {
			bad.add("images must not hold an empty URL")
		}
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickRequests()
	if _, ok := s.state.products.byID[u.ProductID]; !ok {
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("product_id not found: %d", u.ProductID))
		return
	}
	req := s.newRequest(requestKindUpdateInfo, s.cfg.now())
	req.update = &u
	writeJSON(w, http.StatusOK, map[string]string{"track_id": req.trackID, "state": string(req.state)})
}

// prodTime formats a time as Tiki does, in Vietnam time.
func prodTime(t time.Time) string { return t.In(tiki.Vietnam()).Format(tiki.TimeLayout) }
