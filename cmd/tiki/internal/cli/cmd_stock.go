package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
)

// stockPolicy is how the books' stock and prices become Tiki's, as the
// flags of tiki stock and the arguments of the stock tools give it.
type stockPolicy struct {
	Warehouses     []int64 `json:"warehouses,omitempty" jsonschema:"the seller warehouse ids the books may name (default: the seller's active pickup warehouses, read from Tiki)"`
	BufferUnits    int     `json:"buffer_units,omitempty" jsonschema:"units held back from Tiki in each warehouse"`
	BufferPercent  float64 `json:"buffer_percent,omitempty" jsonschema:"percent of the books' units held back from Tiki in each warehouse (the larger of the two buffers applies)"`
	Floor          int     `json:"floor,omitempty" jsonschema:"below this many units (after the buffer) Tiki gets 0"`
	MaxPriceChange float64 `json:"max_price_change,omitempty" jsonschema:"refuse a price change larger than this percent of Tiki's price (a dropped zero is a ten-fold change); 0 sets no guard"`
}

// engine makes the reconciliation engine of a run: the seller's
// warehouses (read from Tiki unless given), the policies, and the state
// of what was pushed before (kept in a file per profile, so that drift
// between two runs shows; in memory for the built-in fake).
func (a *app) engine(ctx context.Context, client *tiki.Client, p stockPolicy, statePath string, shared *stockShared) (*reconcile.Engine, func(), error) {
	warehouses := p.Warehouses
	if len(warehouses) == 0 {
		var err error
		if warehouses, err = reconcile.SellerWarehouses(ctx, client); err != nil {
			return nil, nil, err
		}
		if len(warehouses) == 0 {
			return nil, nil, &cliError{code: ExitInvalid, msg: "Tiki lists no active pickup warehouse of the seller: name the warehouses the books stock with --warehouses"}
		}
	}
	opts := reconcile.Options{
		Warehouses:     warehouses,
		Buffer:         reconcile.Buffer{Units: p.BufferUnits, Percent: tiki.Percent(p.BufferPercent)},
		Floor:          p.Floor,
		MaxPriceChange: tiki.Percent(p.MaxPriceChange),
		Now:            a.now,
	}
	if shared != nil {
		opts.State, opts.Guard = shared.state, shared.guard
	}
	closeState := func() {}
	if statePath != "" {
		if err := os.MkdirAll(filepath.Dir(statePath), 0o700); err != nil {
			return nil, nil, &cliError{code: ExitError, msg: "opening the stock state: " + err.Error(), cause: err}
		}
		fs, err := reconcile.OpenFileState(statePath)
		if errors.Is(err, reconcile.ErrFileInUse) {
			return nil, nil, &cliError{code: ExitError, cause: err,
				msg: fmt.Sprintf("the stock state %s is in use by another tiki stock command of this profile: wait for it to end, or give --state", statePath)}
		}
		if err != nil {
			return nil, nil, &cliError{code: ExitError, cause: err,
				msg: fmt.Sprintf("opening the stock state %s: %v: delete the file to start afresh (the next push then reports no drift), or give --state", statePath, err)}
		}
		opts.State = fs
		closeState = func() { _ = fs.Close() }
	}
	eng, err := reconcile.New(client, opts)
	if err != nil {
		closeState()
		return nil, nil, err
	}
	return eng, closeState, nil
}

// statePath returns where the stock state of the run is kept: the flag's
// file, or one per profile under the configuration directory; "" (in
// memory) for the built-in fake and with none.
func (a *app) statePath(flag string, none bool) (string, error) {
	s, err := a.resolve()
	if err != nil {
		return "", err
	}
	switch {
	case none:
		return "", nil
	case flag != "":
		return flag, nil
	case s.profile == nil:
		return "", nil
	}
	path, _, err := a.configPath()
	if err != nil {
		return "", err
	}
	name := s.name
	if name == "" {
		name = "environment"
	}
	return filepath.Join(filepath.Dir(path), "state", name+".stock"), nil
}

// stockShared is what the plans of push_stock share, so that a plan
// applied after a newer one was does not write its older values over the
// newer ones: one State and Guard, and the version of each plan's books (a
// count of the plans made, so that a later plan's books are newer).
type stockShared struct {
	state    reconcile.State
	guard    reconcile.Guard
	versions atomic.Int64
}

func newStockShared() *stockShared {
	return &stockShared{state: reconcile.NewMemoryState(), guard: reconcile.NewLocalGuard()}
}

// booksSeq hands the books to the engine, each item with version (0: the
// engine stamps them).
func booksSeq(items []bookItem, version int64) iter.Seq2[reconcile.Item, error] {
	return func(yield func(reconcile.Item, error) bool) {
		for _, it := range items {
			if !yield(reconcile.Item{SKU: it.SKU, ProductID: it.ProductID, Quantities: it.Quantities, Price: it.Price, Active: it.Active, Version: version}, nil) {
				return
			}
		}
	}
}

// readBooksFile reads a books file, or stdin for "-".
func (a *app) readBooksFile(name string) ([]bookItem, error) {
	if name == "-" {
		return readBooks("stdin", a.env.Stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, inputFileError("the books", err, "the path of a CSV file, or - to read stdin")
	}
	defer f.Close()
	return readBooks(filepath.Base(name), f)
}

// lineColumns are the columns of a stock report, one line per field of an
// item that is not in step.
var lineColumns = []column[reconcile.Line]{
	{"sku", "SKU", func(l *reconcile.Line) string { return l.SKU }},
	{"product_id", "PRODUCT ID", func(l *reconcile.Line) string { return zeroDash(l.ProductID) }},
	{"status", "STATUS", func(l *reconcile.Line) string { return string(l.Status) }},
	{"field", "FIELD", func(l *reconcile.Line) string { return string(l.Field) }},
	{"warehouse", "WAREHOUSE", func(l *reconcile.Line) string { return zeroDash(l.Warehouse) }},
	{"before", "BEFORE", func(l *reconcile.Line) string { return lineValue(l, l.Before) }},
	{"after", "AFTER", func(l *reconcile.Line) string { return lineValue(l, l.After) }},
	{"drift", "DRIFT", func(l *reconcile.Line) string {
		if l.Drift {
			return "drift"
		}
		return ""
	}},
	{"reason", "REASON", func(l *reconcile.Line) string { return string(l.Reason) }},
	{"note", "NOTE", func(l *reconcile.Line) string {
		if l.MaybeApplied {
			return l.Note + " (Tiki may have applied it: the next audit tells)"
		}
		return l.Note
	}},
}

// lineValue renders a value of a report line ("?" when Tiki did not say).
func lineValue(l *reconcile.Line, v int64) string {
	switch {
	case l.Field == "":
		return ""
	case v < 0:
		return "?"
	}
	return itoa(v)
}

// writeReport writes a stock report: JSON, the report itself (counts and
// lines); CSV, a row per line; a table, the summary then the lines.
func (a *app) writeReport(w io.Writer, r *reconcile.Report) error {
	switch a.format() {
	case formatJSON:
		return writeJSON(w, r)
	case formatCSV:
		return writeRows(newListTo(w, a.env.Stderr, formatCSV, lineColumns, "lines"), r.Lines)
	}
	fmt.Fprintln(w, r.Summary())
	if len(r.Lines) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return writeRows(newListTo(w, a.env.Stderr, formatTable, lineColumns, "lines"), r.Lines)
}

// stockFlags are the flags of tiki stock audit and push.
type stockFlags struct {
	policy    stockPolicy
	state     string
	noState   bool
	yes       bool
	dryRun    bool
	warehouse []string
}

func (f *stockFlags) add(cmd *cobra.Command, push bool) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.warehouse, "warehouses", nil, "seller warehouse ids the books may name (default: the seller's active pickup warehouses)")
	fl.IntVar(&f.policy.BufferUnits, "buffer", 0, "units held back from Tiki in each warehouse")
	fl.Float64Var(&f.policy.BufferPercent, "buffer-percent", 0, "percent of the books' units held back in each warehouse (the larger buffer applies)")
	fl.IntVar(&f.policy.Floor, "floor", 0, "below this many units (after the buffer) Tiki gets 0")
	fl.Float64Var(&f.policy.MaxPriceChange, "max-price-change", 0, "refuse a price change larger than this percent of Tiki's price (0: no guard)")
	fl.StringVar(&f.state, "state", "", "file keeping what was pushed, to tell drift from the books' changes (default: one per profile under the configuration directory)")
	fl.BoolVar(&f.noState, "no-state", false, "keep no state: drift is not told apart")
	if push {
		fl.BoolVarP(&f.yes, "yes", "y", false, "apply the plan without asking")
		fl.BoolVar(&f.dryRun, "dry-run", false, "show the plan and write nothing (as stock audit)")
	}
}

// check reads the flags' values.
func (f *stockFlags) check(cmd *cobra.Command) error {
	ids, err := parseIDs("--warehouses", f.warehouse)
	if err != nil {
		return usagef(cmd, "%s", err)
	}
	f.policy.Warehouses = ids
	if f.state != "" && f.noState {
		return usagef(cmd, "--state and --no-state do not go together")
	}
	return nil
}

// stockCommands are the commands of the stock engine: tiki stock, also
// reached as tiki products stock.
func (a *app) stockCommands() []*cobra.Command {
	cmd := &cobra.Command{
		Use:   "stock",
		Short: "Keep Tiki's stock, prices and status equal to the seller's books (a CSV file)",
		Long: `Compare the seller's books, a CSV file, with the products on Tiki, and write the difference: audit plans and
writes nothing; push plans, asks, and applies. The books have a header row naming their columns, in any order:

  sku (or product_id)   the product
  warehouse, quantity   the units in one seller warehouse (a row per warehouse of a product)
  price                 the selling price in whole VND
  active                yes or no (on sale or not)

A column left out, or a cell left empty, is not managed. Every row is checked before Tiki is read: a bad row
stops the command, naming its line. What cannot be reconciled is reported and left alone: a SKU Tiki does not
have, a product Tiki stocks itself, a warehouse that is not the seller's, a product that sells when out of
stock, a price change beyond --max-price-change. Drift (a value changed on Tiki since the last push) is told
apart by a state file kept per profile.`,
		Example: `  tiki stock audit stock.csv
  tiki stock push stock.csv --buffer 2 --max-price-change 50
  tiki --fake stock audit stock.csv -o json`,
	}
	cmd.AddCommand(a.stockAuditCommand(), a.stockPushCommand())
	return []*cobra.Command{cmd}
}

func (a *app) stockAuditCommand() *cobra.Command {
	var f stockFlags
	cmd := &cobra.Command{
		Use:   "audit FILE.csv",
		Short: "Compare the books (CSV, - for stdin) with Tiki and show what a push would change; writes nothing",
		Example: `  tiki stock audit stock.csv
  tiki stock audit stock.csv -o csv > plan.csv`,
		Args: exactArgs(1, "a books FILE.csv (- for stdin)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, _, done, err := a.stockPlan(cmd, &f, args[0])
			if err != nil {
				return err
			}
			defer done()
			return a.writeReport(a.env.Stdout, plan.Report())
		},
	}
	f.add(cmd, false)
	return cmd
}

// stockPlan checks the flags, reads the books file (every row checked
// before Tiki is read), then reads Tiki and plans the books, with progress
// on a terminal. done releases the engine's state.
func (a *app) stockPlan(cmd *cobra.Command, f *stockFlags, file string) (*reconcile.Plan, *reconcile.Engine, func(), error) {
	if err := f.check(cmd); err != nil {
		return nil, nil, nil, err
	}
	items, err := a.readBooksFile(file)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx := cmd.Context()
	client, err := a.client(false)
	if err != nil {
		return nil, nil, nil, err
	}
	state, err := a.statePath(f.state, f.noState)
	if err != nil {
		return nil, nil, nil, err
	}
	eng, done, err := a.engine(ctx, client, f.policy, state, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	p := a.newProgress("requests to read Tiki's products")
	stop := a.countRequests(func(n int) { p.set(n, 0) })
	plan, err := eng.Plan(ctx, booksSeq(items, 0))
	stop()
	p.done()
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	return plan, eng, done, nil
}

func (a *app) stockPushCommand() *cobra.Command {
	var f stockFlags
	cmd := &cobra.Command{
		Use:   "push FILE.csv",
		Short: "Write the books (CSV, - for stdin) to Tiki: plan, ask (or --yes), apply",
		Long: `Plan as stock audit does, show the plan, ask before writing (on a terminal; elsewhere --yes is needed), then
write the changes in batch calls at Tiki's rate limit and report what became of every field: changed, refused
by Tiki, failed (and whether Tiki may have applied it). Writes set absolute values: pushing again is safe.`,
		Example: `  tiki stock push stock.csv
  tiki stock push stock.csv --yes -o json
  tiki products stock push stock.csv --dry-run`,
		Args: exactArgs(1, "a books FILE.csv (- for stdin)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			plan, eng, done, err := a.stockPlan(cmd, &f, args[0])
			if err != nil {
				return err
			}
			defer done()
			report := plan.Report()
			if f.dryRun || report.Changed == 0 {
				if report.Changed == 0 && !f.dryRun {
					fmt.Fprintln(a.env.Stderr, "Nothing to write: Tiki holds what the books say.")
				}
				return a.writeReport(a.env.Stdout, report)
			}
			if !f.yes {
				if a.env.StdinTerminal && a.env.StderrTerminal {
					_ = a.writeReport(a.env.Stderr, report)
					fmt.Fprintln(a.env.Stderr)
				}
				if err := a.confirm(cmd, false, fmt.Sprintf("Write %d changes of %d products to Tiki?", len(report.Lines)-countProblems(report), report.Changed)); err != nil {
					return err
				}
			}
			p := a.newProgress("batch calls")
			calls := (report.Changed + tiki.MaxBatchUpdate - 1) / tiki.MaxBatchUpdate
			stop := a.countWrites(func(n int) { p.set(min(n, calls), calls) })
			applied, err := eng.Apply(ctx, plan)
			stop()
			p.done()
			if applied != nil {
				if werr := a.writeReport(a.env.Stdout, applied); werr != nil {
					return werr
				}
			}
			if err != nil {
				return err
			}
			if applied != nil && applied.Failed > 0 {
				return &cliError{code: ExitRefused, msg: fmt.Sprintf("%d of %d products were not written: the failed lines say why; writes set absolute values, so pushing again (after fixing what Tiki refused) is safe", applied.Failed, report.Changed)}
			}
			return nil
		},
	}
	f.add(cmd, true)
	return cmd
}

// countProblems counts the lines of a report that are not changes.
func countProblems(r *reconcile.Report) int {
	n := 0
	for _, l := range r.Lines {
		if l.Status == reconcile.StatusNotReconcilable {
			n++
		}
	}
	return n
}

// stockTools returns the MCP tools of the stock engine.
func (a *app) stockTools(client *tiki.Client) []mcpTool {
	plans := newPlanStore()
	pushes := newStockShared()
	return []mcpTool{
		tool("audit_stock", "Audit stock against the books",
			"Compares the seller's books (rows of SKU, units per seller warehouse, price, on sale or not) with the products on Tiki and reports, "+
				"field by field, what a push would change and what cannot be reconciled (a SKU Tiki does not have, a warehouse that is not the seller's, "+
				"a price change beyond the guard). Writes nothing.",
			false, readOnly, func(ctx context.Context, in booksIn) (stockOut, error) {
				plan, _, done, err := a.toolPlan(ctx, client, in, nil)
				if err != nil {
					return stockOut{}, err
				}
				done()
				return stockOut{Report: plan.Report()}, nil
			}),
		tool("push_stock", "Push stock and prices from the books",
			"Writes the seller's books to Tiki in two calls. The first call (books or csv, and the policies) plans and writes nothing: it returns the plan "+
				"and its plan_id. Show the plan to the user; the second call with that plan_id and apply: true writes exactly that plan (batch updates at Tiki's "+
				"rate limit) and reports what became of every field. A plan can be applied once, within 15 minutes; an item that a later plan already wrote "+
				"is left as that plan wrote it (superseded).",
			true, writeAnnotations(true, false), func(ctx context.Context, in pushIn) (stockOut, error) {
				if in.PlanID == "" {
					if in.Apply {
						return stockOut{}, fmt.Errorf("tiki: apply needs the plan_id of a first call, which plans: call push_stock with the books first")
					}
					plan, eng, done, err := a.toolPlan(ctx, client, in.booksIn, pushes)
					if err != nil {
						return stockOut{}, err
					}
					report := plan.Report()
					if report.Changed == 0 {
						done()
						return stockOut{Report: report, Note: "nothing to write: Tiki holds what the books say"}, nil
					}
					id := plans.put(plan, eng, done, a.now())
					return stockOut{PlanID: id, Report: report,
						Note: fmt.Sprintf("nothing was written: call push_stock with plan_id %q and apply true to write these %d products", id, report.Changed)}, nil
				}
				if !in.Apply {
					return stockOut{}, fmt.Errorf("tiki: a call with plan_id applies the plan: add apply: true (or plan again without plan_id)")
				}
				if len(in.Books) > 0 || in.CSV != "" {
					return stockOut{}, fmt.Errorf("tiki: a call with plan_id applies that plan: leave out books and csv")
				}
				p, err := plans.take(in.PlanID, a.now())
				if err != nil {
					return stockOut{}, err
				}
				defer p.done()
				report, err := p.engine.Apply(ctx, p.plan)
				if err != nil {
					if report == nil {
						return stockOut{}, err
					}
					return stockOut{Report: report, Note: "the push stopped: " + toolError(err)}, nil
				}
				return stockOut{Report: report}, nil
			}),
	}
}

// booksIn is the arguments of audit_stock, and of push_stock's first call:
// the books and the policies.
type booksIn struct {
	Books []bookItem `json:"books,omitempty" jsonschema:"the seller's books, one item per product; or give csv"`
	CSV   string     `json:"csv,omitempty" jsonschema:"the books as CSV text, with a header row naming its columns: sku (or product_id), warehouse, quantity, price, active; or give books"`
	stockPolicy
}

// pushIn is the arguments of push_stock: the books to plan, or the plan to
// apply.
type pushIn struct {
	booksIn
	PlanID string `json:"plan_id,omitempty" jsonschema:"the plan_id a first call returned, to apply that plan (with apply: true, and without books or csv)"`
	Apply  bool   `json:"apply,omitempty" jsonschema:"true, with plan_id, writes the plan"`
}

// stockOut is the answer of the stock tools: the report of the plan or of
// the push.
type stockOut struct {
	PlanID string            `json:"plan_id,omitempty" jsonschema:"push_stock: the id that applies this plan"`
	Report *reconcile.Report `json:"report"`
	Note   string            `json:"note,omitempty"`
}

// toolPlan plans the books of a stock tool, with what the plans of
// push_stock share (nil: nothing shared).
func (a *app) toolPlan(ctx context.Context, client *tiki.Client, in booksIn, shared *stockShared) (*reconcile.Plan, *reconcile.Engine, func(), error) {
	var items []bookItem
	switch {
	case len(in.Books) > 0 && in.CSV != "":
		return nil, nil, nil, fmt.Errorf("tiki: give books or csv, not both")
	case in.CSV != "":
		var err error
		if items, err = readBooks("csv", strings.NewReader(in.CSV)); err != nil {
			return nil, nil, nil, err
		}
	case len(in.Books) > 0:
		items = in.Books
	default:
		return nil, nil, nil, fmt.Errorf("tiki: give the books: books (a list of items) or csv")
	}
	eng, done, err := a.engine(ctx, client, in.stockPolicy, "", shared)
	if err != nil {
		return nil, nil, nil, err
	}
	var version int64
	if shared != nil {
		version = shared.versions.Add(1)
	}
	plan, err := eng.Plan(ctx, booksSeq(items, version))
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	return plan, eng, done, nil
}

// countRequests calls fn with the number of requests made since, after
// each one, until stop is called.
func (a *app) countRequests(fn func(int)) (stop func()) {
	c := &a.counts
	c.mu.Lock()
	start := c.all
	c.onAll = func(n int) { fn(n - start) }
	c.mu.Unlock()
	return func() { c.mu.Lock(); c.onAll = nil; c.mu.Unlock() }
}

// countWrites calls fn with the number of writes made since, after each
// one, until stop is called.
func (a *app) countWrites(fn func(int)) (stop func()) {
	c := &a.counts
	c.mu.Lock()
	start := c.writes
	c.onWrite = func(n int) { fn(n - start) }
	c.mu.Unlock()
	return func() { c.mu.Lock(); c.onWrite = nil; c.mu.Unlock() }
}
