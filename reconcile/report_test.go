package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/reconcile"
)

// sampleReport is a report with a line of each kind.
func sampleReport() *reconcile.Report {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &reconcile.Report{
		Run: "sync", Started: start, Finished: start.Add(6410 * time.Millisecond),
		InStep: 95, Changed: 2, Drifted: 1, NotReconcilable: 1, Failed: 1, Reads: 1, Writes: 1,
		Lines: []reconcile.Line{
			{SKU: "A", ProductID: 2090002, Status: reconcile.StatusChanged, Field: reconcile.FieldQuantity, Warehouse: 919, Before: 3, After: 10, Drift: true, Note: "books"},
			{SKU: "B", ProductID: 2090004, Status: reconcile.StatusChanged, Field: reconcile.FieldPrice, Before: 100000, After: 120000, Note: "books"},
			{SKU: "C", Status: reconcile.StatusNotReconcilable, Reason: reconcile.NotOnTiki, Note: "no product in Tiki's product list has this SKU"},
			{SKU: "D", ProductID: 2090008, Status: reconcile.StatusFailed, Field: reconcile.FieldActive, Before: -1, After: 1, Note: "HTTP 502", MaybeApplied: true},
		},
	}
}

// The drift report renders as a table, as CSV and as JSON.
func TestReportRenders(t *testing.T) {
	var table bytes.Buffer
	require.NoError(t, sampleReport().WriteTable(&table))
	assert.Equal(t, `sync: 95 in step, 2 changed (1 drifted), 1 not reconcilable, 1 failed, 0 superseded; 1 reads, 1 writes, 6.41s
SKU  PRODUCT_ID  STATUS            FIELD     WAREHOUSE  BEFORE  AFTER   DRIFT  REASON       NOTE
A    2090002     changed           quantity  919        3       10      drift               books
B    2090004     changed           price                100000  120000                      books
C                not_reconcilable                                              not_on_tiki  no product in Tiki's product list has this SKU
D    2090008     failed            active               ?       1                           HTTP 502 [maybe applied]
`, table.String())

	var csv bytes.Buffer
	require.NoError(t, sampleReport().WriteCSV(&csv))
	assert.Equal(t, `sku,product_id,status,field,warehouse,before,after,drift,reason,note
A,2090002,changed,quantity,919,3,10,drift,,books
B,2090004,changed,price,,100000,120000,,,books
C,,not_reconcilable,,,,,,not_on_tiki,no product in Tiki's product list has this SKU
D,2090008,failed,active,,?,1,,,HTTP 502 [maybe applied]
`, csv.String())

	b, err := json.Marshal(sampleReport())
	require.NoError(t, err)
	var back reconcile.Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *sampleReport(), back)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	assert.Equal(t, map[string]any{"sku": "C", "status": "not_reconcilable", "before": 0.0, "after": 0.0,
		"reason": "not_on_tiki", "note": "no product in Tiki's product list has this SKU"}, raw["lines"].([]any)[2])
	for _, k := range []string{"run", "dry_run", "started", "finished", "in_step", "changed", "drifted", "not_reconcilable", "failed", "superseded", "reads", "writes", "lines"} {
		assert.Contains(t, raw, k)
	}
}

// OnReport is called once per run, with the run's report; a panic in it
// does not end the run.
func TestOnReportOncePerRun(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	var runs []string
	e := f.engine(t, reconcile.Options{OnReport: func(r *reconcile.Report) {
		runs = append(runs, r.Run)
		panic("a broken report sink")
	}})
	want := books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 6}})
	ctx := context.Background()
	plan, err := e.Plan(ctx, want)
	require.NoError(t, err)
	_, err = e.Apply(ctx, plan)
	require.NoError(t, err)
	_, err = e.Sync(ctx, want)
	require.NoError(t, err)
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 7}}))
	_, err = e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"plan", "apply", "sync", "flush"}, runs)
}
