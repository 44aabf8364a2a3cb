package tiki

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// Every exported method of every service, given a nil context, returns an
// error matching ErrNilContext (or, when its other arguments are invalid
// too, a *ValidationError), sends nothing and never panics; iterators yield
// the error. Methods are found by reflection, so new ones are covered.
func TestNilContextEveryMethod(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	cv := reflect.ValueOf(c).Elem()
	methods := 0
	for i := range cv.NumField() {
		f := cv.Type().Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type.Elem().Name(), "Service") {
			continue
		}
		svc := cv.Field(i)
		for j := range svc.NumMethod() {
			m := svc.Type().Method(j)
			mv := svc.Method(j)
			mt := mv.Type()
			if mt.NumIn() == 0 || mt.In(0) != contextType {
				continue
			}
			methods++
			name := f.Name + "." + m.Name
			t.Run(name, func(t *testing.T) {
				err := callWithNilContext(t, mv)
				require.Error(t, err, "a nil context must be an error")
				var ve *ValidationError
				require.True(t, errors.Is(err, ErrNilContext) || errors.As(err, &ve), "%s: want ErrNilContext, got %T %v", name, err, err)
				if !errors.Is(err, ErrNilContext) {
					// Allowed for now: the method checks its arguments
					// before its context (both are the caller's mistakes).
					// The product methods check the context first.
					require.NotEqual(t, "Products", f.Name, "%s: the context is checked first", name)
					t.Logf("%s: arguments refused before the context: %v", name, err)
				}
			})
		}
	}
	assert.Greater(t, methods, 30, "the services' methods were found")
	assert.Zero(t, s.count(), "nothing was sent")
}

// callWithNilContext calls m with a nil context and zero values for its
// other arguments, and returns the error it returned or, for an iterator,
// the first error it yielded. A panic fails the test.
func callWithNilContext(t *testing.T, m reflect.Value) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	mt := m.Type()
	in := []reflect.Value{reflect.Zero(contextType)}
	for k := 1; k < mt.NumIn(); k++ {
		if mt.IsVariadic() && k == mt.NumIn()-1 {
			break
		}
		in = append(in, reflect.Zero(mt.In(k)))
	}
	out := m.Call(in)
	last := out[len(out)-1]
	if last.Type() == errorType {
		if last.IsNil() {
			return nil
		}
		return last.Interface().(error)
	}
	// An iterator: func(yield func(T, error) bool).
	seq := last
	require.Equal(t, reflect.Func, seq.Kind(), "unexpected result %s", last.Type())
	yieldType := seq.Type().In(0)
	var got error
	yield := reflect.MakeFunc(yieldType, func(args []reflect.Value) []reflect.Value {
		if e := args[len(args)-1]; !e.IsNil() {
			got = e.Interface().(error)
		}
		return []reflect.Value{reflect.ValueOf(false)}
	})
	seq.Call([]reflect.Value{yield})
	if got == nil {
		return fmt.Errorf("iterator yielded no error")
	}
	return got
}

// With valid arguments, the product methods refuse a nil context with
// ErrNilContext; UpdateBatch once panicked on it (between its calls).
func TestNilContextProductWrites(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	var nilCtx context.Context
	_, _, err := c.Products.UpdateBatch(nilCtx, batchItems(25))
	require.ErrorIs(t, err, ErrNilContext)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{Field: "ctx", Problem: "must not be nil"}}, ve.Problems)
	_, _, err = c.Products.Update(nilCtx, ProductUpdate{ProductID: 1, Price: 1000})
	require.ErrorIs(t, err, ErrNilContext)
	for _, err := range c.Products.All(nilCtx, nil) {
		require.ErrorIs(t, err, ErrNilContext)
	}
	assert.Zero(t, s.count())
}
