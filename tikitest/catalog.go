package tikitest

import (
	"embed"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// data holds examples from Tiki's API documentation; they are copies of
// the SDK's testdata fixtures (a test keeps them identical).
//
//go:embed data/*.json
var data embed.FS

// catalog is the fake's read-only catalog, decoded once from the examples.
type catalog struct {
	categories   []map[string]any
	detail       map[string]any // category 20 with its parents
	attributes   json.RawMessage
	values       []map[string]any
	optionLabels json.RawMessage
	brands       []map[string]any
	requiredDocs json.RawMessage
	warehouses   json.RawMessage
}

func mustLoadCatalog() *catalog {
	read := func(name string) []byte {
		b, err := data.ReadFile("data/" + name)
		if err != nil {
			panic("tikitest: missing embedded " + name) // a build defect, caught by the package's tests
		}
		return b
	}
	rows := func(name string) []map[string]any {
		var v struct {
			Data []map[string]any `json:"data"`
		}
		if err := json.Unmarshal(read(name), &v); err != nil {
			panic("tikitest: bad embedded " + name)
		}
		return v.Data
	}
	c := &catalog{
		categories:   rows("categories_list.json"),
		attributes:   read("category_attributes.json"),
		values:       rows("attribute_values.json"),
		optionLabels: read("option_labels.json"),
		brands:       rows("brands.json"),
		requiredDocs: read("required_documents.json"),
		warehouses:   read("warehouses_tiki.json"),
	}
	if err := json.Unmarshal(read("category_detail.json"), &c.detail); err != nil {
		panic("tikitest: bad embedded category_detail.json")
	}
	return c
}

func (c *catalog) findCategory(id int) map[string]any {
	if n, _ := c.detail["id"].(float64); int(n) == id {
		return c.detail
	}
	for _, cat := range c.categories {
		if n, _ := cat["id"].(float64); int(n) == id {
			return cat
		}
	}
	return nil
}

// GET /integration/v2/categories?name=&parent=&isPrimary=
func (s *Server) categories(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	parent, err := intParam(q.Get("parent"), 0)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "parent must be a number")
		return
	}
	var primary *bool
	if v := q.Get("isPrimary"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeErrors(w, http.StatusBadRequest, "isPrimary must be a boolean")
			return
		}
		primary = &b
	}
	name := strings.ToLower(q.Get("name"))
	out := []map[string]any{}
	for _, cat := range s.catalog.categories {
		n, _ := cat["name"].(string)
		p, _ := cat["parent_id"].(float64)
		isPrimary, _ := cat["is_primary"].(bool)
		if name != "" && !strings.Contains(strings.ToLower(n), name) ||
			parent != 0 && int(p) != parent ||
			primary != nil && isPrimary != *primary {
			continue
		}
		out = append(out, cat)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// GET /integration/v2/categories/{id}?includeParents=true
func (s *Server) category(w http.ResponseWriter, r *http.Request) {
	id, err := intParam(r.PathValue("id"), 0)
	cat := s.catalog.findCategory(id)
	if err != nil || cat == nil {
		writeErrors(w, http.StatusNotFound, "Category not found id: "+r.PathValue("id"))
		return
	}
	out := make(map[string]any, len(cat))
	for k, v := range cat {
		out[k] = v
	}
	if r.URL.Query().Get("includeParents") != "true" {
		delete(out, "parents")
	}
	writeJSON(w, http.StatusOK, out)
}

// categoryV1 is a category in the v1 catalog's shape: parent and primary
// (0 or 1) instead of v2's parent_id and is_primary.
func categoryV1(cat map[string]any) map[string]any {
	primary := 0
	if b, _ := cat["is_primary"].(bool); b {
		primary = 1
	}
	return map[string]any{"id": cat["id"], "name": cat["name"], "parent": cat["parent_id"], "primary": primary}
}

// GET /integration/v1/categories?name=&parent=&primary=&lang=: the v1
// catalog answers a bare list. Names are the same in both languages here.
func (s *Server) categoriesV1(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	parent, err := intParam(q.Get("parent"), 0)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "parent must be a number")
		return
	}
	primary := q.Get("primary")
	if primary != "" && primary != "0" && primary != "1" {
		writeErrors(w, http.StatusBadRequest, "primary must be 0 or 1")
		return
	}
	if lang := q.Get("lang"); lang != "" && lang != "en" && lang != "vi" {
		writeErrors(w, http.StatusBadRequest, "lang must be en or vi")
		return
	}
	name := strings.ToLower(q.Get("name"))
	out := []map[string]any{}
	for _, cat := range s.catalog.categories {
		v1 := categoryV1(cat)
		n, _ := cat["name"].(string)
		p, _ := cat["parent_id"].(float64)
		if name != "" && !strings.Contains(strings.ToLower(n), name) ||
			parent != 0 && int(p) != parent ||
			primary != "" && strconv.Itoa(v1["primary"].(int)) != primary {
			continue
		}
		out = append(out, v1)
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /integration/v1/categories/{id}: the v1 detail carries the
// description and the category's attributes (is_required as 0 or 1).
func (s *Server) categoryV1(w http.ResponseWriter, r *http.Request) {
	id, err := intParam(r.PathValue("id"), 0)
	cat := s.catalog.findCategory(id)
	if err != nil || cat == nil {
		writeErrors(w, http.StatusNotFound, "Category not found id: "+r.PathValue("id"))
		return
	}
	out := categoryV1(cat)
	out["description"] = cat["description"]
	var attrs struct {
		Data []map[string]any `json:"data"`
	}
	_ = json.Unmarshal(s.catalog.attributes, &attrs) // checked by the catalog's own tests
	v1Attrs := make([]map[string]any, 0, len(attrs.Data))
	for _, a := range attrs.Data {
		required := 0
		if b, _ := a["is_required"].(bool); b {
			required = 1
		}
		v1Attrs = append(v1Attrs, map[string]any{"id": a["id"], "code": a["code"], "display_name": a["display_name"], "is_required": required})
	}
	out["attributes"] = v1Attrs
	writeJSON(w, http.StatusOK, out)
}

// GET /integration/v2/categories/{id}/attributes
func (s *Server) attributes(w http.ResponseWriter, r *http.Request) {
	if !s.knownCategory(w, r) {
		return
	}
	writeRaw(w, s.catalog.attributes)
}

// GET /integration/v2/categories/{id}/optionLabels
func (s *Server) optionLabels(w http.ResponseWriter, r *http.Request) {
	if !s.knownCategory(w, r) {
		return
	}
	writeRaw(w, s.catalog.optionLabels)
}

func (s *Server) knownCategory(w http.ResponseWriter, r *http.Request) bool {
	id, err := intParam(r.PathValue("id"), 0)
	if err != nil || s.catalog.findCategory(id) == nil {
		writeErrors(w, http.StatusNotFound, "Category not found id: "+r.PathValue("id"))
		return false
	}
	return true
}

// GET /integration/v2/attributes/{id}/values?q=&page=&limit=
func (s *Server) attributeValues(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(r.URL.Query().Get("q"))
	var rows []map[string]any
	for _, v := range s.catalog.values {
		if val, _ := v["value"].(string); q == "" || strings.Contains(strings.ToLower(val), q) {
			rows = append(rows, v)
		}
	}
	writePage(w, r, rows)
}

// GET /integration/v2/brands?name=
func (s *Server) brands(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(r.URL.Query().Get("name"))
	if name == "" {
		writeErrors(w, http.StatusBadRequest, "name is required")
		return
	}
	var rows []map[string]any
	for _, b := range s.catalog.brands {
		if n, _ := b["name"].(string); strings.Contains(strings.ToLower(n), name) {
			rows = append(rows, b)
		}
	}
	writePage(w, r, rows)
}

// GET /integration/v2/requests/requiredDocs?category_id=
func (s *Server) requiredDocs(w http.ResponseWriter, r *http.Request) {
	if id, err := intParam(r.URL.Query().Get("category_id"), 0); err != nil || id == 0 {
		writeErrors(w, http.StatusBadRequest, "category_id is required")
		return
	}
	writeRaw(w, s.catalog.requiredDocs)
}

// GET /integration/v2/warehouses/tiki
func (s *Server) tikiWarehouses(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, s.catalog.warehouses)
}
