package tikitest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
)

// The product side of the fake: product requests and their approval, and
// the seller's products, served as Tiki's integration API serves them:
//
//	POST   /integration/v2.1/requests, /v2/requests, /v1/products   (create)
//	GET    /integration/{v2,v1}/tracking?limit=&created_at_min=&...
//	GET    /integration/{v2,v1}/tracking/{track_id}
//	POST   /integration/v2/tracking/{track_id}/replay
//	GET    /integration/{v2,v2.1}/requests?page=&limit=&state=&include=products
//	GET    /integration/{v2,v2.1}/requests/{request_id}
//	GET    /integration/{v2,v2.1}/requests/findBy?track_id=
//	DELETE /integration/{v2,v2.1}/requests/{request_id}
//	POST   /integration/{v2,v2.1}/requests/updateProductInfo
//	GET    /integration/{v2.1,v2}/products?name=&active=&category_id=&include=&...
//	GET    /integration/v2/products/getHiddenSkus
//	GET    /integration/{v2.1,v2}/products/{id}?includes=
//	GET    /integration/{v2,v2.1}/products/findBy?original_sku=
//	PUT    /integration/v2.1/products/updateSku
//	POST   /integration/v2/products/updateSku, /v1/products/{sku}/updateSku
//	PUT    /integration/{v2.1,v2}/products/updateSkus
//	POST   /integration/{v2,v2.1}/products/updateOriginalSku
//
// A product request moves queuing -> processing -> awaiting_approve ->
// approved, one step each approval delay of the fake's clock (see
// Server.SetApprovalDelay), or when a test steps it (AdvanceRequests,
// ApproveRequest, RejectRequest). Leaving processing, a request whose
// seller SKU is already a product's, or is in a request ahead of it, is
// rejected with Tiki's JSON reason (code 420); otherwise it gets its
// request_id. Requests reaching awaiting_approve are approved at the next
// step, as on Tiki's sandbox. Approval creates one product per variant.
//
// The seller's warehouses are those of GET /warehouses: stock is kept per
// seller warehouse (seller_inventory_id), and each change of a product's
// stock is sent as a TikiNOW stock webhook for the Tiki warehouse code of
// the warehouses concerned (qty_salable summed over them).

// DefaultApprovalDelay is how long a product request stays in each state
// before moving on, unless Server.SetApprovalDelay changes it: a request is
// approved three delays after it was created.
const DefaultApprovalDelay = 500 * time.Millisecond

// Names Tiki shows for who created and approved requests and products.
const (
	productCreatedBy  = "seller@tikitest.local"
	productApprovedBy = "sandbox-auto-approve@tiki.vn"
)

// requestKindUpdateInfo is the kind of a request made by updateProductInfo.
const requestKindUpdateInfo tiki.RequestKind = "update_product_info"

// productState is the fake's model of the seller's product requests and
// products. Every field is guarded by Server.mu; warehouses, codes,
// seller, required and defaultWarehouse are read-only after initProducts.
type productState struct {
	delay     time.Duration
	requests  []*productRequest // every request, oldest first
	live      []*productRequest // requests in progress, in queue order
	byTrack   map[string]*productRequest
	byRequest map[string]*productRequest // by request_id
	products  []*fakeProduct             // oldest first
	latest    []*fakeProduct             // products, latest first (see latest)
	visible   []*fakeProduct             // latest, hidden ones left out; nil when stale
	byID      map[int64]*fakeProduct
	bySKU     map[string]*fakeProduct // by original (seller) SKU
	idSeq     int64                   // product, master and super ids
	imageSeq  int64
	reqSeq    int64

	warehouses       map[int64]string // seller warehouse id -> Tiki warehouse code
	defaultWarehouse int64            // the seller's first warehouse
	seller           map[string]any   // the seller block of products
	required         []string         // codes of the attributes categories require
}

// productRequest is one product request: a new product, or a change of an
// existing product's information.
type productRequest struct {
	trackID, requestID   string
	kind                 tiki.RequestKind
	state                tiki.RequestState
	reason               string
	createdAt, updatedAt time.Time
	approvedAt           time.Time
	stepped              time.Time // when the state last changed
	product              *tiki.NewProduct
	update               *tiki.ProductInfoUpdate
	productIDs           []int64 // products it created or changed, once approved
}

// fakeProduct is one of the seller's products (a sellable variant).
type fakeProduct struct {
	id, masterID, superID          int64
	sku, masterSKU, superSKU       string
	originalSKU, name, description string
	categoryID                     int64
	price, marketPrice             int64
	version                        int
	active, hidden                 bool
	createdAt, updatedAt           time.Time
	images                         []productImage // the main image first
	attributes                     map[string]any
	inventoryType                  tiki.InventoryType
	warehouses                     []int64       // seller warehouses holding it
	stock                          map[int64]int // quantity available per warehouse
	requestID                      string
}

type productImage struct {
	id  int64
	url string
}

func (s *Server) initProducts() {
	st := &s.state.products
	st.delay = DefaultApprovalDelay
	if s.cfg.approvalDelay != nil {
		st.delay = max(*s.cfg.approvalDelay, 0)
	}
	st.byTrack = map[string]*productRequest{}
	st.byRequest = map[string]*productRequest{}
	st.byID = map[int64]*fakeProduct{}
	st.bySKU = map[string]*fakeProduct{}
	st.idSeq = 2090000
	st.imageSeq = 47930000

	read := func(name string) []byte {
		b, err := data.ReadFile("data/" + name)
		if err != nil {
			panic("tikitest: missing embedded " + name) // a build defect, caught by the package's tests
		}
		return b
	}
	var whs []tiki.SellerWarehouse
	if json.Unmarshal(read("seller_warehouses.json"), &whs) != nil || len(whs) == 0 {
		panic("tikitest: bad embedded seller_warehouses.json")
	}
	st.warehouses = make(map[int64]string, len(whs))
	for _, wh := range whs {
		st.warehouses[wh.SellerInventoryID] = wh.WarehouseCode
	}
	st.defaultWarehouse = whs[0].SellerInventoryID

	var me struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if json.Unmarshal(read("sellers_me.json"), &me) != nil {
		panic("tikitest: bad embedded sellers_me.json")
	}
	slug := strings.ReplaceAll(strings.ToLower(me.Name), " ", "-")
	st.seller = map[string]any{
		"id": me.ID, "name": me.Name, "code": strings.ToUpper(strings.ReplaceAll(slug, "-", "")), "logo": "",
		"slug": slug, "status": 1, "store_id": me.ID, "listdata_id": me.ID,
		"vat_limit_supported": 0, "is_all_vat_supported": 0,
	}

	var attrs struct {
		Data []struct {
			Code       string        `json:"code"`
			IsRequired tiki.FlexBool `json:"is_required"`
		} `json:"data"`
	}
	if json.Unmarshal(s.catalog.attributes, &attrs) != nil {
		panic("tikitest: bad embedded category_attributes.json")
	}
	for _, a := range attrs.Data {
		if a.IsRequired {
			st.required = append(st.required, a.Code)
		}
	}
}

// productRoutes registers the product request, tracking and product
// endpoints.
func (s *Server) productRoutes(api apiFunc) {
	const b = "/integration/"
	api("POST "+b+"v2.1/requests", s.createProductRequest("v2.1"))
	api("POST "+b+"v2/requests", s.createProductRequest("v2"))
	api("POST "+b+"v1/products", s.createProductRequest("v1"))
	for _, v := range []string{"v1", "v2"} {
		api("GET "+b+v+"/tracking", s.trackingLatest(v))
		api("GET "+b+v+"/tracking/{track_id}", s.trackingOne(v))
	}
	api("POST "+b+"v2/tracking/{track_id}/replay", s.replayRequest)
	for _, v := range []string{"v2", "v2.1"} {
		api("GET "+b+v+"/requests", s.listProductRequests)
		api("GET "+b+v+"/requests/{request_id}", s.getProductRequest)
		api("GET "+b+v+"/requests/findBy", s.findRequestByTrackID)
		api("DELETE "+b+v+"/requests/{request_id}", s.deleteProductRequest)
		api("POST "+b+v+"/requests/updateProductInfo", s.updateProductInfo)
		api("GET "+b+v+"/products/findBy", s.findProductsBySKU)
		api("POST "+b+v+"/products/updateOriginalSku", s.updateOriginalSKU)
	}
	for _, v := range []string{"v2.1", "v2"} {
		api("GET "+b+v+"/products", s.listProducts(v))
		api("GET "+b+v+"/products/{id}", s.getProduct(v))
		api("PUT "+b+v+"/products/updateSkus", s.updateSkus(v))
	}
	api("GET "+b+"v2/products/getHiddenSkus", s.hiddenProducts)
	api("PUT "+b+"v2.1/products/updateSku", s.updateSku("v2.1"))
	api("POST "+b+"v2/products/updateSku", s.updateSku("v2"))
	api("POST "+b+"v1/products/{sku}/updateSku", s.updateSku("v1"))
}

// --- Go API for tests -------------------------------------------------

// SetApprovalDelay sets how long a product request stays in each state
// (queuing, processing, awaiting_approve) on the fake's clock before moving
// on (default DefaultApprovalDelay): with a delay d, a request created at t
// is approved at t+3d (time.Nanosecond: at the next call). Requests in
// progress start their current step afresh. A delay of 0 or less stops
// time-driven progress: requests then move only with AdvanceRequests,
// ApproveRequest and RejectRequest.
func (s *Server) SetApprovalDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickRequests()
	st := &s.state.products
	st.delay = max(d, 0)
	now := s.cfg.now()
	for _, req := range st.live {
		req.stepped = now
	}
}

// AdvanceRequests moves every product request in progress one step
// (queuing -> processing -> awaiting_approve, or rejected for a duplicate
// seller SKU -> approved), in queue order, and returns how many moved.
func (s *Server) AdvanceRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickRequests()
	now := s.cfg.now()
	n := 0
	for _, req := range slices.Clone(s.state.products.live) {
		if !req.state.IsTerminal() {
			s.stepRequest(req, now)
			n++
		}
	}
	s.pruneLive()
	return n
}

// ApproveRequest takes the product request with this track id through the
// rest of Tiki's checks at once and approves it, creating (or changing) its
// products. It returns an error when there is no such request (wrapping
// tiki.ErrNotFound), when it is no longer in progress, or when the checks
// reject it (it is then rejected, as Tiki would).
func (s *Server) ApproveRequest(trackID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, err := s.requestInProgress(trackID)
	if err != nil {
		return err
	}
	now := s.cfg.now()
	for !req.state.IsTerminal() {
		s.stepRequest(req, now)
	}
	s.pruneLive()
	if req.state != tiki.RequestApproved {
		return fmt.Errorf("tikitest: request %s was rejected: %s", trackID, req.reason)
	}
	return nil
}

// RejectRequest rejects the product request with this track id, as a
// reviewer at Tiki does, with reason (plain text such as "Image does not
// match product name", or a JSON document like the one Tiki gives for a
// duplicate SKU); an empty reason is "Rejected by Tiki". A request
// rejected once it has a request_id keeps it. It returns an error when
// there is no such request (wrapping tiki.ErrNotFound) or when it is no
// longer in progress.
func (s *Server) RejectRequest(trackID, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, err := s.requestInProgress(trackID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		reason = "Rejected by Tiki"
	}
	s.finishRequest(req, tiki.RequestRejected, reason, s.cfg.now())
	s.pruneLive()
	return nil
}

// SeedProduct lists a product at once, as if a product request for it had
// been created and approved: it is checked as POST /v2.1/requests checks a
// request (an error lists every problem, and a seller SKU already in use
// is refused), then one product per variant is created and returned as
// GET /v2.1/products/{id} shows it. Stock comes from each variant's
// WarehouseStocks, or its Quantity (in its first warehouse); a product is
// active only when MetaData.IsAutoTurnOn is set, as on Tiki. Stock
// webhooks are sent for the new stock.
func (s *Server) SeedProduct(p tiki.NewProduct) ([]tiki.Product, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("tikitest: %w", err)
	}
	checked, _, msgs := s.checkNewProduct(raw, "v2.1")
	if len(msgs) > 0 {
		return nil, fmt.Errorf("tikitest: product refused: %s", strings.Join(msgs, "; "))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickRequests()
	st := &s.state.products
	for _, v := range checked.Variants {
		if s.skuTaken(v.SKU, nil) {
			return nil, fmt.Errorf("tikitest: product refused: seller SKU %s is not unique", v.SKU)
		}
	}
	now := s.cfg.now()
	req := s.newRequest(tiki.RequestKindCreateProduct, now)
	req.product = checked
	st.reqSeq++
	req.requestID = prodRequestID(st.reqSeq)
	st.byRequest[req.requestID] = req
	s.finishRequest(req, tiki.RequestApproved, "", now)
	s.pruneLive()
	out := make([]tiki.Product, 0, len(req.productIDs))
	for _, id := range req.productIDs {
		out = append(out, s.productModel(st.byID[id]))
	}
	return out, nil
}

// Product returns the product whose original (seller) SKU is
// originalSKU, as GET /v2.1/products/{id} shows it with every include, and
// whether there is one.
func (s *Server) Product(originalSKU string) (tiki.Product, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickRequests()
	p, ok := s.state.products.bySKU[originalSKU]
	if !ok {
		return tiki.Product{}, false
	}
	return s.productModel(p), true
}

// productModel decodes a product's detail as a client would. s.mu must be
// held.
func (s *Server) productModel(p *fakeProduct) tiki.Product {
	b, _ := json.Marshal(s.renderProduct(p, "v2.1", prodShapeGet, prodAllIncludes))
	var out tiki.Product
	_ = json.Unmarshal(b, &out)
	return out
}

func (s *Server) requestInProgress(trackID string) (*productRequest, error) {
	s.tickRequests()
	req, ok := s.state.products.byTrack[trackID]
	switch {
	case !ok:
		return nil, notFound("no product request with track id %q", trackID)
	case req.state.IsTerminal():
		return nil, fmt.Errorf("tikitest: product request %s is %s", trackID, req.state)
	}
	return req, nil
}

// --- lifecycle ----------------------------------------------------------

// newRequest records a request in state queuing. s.mu must be held.
func (s *Server) newRequest(kind tiki.RequestKind, now time.Time) *productRequest {
	st := &s.state.products
	req := &productRequest{
		trackID: randomToken(len(st.requests))[:32],
		kind:    kind, state: tiki.RequestQueuing,
		createdAt: now.Truncate(time.Second), updatedAt: now.Truncate(time.Second), stepped: now,
	}
	st.requests = append(st.requests, req)
	st.live = append(st.live, req)
	st.byTrack[req.trackID] = req
	return req
}

// prodRequestID makes a request id in the shape of Tiki's (19 digits).
func prodRequestID(n int64) string { return "11214" + fmt.Sprintf("%014d", n) }

// tickRequests moves requests along by the fake's clock: every request in
// progress takes one step per approval delay since its last change, in
// queue order round by round. s.mu must be held.
func (s *Server) tickRequests() {
	st := &s.state.products
	if st.delay <= 0 || len(st.live) == 0 {
		return
	}
	now := s.cfg.now()
	for moved := true; moved; {
		moved = false
		for _, req := range slices.Clone(st.live) {
			if !req.state.IsTerminal() && now.Sub(req.stepped) >= st.delay {
				s.stepRequest(req, req.stepped.Add(st.delay))
				moved = true
			}
		}
	}
	s.pruneLive()
}

// pruneLive drops finished requests from the queue. s.mu must be held.
func (s *Server) pruneLive() {
	st := &s.state.products
	st.live = slices.DeleteFunc(st.live, func(r *productRequest) bool { return r.state.IsTerminal() })
}

// stepRequest moves a request in progress one step, at time at. s.mu must
// be held.
func (s *Server) stepRequest(req *productRequest, at time.Time) {
	st := &s.state.products
	switch req.state {
	case tiki.RequestQueuing:
		s.setState(req, tiki.RequestProcessing, at)
	case tiki.RequestProcessing:
		if reason := s.requestConflicts(req); reason != "" {
			s.finishRequest(req, tiki.RequestRejected, reason, at)
			return
		}
		if req.requestID == "" {
			st.reqSeq++
			req.requestID = prodRequestID(st.reqSeq)
			st.byRequest[req.requestID] = req
		}
		s.setState(req, tiki.RequestAwaitingApprove, at)
	default: // awaiting_approve and the other review states: the sandbox approves
		if reason := s.requestConflicts(req); reason != "" {
			s.finishRequest(req, tiki.RequestRejected, reason, at)
			return
		}
		s.finishRequest(req, tiki.RequestApproved, "", at)
	}
}

func (s *Server) setState(req *productRequest, state tiki.RequestState, at time.Time) {
	req.state, req.stepped, req.updatedAt = state, at, at.Truncate(time.Second)
}

// finishRequest ends a request: approval creates or changes its products.
// s.mu must be held.
func (s *Server) finishRequest(req *productRequest, state tiki.RequestState, reason string, at time.Time) {
	s.setState(req, state, at)
	req.reason = reason
	if state != tiki.RequestApproved {
		return
	}
	req.approvedAt = at.Truncate(time.Second)
	if req.update != nil {
		s.applyInfoUpdate(req, at)
		return
	}
	s.createProducts(req, at)
}

// requestConflicts returns the rejection reason of a create request whose
// seller SKUs are already products' or are in a request ahead of it in
// the queue, or "". s.mu must be held.
func (s *Server) requestConflicts(req *productRequest) string {
	if req.product == nil {
		if _, ok := s.state.products.byID[req.update.ProductID]; !ok {
			return fmt.Sprintf("Product %d not found", req.update.ProductID)
		}
		return ""
	}
	var errs []prodRejectionItem
	for _, v := range req.product.Variants {
		if s.skuTaken(v.SKU, req) {
			errs = append(errs, prodRejectionItem{
				Code: 420, Description: "Product code " + v.SKU + " is not unique",
				Msg: msgSKUNotUnique, MsgEng: "Seller product code is not unique",
			})
		}
	}
	if len(errs) == 0 {
		return ""
	}
	b, _ := json.Marshal(prodRejection{Errors: errs, Message: msgSKUNotUnique})
	return string(b)
}

const msgSKUNotUnique = "Mã seller product không duy nhất"

// prodRejection is the JSON document Tiki puts in the reason of some
// rejected requests.
type prodRejection struct {
	Errors  []prodRejectionItem `json:"errors"`
	Message string              `json:"message"`
	TraceID *string             `json:"trace_id"`
}

type prodRejectionItem struct {
	Code        int     `json:"code"`
	Data        *string `json:"data"`
	Description string  `json:"description"`
	Msg         string  `json:"msg"`
	MsgEng      string  `json:"msg_eng"`
}

// skuTaken reports whether a seller SKU is a product's, or is in a request
// in progress ahead of req (any request in progress when req is nil).
// s.mu must be held.
func (s *Server) skuTaken(sku string, req *productRequest) bool {
	st := &s.state.products
	if _, ok := st.bySKU[sku]; ok {
		return true
	}
	for _, other := range st.live {
		if other == req {
			break
		}
		if other.state.IsTerminal() || other.product == nil {
			continue
		}
		for _, v := range other.product.Variants {
			if v.SKU == sku {
				return true
			}
		}
	}
	return false
}

// --- products from requests ---------------------------------------------

// createProducts creates the products of an approved create request: one
// per variant, children of one configurable product when the request has
// option attributes. s.mu must be held.
func (s *Server) createProducts(req *productRequest, at time.Time) {
	st := &s.state.products
	p := req.product
	var superID int64
	var superSKU string
	if len(p.OptionAttributes) > 0 {
		st.idSeq++
		superID, superSKU = st.idSeq, prodTikiSKU(st.idSeq)
	}
	ts := at.Truncate(time.Second)
	for _, v := range p.Variants {
		st.idSeq += 2
		prod := &fakeProduct{
			id: st.idSeq, masterID: st.idSeq - 1, superID: superID,
			sku: prodTikiSKU(st.idSeq), masterSKU: prodTikiSKU(st.idSeq - 1), superSKU: superSKU,
			originalSKU: v.SKU, name: p.Name, description: p.Description, categoryID: p.CategoryID,
			price: int64(v.Price), marketPrice: int64(p.MarketPrice), version: 1,
			active:    p.MetaData != nil && p.MetaData.IsAutoTurnOn,
			createdAt: ts, updatedAt: ts, requestID: req.requestID,
			inventoryType: v.InventoryType, stock: map[int64]int{},
			attributes: map[string]any{},
		}
		if v.Name != "" {
			prod.name = v.Name
		} else if opts := prodNonEmpty(v.Option1, v.Option2); len(opts) > 0 {
			prod.name += " - " + strings.Join(opts, " - ")
		}
		if v.Description != "" {
			prod.description = v.Description
		}
		if v.MarketPrice > 0 {
			prod.marketPrice = int64(v.MarketPrice)
		}
		prod.marketPrice = max(prod.marketPrice, prod.price)
		if prod.inventoryType == "" {
			prod.inventoryType = tiki.InventoryDropShip
		}
		for k, val := range p.Attributes {
			prod.attributes[k] = val
		}
		for k, val := range v.Attributes {
			prod.attributes[k] = val
		}
		for i, code := range p.OptionAttributes {
			prod.attributes[code] = []string{v.Option1, v.Option2}[i]
		}
		image, gallery := p.Image, p.Images
		if v.Image != "" {
			image = v.Image
		}
		if len(v.Images) > 0 {
			gallery = v.Images
		}
		s.setImages(prod, image, gallery)

		ids := prodWarehouseIDs(v.SellerWarehouse)
		for _, ws := range v.WarehouseStocks {
			if !slices.Contains(ids, ws.WarehouseID) {
				ids = append(ids, ws.WarehouseID)
			}
		}
		if len(ids) == 0 {
			ids = []int64{st.defaultWarehouse}
		}
		prod.warehouses = ids
		for _, id := range ids {
			prod.stock[id] = 0
		}
		for _, ws := range v.WarehouseStocks {
			prod.stock[ws.WarehouseID] = ws.QtyAvailable
		}
		if len(v.WarehouseStocks) == 0 && v.Quantity != nil {
			prod.stock[ids[0]] = *v.Quantity
		}

		st.products = append(st.products, prod)
		st.byID[prod.id] = prod
		st.bySKU[prod.originalSKU] = prod
		req.productIDs = append(req.productIDs, prod.id)
		s.emitStock(prod, nil)
	}
}

// applyInfoUpdate applies an approved updateProductInfo request. s.mu must
// be held.
func (s *Server) applyInfoUpdate(req *productRequest, at time.Time) {
	u := req.update
	p := s.state.products.byID[u.ProductID]
	for k, v := range u.Attributes {
		p.attributes[k] = v
		if str, ok := v.(string); ok && k == "name" && str != "" {
			p.name = str
		}
		if str, ok := v.(string); ok && k == "description" {
			p.description = str
		}
	}
	image, gallery := p.images[0].url, make([]string, 0, len(p.images))
	for _, im := range p.images[1:] {
		gallery = append(gallery, im.url)
	}
	if u.Image != "" {
		image = u.Image
	}
	if len(u.Images) > 0 {
		gallery = u.Images
	}
	s.setImages(p, image, gallery)
	p.version++
	p.updatedAt = at.Truncate(time.Second)
	req.productIDs = []int64{p.id}
}

// setImages sets the main image and the gallery, without repeating a URL
// (Tiki adds the main image to the gallery itself). s.mu must be held.
func (s *Server) setImages(p *fakeProduct, image string, gallery []string) {
	old := make(map[string]int64, len(p.images))
	for _, im := range p.images {
		old[im.url] = im.id
	}
	p.images = p.images[:0:0]
	for _, u := range append([]string{image}, gallery...) {
		if u == "" || slices.ContainsFunc(p.images, func(im productImage) bool { return im.url == u }) {
			continue
		}
		id, ok := old[u]
		if !ok {
			s.state.products.imageSeq++
			id = s.state.products.imageSeq
		}
		p.images = append(p.images, productImage{id: id, url: u})
	}
	if len(p.images) == 0 {
		p.images = []productImage{{url: ""}}
	}
}

// prodTikiSKU makes a 13-digit Tiki SKU from an id.
func prodTikiSKU(id int64) string { return "88" + fmt.Sprintf("%011d", id) }

func prodNonEmpty(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// prodWarehouseIDs parses "1034, 1015"; it returns nil for "" and for
// malformed lists (which checks refuse first).
func prodWarehouseIDs(s string) []int64 {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var ids []int64
	for _, part := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil || id <= 0 {
			return nil
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// --- stock webhooks -------------------------------------------------------

// stockByCode sums a product's stock per Tiki warehouse code. s.mu must be
// held.
func (s *Server) stockByCode(p *fakeProduct) map[string]int {
	out := map[string]int{}
	for _, id := range p.warehouses {
		out[s.state.products.warehouses[id]] += s.stockLevel(p, id).Sellable
	}
	return out
}

// emitStock sends a stock webhook for each Tiki warehouse where the
// product's stock differs from before (nil: a new product). s.mu must be
// held.
func (s *Server) emitStock(p *fakeProduct, before map[string]int) {
	after := s.stockByCode(p)
	var codes []string
	for code := range after {
		codes = append(codes, code)
	}
	for code := range before {
		if _, ok := after[code]; !ok {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	for _, code := range codes {
		if before[code] == after[code] || code == "" {
			continue
		}
		s.emit("stock", map[string]any{
			"sku": p.sku, "warehouse": code, "qty_salable": after[code], "seller_product_code": p.originalSKU,
		})
	}
}
