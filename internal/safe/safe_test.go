package safe

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoTurnsAPanicIntoAnError(t *testing.T) {
	err := Do(func() error { panic("boom") })
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, string(pe.Stack), "safe_test.go")
	assert.Equal(t, "tiki: panic: boom", err.Error())

	want := errors.New("plain")
	assert.Same(t, want, Do(func() error { return want }))
}

func TestGetTurnsAPanicIntoTheZeroValueAndAnError(t *testing.T) {
	v, err := Get(func() (int, error) { panic(errors.New("bad")) })
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Zero(t, v)

	v, err = Get(func() (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
}
