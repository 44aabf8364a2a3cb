package tikitest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// The product list's rows, kept encoded, and the pages of a list.

// listCache keeps the rows of the product list encoded between requests,
// so that walking a long list costs the fake the rows that changed only.
// A row is valid while its product's version and the units orders hold of
// it (stockState.gen) are those it was rendered with. Guarded by
// Server.mu.
type listCache struct {
	rows map[listRowKey]listRow
}

// listRowKey names a rendering of a product's list row.
type listRowKey struct {
	id      int64
	version string // the API version
	inc     prodIncludeSet
}

// listRow is a product's list row, encoded, and what it was rendered from.
type listRow struct {
	productVersion, stockGen int
	raw                      json.RawMessage
}

// listRow returns p as a row of the product list, encoded. s.mu must be
// held.
func (s *Server) listRow(p *fakeProduct, version string, inc prodIncludeSet) json.RawMessage {
	c := &s.state.lists
	if c.rows == nil {
		c.rows = map[listRowKey]listRow{}
	}
	key := listRowKey{id: p.id, version: version, inc: inc}
	gen := s.state.stock.gen[p.id]
	if row, ok := c.rows[key]; ok && row.productVersion == p.version && row.stockGen == gen {
		return row.raw
	}
	raw, err := json.Marshal(s.renderProduct(p, version, prodShapeList, inc))
	if err != nil {
		panic("tikitest: a product row does not encode: " + err.Error()) // a defect of the fake, caught by its tests
	}
	c.rows[key] = listRow{productVersion: p.version, stockGen: gen, raw: raw}
	return raw
}

// pageRequest is the page and limit a list request asks for.
type pageRequest struct{ page, limit int }

// pageOf reads the page and limit of r, or answers 400 for a bad one.
func pageOf(w http.ResponseWriter, r *http.Request) (pageRequest, bool) {
	page, err1 := intParam(r.URL.Query().Get("page"), 1)
	limit, err2 := intParam(r.URL.Query().Get("limit"), 20)
	if err1 != nil || err2 != nil || page < 1 || limit < 1 || limit > 100 {
		writeErrors(w, http.StatusBadRequest, "page must be at least 1 and limit between 1 and 100")
		return pageRequest{}, false
	}
	return pageRequest{page: page, limit: limit}, true
}

// window returns the positions [from, to) of the page's rows in a list of
// total rows.
func (p pageRequest) window(total int) (from, to int) {
	from = min((p.page-1)*p.limit, total)
	return from, min(from+p.limit, total)
}

// writePageRows answers data, the rows of page p of a list of total rows,
// with Tiki's paging block.
func writePageRows[T any](w http.ResponseWriter, p pageRequest, data []T, total int) {
	if data == nil {
		data = []T{}
	}
	from, to := p.window(total)
	paging := map[string]int{"total": total, "per_page": p.limit, "current_page": p.page, "last_page": max(1, (total+p.limit-1)/p.limit), "from": 0, "to": 0}
	if len(data) > 0 {
		paging["from"], paging["to"] = from+1, to
	}
	if raw, ok := any(data).([]json.RawMessage); ok {
		// Rows encoded already (see listRow): joined as they are.
		var body bytes.Buffer
		body.WriteString(`{"data":[`)
		for i, row := range raw {
			if i > 0 {
				body.WriteByte(',')
			}
			body.Write(row)
		}
		b, _ := json.Marshal(paging)
		body.WriteString(`],"paging":`)
		body.Write(b)
		body.WriteString("}\n")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body.Bytes())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "paging": paging})
}
