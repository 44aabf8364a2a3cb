package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
)

// A books file has a row per product and warehouse; rows of a product are
// merged, columns are found by name in any order, under their other names,
// and a spreadsheet's byte order mark and semicolons are read.
func TestReadBooks(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	for name, text := range map[string]string{
		"commas":     "sku,warehouse,quantity,price,active\nSO-TAY-A5,919,12,125000,yes\nSO-TAY-A5,903,0,,\n#,,,,\nTUI-VAI,919,3,,no\n",
		"semicolons": "\xef\xbb\xbfOriginal_SKU;Qty;Warehouse_ID;Price;Active\nSO-TAY-A5;12;919;125000;1\nSO-TAY-A5;0;903;;\n;;;;\nTUI-VAI;3;919;;false\n",
	} {
		t.Run(name, func(t *testing.T) {
			text = strings.Replace(text, "#,,,,\n", "\n", 1)
			items, err := readBooks("stock.csv", strings.NewReader(text))
			require.NoError(t, err)
			for i := range items {
				items[i].line = 0
			}
			assert.Equal(t, []bookItem{
				{SKU: "SO-TAY-A5", Quantities: map[int64]int{919: 12, 903: 0}, Price: tiki.Money(125000), Active: &yes},
				{SKU: "TUI-VAI", Quantities: map[int64]int{919: 3}, Active: &no},
			}, items)
		})
	}
	items, err := readBooks("prices.csv", strings.NewReader("product_id,price\n2090002,125000\n"))
	require.NoError(t, err)
	assert.Equal(t, []bookItem{{ProductID: 2090002, Price: 125000, line: 2}}, items)
}

// A bad books file is refused whole, in one line naming the file, the line
// and the value, before anything is read from Tiki.
func TestReadBooksRefuses(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"":                         "stock.csv: the file is empty",
		"sku,warehouse,quantity\n": "stock.csv: the file has a header and no product",
		"sku,warehouse,qty,colour\nA,919,1,red\n":             `stock.csv line 1: column "colour" is not one the command reads: the columns are sku, product_id, warehouse, quantity, price, active`,
		"warehouse,quantity\n919,1\n":                         "stock.csv line 1: no sku or product_id column",
		"sku,warehouse\nA,919\n":                              "stock.csv line 1: warehouse and quantity go together",
		"sku\nA\n":                                            "stock.csv line 1: nothing to manage",
		"sku,sku,price\nA,A,1\n":                              "stock.csv line 1: column sku is there twice",
		"sku,warehouse,quantity\nA,919,ten\n":                 `stock.csv line 2: quantity "ten" is not a number of units`,
		"sku,warehouse,quantity\nA,919,-1\n":                  `stock.csv line 2: quantity "-1" is not a number of units`,
		"sku,warehouse,quantity\nA,hn,1\n":                    `stock.csv line 2: warehouse "hn" is not a seller warehouse id`,
		"sku,warehouse,quantity\nA,,1\n":                      `stock.csv line 2: warehouse "" is not a seller warehouse id`,
		"sku,price\nA,125.000\n":                              `stock.csv line 2: price "125.000" is not a price (whole VND, digits only`,
		"sku,active\nA,maybe\n":                               `stock.csv line 2: active "maybe" is not yes or no`,
		"sku,product_id,price\n,,1\n":                         "stock.csv line 2: the row names no product",
		"sku,product_id,price\nA,x,1\n":                       `stock.csv line 2: product_id "x" is not a product id`,
		"sku,warehouse,quantity\nA,919,1\nB,919,1\nA,919,2\n": "stock.csv line 4: warehouse 919 of A is on line 2 already",
		"sku,price\nA,100\nA,200\n":                           "stock.csv line 3: the price of A is 200 here and 100 on line 2",
		"sku,active\nA,yes\nA,no\n":                           "stock.csv line 3: A is active=false here and active=true on line 2",
		"sku,product_id,price\nA,1,100\nA,2,100\n":            "stock.csv line 3: product A has product_id 2 here and 1 on line 2",
		"sku,warehouse,quantity\nA,919,1,extra\n":             "stock.csv line 2: the row has 4 fields and the header 3",
		"sku,warehouse,quantity\n\"A,919,1\n":                 "stock.csv line 2:",
	} {
		_, err := readBooks("stock.csv", strings.NewReader(text))
		require.Error(t, err, "%q", text)
		var ce *cliError
		require.True(t, errors.As(err, &ce), "%q: %T", text, err)
		assert.Equal(t, ExitInvalid, ce.code, "%q", text)
		assert.Contains(t, err.Error(), want, "%q", text)
		assert.NotContains(t, err.Error(), "\n")
		assert.Contains(t, err.Error(), "nothing was sent")
	}
}
