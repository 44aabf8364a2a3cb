package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/tikisdk/tiki"
)

// bookItem is one product as the seller's books have it: the stock per
// seller warehouse, the price and whether it is on sale. A field left empty
// in the books is not managed.
type bookItem struct {
	// SKU is the seller's SKU (Tiki's original_sku).
	SKU string `json:"sku,omitempty" jsonschema:"the seller's SKU of the product (Tiki's original_sku); or give product_id"`
	// ProductID is Tiki's product id.
	ProductID int64 `json:"product_id,omitempty" jsonschema:"Tiki's id of the product; or give sku"`
	// Quantities are the units per seller warehouse id.
	Quantities map[int64]int `json:"quantities,omitempty" jsonschema:"units in the seller's books per seller warehouse id, for example {\"919\": 12}; leave out to not manage stock"`
	// Price is the selling price in VND.
	Price tiki.Money `json:"price,omitempty" jsonschema:"selling price in VND, a whole number; leave out to not manage the price"`
	// Active says whether the product is on sale.
	Active *bool `json:"active,omitempty" jsonschema:"true keeps the product on sale, false switches it off; leave out to not manage it"`

	line int // the first line of the CSV file naming it
}

// The columns of a books file, with the other names they are known by.
var bookColumns = map[string][]string{
	"sku":        {"sku", "original_sku", "seller_sku"},
	"product_id": {"product_id", "id"},
	"warehouse":  {"warehouse", "warehouse_id", "seller_inventory_id"},
	"quantity":   {"quantity", "qty", "qty_available", "units"},
	"price":      {"price"},
	"active":     {"active"},
}

// bookColumnOrder is the order in which messages list the columns.
var bookColumnOrder = []string{"sku", "product_id", "warehouse", "quantity", "price", "active"}

// bookError is a problem of a books file, naming its line.
func bookError(name string, line int, format string, args ...any) error {
	where := name
	if line > 0 {
		where = fmt.Sprintf("%s line %d", name, line)
	}
	return invalidf("%s: %s; fix the file and run again, nothing was sent", where, fmt.Sprintf(format, args...))
}

// readBooks reads the seller's books from a CSV file: a header row naming
// the columns (sku or product_id; warehouse and quantity; price; active),
// then one row per product and warehouse. Rows of one product are merged:
// its warehouses add up, and its price and status must agree. The
// delimiter is a comma or, when the header has none, a semicolon (as
// spreadsheets write CSV in some locales). Every row is checked before
// anything is read from Tiki.
func readBooks(name string, r io.Reader) ([]bookItem, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, &cliError{code: ExitError, msg: fmt.Sprintf("reading %s: %v", name, err), cause: err}
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) { // a spreadsheet's byte order mark
		_, _ = br.Discard(3)
		head = head[3:]
	}
	cr := csv.NewReader(br)
	firstLine, _, _ := bytes.Cut(head, []byte("\n"))
	if !bytes.ContainsRune(firstLine, ',') && bytes.ContainsRune(firstLine, ';') {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, bookError(name, 0, "the file is empty: its first row names the columns (%s)", strings.Join(bookColumnOrder, ", "))
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := ""
		for canon, aliases := range bookColumns {
			if slices.Contains(aliases, h) {
				known = canon
			}
		}
		switch {
		case known == "":
			return nil, bookError(name, 1, "column %q is not one the command reads: the columns are %s", header[i], strings.Join(bookColumnOrder, ", "))
		case col[known] != 0:
			return nil, bookError(name, 1, "column %s is there twice", known)
		}
		col[known] = i + 1 // 0 means absent
	}
	switch {
	case col["sku"] == 0 && col["product_id"] == 0:
		return nil, bookError(name, 1, "no sku or product_id column: each row names its product by one of them")
	case (col["warehouse"] == 0) != (col["quantity"] == 0):
		return nil, bookError(name, 1, "warehouse and quantity go together: the stock is given per seller warehouse")
	case col["quantity"] == 0 && col["price"] == 0 && col["active"] == 0:
		return nil, bookError(name, 1, "nothing to manage: add warehouse and quantity, price or active columns")
	}

	var items []bookItem
	byKey := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i := col[c]; i > 0 && i <= len(rec) {
				return strings.TrimSpace(rec[i-1])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // an empty row
		}
		if len(rec) > len(header) {
			return nil, bookError(name, line, "the row has %d fields and the header %d", len(rec), len(header))
		}
		it := bookItem{SKU: get("sku"), line: line}
		if s := get("product_id"); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return nil, bookError(name, line, "product_id %q is not a product id (a positive whole number)", s)
			}
			it.ProductID = id
		}
		if it.SKU == "" && it.ProductID == 0 {
			return nil, bookError(name, line, "the row names no product: give its sku or product_id")
		}
		if w, q := get("warehouse"), get("quantity"); w != "" || q != "" {
			id, err := strconv.ParseInt(w, 10, 64)
			if err != nil || id <= 0 {
				return nil, bookError(name, line, "warehouse %q is not a seller warehouse id (a positive whole number, for example 919)", w)
			}
			n, err := strconv.Atoi(q)
			if err != nil || n < 0 {
				return nil, bookError(name, line, "quantity %q is not a number of units (a whole number, 0 or more)", q)
			}
			it.Quantities = map[int64]int{id: n}
		}
		if s := get("price"); s != "" {
			p, err := strconv.ParseInt(s, 10, 64)
			if err != nil || p <= 0 {
				return nil, bookError(name, line, "price %q is not a price (whole VND, digits only, for example 125000)", s)
			}
			it.Price = tiki.Money(p)
		}
		if s := get("active"); s != "" {
			b, ok := parseBool(s)
			if !ok {
				return nil, bookError(name, line, "active %q is not yes or no (write true, false, yes, no, 1 or 0)", s)
			}
			it.Active = &b
		}
		key := it.SKU
		if key == "" {
			key = "#" + itoa(it.ProductID)
		}
		i, seen := byKey[key]
		if !seen {
			byKey[key] = len(items)
			items = append(items, it)
			continue
		}
		if err := merge(&items[i], it, name); err != nil {
			return nil, err
		}
	}
	if len(items) == 0 {
		return nil, bookError(name, 0, "the file has a header and no product")
	}
	return items, nil
}

// merge adds a row of a product to the product's item.
func merge(dst *bookItem, row bookItem, name string) error {
	if row.ProductID != 0 && dst.ProductID != 0 && row.ProductID != dst.ProductID {
		return bookError(name, row.line, "product %s has product_id %d here and %d on line %d", dst.SKU, row.ProductID, dst.ProductID, dst.line)
	}
	if dst.ProductID == 0 {
		dst.ProductID = row.ProductID
	}
	for w, n := range row.Quantities {
		if _, dup := dst.Quantities[w]; dup {
			return bookError(name, row.line, "warehouse %d of %s is on line %d already", w, keyName(dst), dst.line)
		}
		if dst.Quantities == nil {
			dst.Quantities = map[int64]int{}
		}
		dst.Quantities[w] = n
	}
	switch {
	case row.Price != 0 && dst.Price != 0 && row.Price != dst.Price:
		return bookError(name, row.line, "the price of %s is %d here and %d on line %d", keyName(dst), row.Price, dst.Price, dst.line)
	case row.Price != 0:
		dst.Price = row.Price
	}
	switch {
	case row.Active != nil && dst.Active != nil && *row.Active != *dst.Active:
		return bookError(name, row.line, "%s is active=%v here and active=%v on line %d", keyName(dst), *row.Active, *dst.Active, dst.line)
	case row.Active != nil:
		dst.Active = row.Active
	}
	return nil
}

// keyName names an item in a message.
func keyName(it *bookItem) string {
	if it.SKU != "" {
		return it.SKU
	}
	return "product " + itoa(it.ProductID)
}

// csvError reports a CSV syntax error with its line.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return bookError(name, pe.Line, "%v", pe.Err)
	}
	return &cliError{code: ExitError, msg: fmt.Sprintf("reading %s: %v", name, err), cause: err}
}

// parseBool reads yes/no values as spreadsheets write them.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "y", "on":
		return true, true
	case "0", "false", "no", "n", "off":
		return false, true
	}
	return false, false
}
