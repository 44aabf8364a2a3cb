package tiki

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every request the SDK builds names its endpoint's path template
// (request.route) when its path holds a value, and the template fits the
// path: the same literal text, a {name} wherever the path has a value. A
// path without a value is its own template. The check reads the source, so
// an endpoint added without its template fails here.
func TestEveryRequestNamesItsPathTemplate(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		parsed = append(parsed, f)
	}
	placeholder := regexp.MustCompile(`\{[A-Za-z_]+\}`)
	// paramPaths are the functions that build a request from a path
	// parameter, and its position: their callers must pass a path without
	// a value.
	paramPaths := map[string]int{}
	requests := 0
	for _, f := range parsed {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if id, isIdent := typeName(lit); !ok || !isIdent || id != "request" {
					return true
				}
				requests++
				where := fset.Position(lit.Pos()).String()
				fields := map[string]ast.Expr{}
				for _, e := range lit.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						fields[kv.Key.(*ast.Ident).Name] = kv.Value
					}
				}
				path, route := fields["path"], fields["route"]
				require.NotNil(t, path, "%s: a request without a path", where)
				shape, literal := pathShape(path)
				switch {
				case !literal && route == nil:
					// A path parameter of the function: its callers pass
					// constant paths, checked below.
					id, ok := path.(*ast.Ident)
					pos := paramIndex(fn, id)
					require.True(t, ok && pos >= 0, "%s: the path is not a constant: name its template (route)", where)
					paramPaths[fn.Name.Name] = pos
				case !literal:
					// Built elsewhere (Client.Call, Label): the template
					// is tested where the call is.
				case route == nil:
					assert.NotContains(t, shape, "{}", "%s: the path holds a value: name its template (route)", where)
				default:
					r, ok := route.(*ast.BasicLit)
					if !ok {
						break
					}
					tmpl, err := strconv.Unquote(r.Value)
					require.NoError(t, err)
					assert.Equal(t, shape, placeholder.ReplaceAllString(tmpl, "{}"), "%s: the template %s does not fit the path", where, tmpl)
					assert.Contains(t, shape, "{}", "%s: a path without a value is its own template", where)
				}
				return true
			})
		}
	}
	assert.Greater(t, requests, 50, "the requests were found")

	require.NotEmpty(t, paramPaths)
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := funcName(c.Fun)
			pos, ok := paramPaths[name]
			if !ok || pos >= len(c.Args) {
				return true
			}
			shape, literal := pathShape(c.Args[pos])
			where := fset.Position(c.Pos()).String()
			assert.True(t, literal && !strings.Contains(shape, "{}"), "%s: %s builds no template: pass it a constant path", where, name)
			return true
		})
	}
}

// typeName is the name of a composite literal's type.
func typeName(lit *ast.CompositeLit) (string, bool) {
	if lit == nil {
		return "", false
	}
	id, ok := lit.Type.(*ast.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}

// pathShape renders a path expression: its string literals as they are,
// every other operand of a concatenation as "{}". literal is false when the
// expression is not a concatenation of which at least one operand is a
// string literal.
func pathShape(e ast.Expr) (shape string, literal bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil && e.Kind == token.STRING {
			return s, true
		}
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			x, xl := pathShape(e.X)
			y, yl := pathShape(e.Y)
			if !xl {
				x = "{}"
			}
			if !yl {
				y = "{}"
			}
			return x + y, xl || yl
		}
	case *ast.ParenExpr:
		return pathShape(e.X)
	}
	return "{}", false
}

// paramIndex is the position of the parameter id among fn's parameters,
// or -1.
func paramIndex(fn *ast.FuncDecl, id *ast.Ident) int {
	if id == nil {
		return -1
	}
	i := 0
	for _, field := range fn.Type.Params.List {
		for _, name := range field.Names {
			if name.Name == id.Name {
				return i
			}
			i++
		}
	}
	return -1
}

// funcName is the name of the function a call expression calls, with its
// type arguments left out; "" for a method or a function value.
func funcName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return funcName(e.X)
	case *ast.IndexListExpr:
		return funcName(e.X)
	}
	return ""
}
