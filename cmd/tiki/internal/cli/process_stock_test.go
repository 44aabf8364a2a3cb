package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freshMachineStock runs the stock audit of a fresh machine: the books of
// a CSV file against the demo shop.
func freshMachineStock(t *testing.T) {
	books := filepath.Join(t.TempDir(), "stock.csv")
	require.NoError(t, os.WriteFile(books, []byte("sku,warehouse,quantity,price\nSO-TAY-A5,919,20,125000\nSO-TAY-A5,903,10,\nSACH-MOI,919,5,\n"), 0o644))
	stdout, stderr, code := runTiki(t, "--fake", "stock", "audit", books)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "plan (dry run): 0 in step, 1 changed")
	assert.Contains(t, stdout, "not_on_tiki")
}
