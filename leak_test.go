package tiki

import (
	"context"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tikisdk/tiki/internal/backoff"
)

// TestNoGoroutineLeft uses a client the ways that start goroutines (retries,
// hang-ups, cancellations during a wait and during a token request, an
// iterator left early) and checks that once idle connections are closed
// (and the fake Tiki with them) no goroutine of the SDK is left. It is not
// parallel, so that other tests' goroutines do not interfere.
func TestNoGoroutineLeft(t *testing.T) {
	before := goleak.IgnoreCurrent()

	_, s := setup(t)
	s.oauth().delay = 30 * time.Millisecond
	c := s.client(t, clientCredentials(AuthStyleBasic), WithRetry(3, time.Millisecond, 2*time.Millisecond))

	// A token request that the first caller gives up on, then completes.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	_, _, err := c.Catalog.ListCategories(ctx, nil)
	cancel()
	require.Error(t, err)
	_, _, err = c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)

	// Retries, a hang-up and a cancellation during a backoff wait.
	s.handle("/v2/things", status(503, ``), hangUp, ok200)
	fc := s.client(t, WithSellerKey(testKey))
	_, _, err = callThing(fc, http.MethodGet)
	require.NoError(t, err)
	s.handle("/v2/x", status(503, ``))
	slow := s.client(t, WithSellerKey(testKey), WithRetry(5, time.Hour, time.Hour))
	slow.sleep = backoff.Sleep
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	_, err = slow.do(ctx, &request{method: http.MethodGet, version: apiV2, path: "x"}, nil)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// An iterator left after its first row.
	pc, paged := pagedServer(t)
	for _, err := range pc.Catalog.AllAttributeValues(context.Background(), 7, nil) {
		require.NoError(t, err)
		break
	}

	for _, cl := range []*Client{c, fc, slow, pc} {
		cl.CloseIdleConnections()
	}
	s.Close()
	paged.Close()
	goleak.VerifyNone(t, before)
}

// Every module that the module's tests import (goleak among them) is a
// direct requirement in go.mod, not one marked // indirect: go mod tidy
// keeps it so, and a reader of go.mod sees what the tests need.
func TestTestModulesAreDirectRequirements(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	indirect := map[string]bool{}
	var required []string
	for _, line := range strings.Split(string(mod), "\n") {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(fields) < 2 || !strings.Contains(fields[0], ".") || fields[0] == "module" {
			continue
		}
		required = append(required, fields[0])
		indirect[fields[0]] = strings.Contains(line, "// indirect")
	}
	imported := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil || d.Name() == "testdata" {
				return filepath.SkipDir // a module of its own
			}
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, m := range required {
				if p == m || strings.HasPrefix(p, m+"/") {
					imported[m] = true
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.True(t, imported["go.uber.org/goleak"], "the tests import goleak")
	for m := range imported {
		assert.False(t, indirect[m], "%s is imported by tests: a direct requirement", m)
	}
}
