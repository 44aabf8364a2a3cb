package reconcile

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is what became of one field of an item in a run.
type Status string

// Statuses of a report's lines.
const (
	// StatusChanged: the field was set on Tiki (in a dry run: would be).
	StatusChanged Status = "changed"
	// StatusNotReconcilable: the field, or the item, cannot be reconciled
	// (see Line.Reason); it was left alone.
	StatusNotReconcilable Status = "not_reconcilable"
	// StatusFailed: the write failed; Line.Note says why, and
	// Line.MaybeApplied whether Tiki may have applied it all the same.
	StatusFailed Status = "failed"
	// StatusSuperseded: a newer value of the item had already been written
	// (or was pending), so this older one was not.
	StatusSuperseded Status = "superseded"
)

// Line is one field of one item in a report.
type Line struct {
	// SKU is the item's SKU, when it has one.
	SKU string `json:"sku,omitempty"`
	// ProductID is Tiki's id of the product, when known.
	ProductID int64 `json:"product_id,omitempty"`
	// Status is what became of the field.
	Status Status `json:"status"`
	// Field is the field; empty for the whole item.
	Field Field `json:"field,omitempty"`
	// Warehouse is the seller warehouse, for stock.
	Warehouse int64 `json:"warehouse,omitempty"`
	// Before is Tiki's value when it was read; After the books' value (see
	// Change).
	Before int64 `json:"before"`
	// After is the value set, or that the books want.
	After int64 `json:"after"`
	// Drift reports a field changed on Tiki behind the engine's back.
	Drift bool `json:"drift,omitempty"`
	// Reason says why the field cannot be reconciled.
	Reason Reason `json:"reason,omitempty"`
	// Note says how After follows from the books, what the problem is, or
	// why the write failed.
	Note string `json:"note,omitempty"`
	// MaybeApplied reports a failed write that Tiki may have applied (its
	// answer was lost); the next audit tells.
	MaybeApplied bool `json:"maybe_applied,omitempty"`
}

// Report is the outcome of one run: how many items were in step, changed,
// not reconcilable or failed, and one line per field that was not in step.
// An item with a field changed and another not reconcilable counts in both.
// It encodes as JSON with the field names of its tags.
type Report struct {
	// Run is the kind of run: "plan" (a dry run), "apply", "sync" or
	// "flush" (Sets written by Flush or Run).
	Run string `json:"run"`
	// DryRun reports a run that wrote nothing: its changes are what a run
	// would write.
	DryRun bool `json:"dry_run"`
	// Started and Finished bound the run.
	Started time.Time `json:"started"`
	// Finished is when the run ended.
	Finished time.Time `json:"finished"`
	// InStep counts the items already equal on Tiki and in the books.
	InStep int `json:"in_step"`
	// Changed counts the items written (in a dry run, to write).
	Changed int `json:"changed"`
	// Drifted counts the changed items with a field changed on Tiki
	// behind the engine's back.
	Drifted int `json:"drifted"`
	// NotReconcilable counts the items with a problem.
	NotReconcilable int `json:"not_reconcilable"`
	// Failed counts the items whose write failed.
	Failed int `json:"failed"`
	// Superseded counts the values not written because a newer one was.
	Superseded int `json:"superseded"`
	// Reads counts the calls that read Tiki.
	Reads int `json:"reads"`
	// Writes counts the batch calls that wrote to Tiki.
	Writes int `json:"writes"`
	// Lines are the fields not in step, item by item in the run's order.
	Lines []Line `json:"lines"`
}

// Summary is the report's counts on one line.
func (r *Report) Summary() string {
	kind := r.Run
	if r.DryRun {
		kind += " (dry run)"
	}
	return fmt.Sprintf("%s: %d in step, %d changed (%d drifted), %d not reconcilable, %d failed, %d superseded; %d reads, %d writes, %v",
		kind, r.InStep, r.Changed, r.Drifted, r.NotReconcilable, r.Failed, r.Superseded, r.Reads, r.Writes,
		r.Finished.Sub(r.Started).Round(time.Millisecond))
}

// columns are the headers of the table and the CSV.
var columns = []string{"sku", "product_id", "status", "field", "warehouse", "before", "after", "drift", "reason", "note"}

// cells renders a line as the table's and the CSV's cells.
func (l *Line) cells() []string {
	num := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	before, after := strconv.FormatInt(l.Before, 10), strconv.FormatInt(l.After, 10)
	if l.Field == "" {
		before, after = "", ""
	}
	if l.Before < 0 {
		before = "?"
	}
	drift := ""
	if l.Drift {
		drift = "drift"
	}
	note := l.Note
	if l.MaybeApplied {
		note += " [maybe applied]"
	}
	return []string{l.SKU, num(l.ProductID), string(l.Status), string(l.Field), num(l.Warehouse), before, after, drift, string(l.Reason), note}
}

// WriteTable writes the report as a text table: the summary, then one
// row per line.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, r.Summary())
	if len(r.Lines) > 0 {
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(columns, "\t")))
		for i := range r.Lines {
			fmt.Fprintln(tw, strings.Join(r.Lines[i].cells(), "\t"))
		}
	}
	return tw.Flush()
}

// WriteCSV writes the report's lines as CSV, with a header row.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(columns)
	for i := range r.Lines {
		_ = cw.Write(r.Lines[i].cells())
	}
	cw.Flush()
	return cw.Error()
}

// Report returns the plan as a dry run's report: what Apply would
// change, and what it cannot reconcile.
func (p *Plan) Report() *Report {
	r := &Report{Run: "plan", DryRun: true, Started: p.Started, Finished: p.Finished, InStep: p.InStep, Reads: p.Reads}
	for i := range p.Items {
		r.add(&p.Items[i], StatusChanged, "", false)
	}
	return r
}

// add adds an item's lines: its problems, then its changes with the given
// status (and, for a failure, why and whether it may have been applied),
// counting the item.
func (r *Report) add(ip *ItemPlan, status Status, note string, maybe bool) {
	for _, pr := range ip.Problems {
		r.Lines = append(r.Lines, Line{SKU: ip.SKU, ProductID: ip.ProductID, Status: StatusNotReconcilable, Field: pr.Field,
			Warehouse: pr.Warehouse, Before: pr.Before, After: pr.After, Reason: pr.Reason, Note: pr.Detail})
	}
	if len(ip.Problems) > 0 {
		r.NotReconcilable++
	}
	if len(ip.Changes) == 0 {
		return
	}
	drifted := false
	for _, c := range ip.Changes {
		l := Line{SKU: ip.SKU, ProductID: ip.ProductID, Status: status, Field: c.Field, Warehouse: c.Warehouse,
			Before: c.Before, After: c.After, Drift: c.Drift, Note: c.Why}
		if status != StatusChanged {
			l.Note, l.MaybeApplied = note, maybe
		}
		drifted = drifted || c.Drift
		r.Lines = append(r.Lines, l)
	}
	switch status {
	case StatusChanged:
		r.Changed++
		if drifted {
			r.Drifted++
		}
	case StatusFailed:
		r.Failed++
	case StatusSuperseded:
		r.Superseded++
	}
}
