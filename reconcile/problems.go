package reconcile

import (
	"fmt"
	"slices"

	"github.com/tikisdk/tiki"
)

// How the package reports bad arguments and options: every problem of one
// call in one *tiki.ValidationError, before anything is sent or stored.
// A problem names what the caller wrote: an argument by its parameter
// name ("ctx", "client", "books"), a field of a struct by its type and
// field ("Options.Window", "OrdersOptions.Lag", "Item.SKU"), an element of
// a list by the list and its index ("books[3].Quantities[919]",
// "keys[0].Code"). Its text says what is accepted and, when there is one,
// the value given.

// maxProblems bounds the problems one *tiki.ValidationError lists; the
// rest are counted in a last problem.
const maxProblems = 100

// problems collects field problems into one *tiki.ValidationError.
type problems struct {
	list []tiki.FieldProblem
	more int
}

func (p *problems) add(field, format string, args ...any) {
	if len(p.list) >= maxProblems {
		p.more++
		return
	}
	p.list = append(p.list, tiki.FieldProblem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (p *problems) check(ok bool, field, format string, args ...any) {
	if !ok {
		p.add(field, format, args...)
	}
}

// count is how many problems were added.
func (p *problems) count() int { return len(p.list) + p.more }

// err returns the problems as one *tiki.ValidationError, or nil.
func (p *problems) err() error {
	if p.count() == 0 {
		return nil
	}
	list := p.list
	if p.more > 0 {
		list = append(slices.Clip(list), tiki.FieldProblem{Field: "...", Problem: fmt.Sprintf("and %d more problems", p.more)})
	}
	return &tiki.ValidationError{Problems: list}
}

// invalid returns a *tiki.ValidationError with one problem.
func invalid(field, format string, args ...any) error {
	var p problems
	p.add(field, format, args...)
	return p.err()
}

// nilContext is the error of a call given a nil context, as the client
// reports it (it matches tiki.ErrNilContext).
func nilContext() error {
	return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "ctx", Problem: "must not be nil"}}}
}
