package tikitest

import (
	"fmt"

	"github.com/tikisdk/tiki"
)

// problems collects what is wrong with an argument of the fake's Go API or
// with a request body, field by field.
type problems []tiki.FieldProblem

// add records that field has problem.
func (p *problems) add(field, problem string) {
	*p = append(*p, tiki.FieldProblem{Field: field, Problem: problem})
}

// check records that field has problem unless ok.
func (p *problems) check(ok bool, field, problem string) {
	if !ok {
		p.add(field, problem)
	}
}

// messages returns the problems as the messages of Tiki's error body
// ("items[0].price must be greater than 0").
func (p problems) messages() []string {
	out := make([]string, len(p))
	for i, fp := range p {
		out[i] = fp.Field + " " + fp.Problem
	}
	return out
}

// err returns the problems as a *tiki.ValidationError, or nil when there
// are none.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &tiki.ValidationError{Problems: p}
}

// notFound is the error for something the fake does not hold, described by
// the format and its arguments.
func notFound(format string, args ...any) error {
	return fmt.Errorf("tikitest: %s: %w", fmt.Sprintf(format, args...), tiki.ErrNotFound)
}
