package tiki_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/tikisdk/tiki"
)

// The README is a guide: at most 600 lines, a table of contents that links
// every section, the Go version of go.mod among what a machine needs.
func TestREADMEIsAGuide(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if n := strings.Count(readme, "\n"); n > 600 {
		t.Errorf("README.md has %d lines; a guide has at most 600 (move reference material to docs/)", n)
	}
	_, contents, ok := strings.Cut(readme, "\n## Contents\n")
	if !ok {
		t.Fatal("README.md has no \"## Contents\" section")
	}
	contents, _, _ = strings.Cut(contents, "\n## ")
	for _, h := range headings(readme, 2) {
		if h == "Contents" {
			continue
		}
		if !strings.Contains(contents, "(#"+slug(h)+")") {
			t.Errorf("the table of contents does not link the section %q (#%s)", h, slug(h))
		}
	}

	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)(\.\d+)?$`).FindStringSubmatch(string(mod))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	for _, want := range []string{"Go " + m[1] + "." + m[2] + " or newer", "`go " + strings.TrimPrefix(m[0], "go ") + "`",
		"make", "C compiler", "curl", "redis-server"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not say what a machine needs: %q is missing", want)
		}
	}
}

// headings returns the text of the Markdown headings of a level, outside
// fenced blocks.
func headings(md string, level int) []string {
	prefix := strings.Repeat("#", level) + " "
	var out []string
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if !inFence && strings.HasPrefix(line, prefix) {
			out = append(out, strings.TrimSpace(strings.TrimPrefix(line, prefix)))
		}
	}
	return out
}

// anchors returns the anchors GitHub gives the headings of a Markdown
// document.
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for level := 1; level <= 6; level++ {
		for _, h := range headings(md, level) {
			s := slug(h)
			if n := seen[s]; n > 0 {
				out[s+"-"+string(rune('0'+n))] = true
			} else {
				out[s] = true
			}
			seen[s]++
		}
	}
	return out
}

// slug is GitHub's anchor of a heading: lower case, spaces as hyphens,
// punctuation other than hyphens and underscores dropped.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// Every relative link of the README, the reference and redisstore's README
// reaches a file of the repository, and every anchor a heading of it.
func TestDocsLinksResolve(t *testing.T) {
	files := append(docFiles(t), filepath.Join("redisstore", "README.md"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			}
			info, err := os.Stat(dest)
			if err != nil {
				t.Errorf("%s: link %s: %v", file, target, err)
				continue
			}
			if anchor == "" {
				continue
			}
			if info.IsDir() || !strings.HasSuffix(dest, ".md") {
				t.Errorf("%s: link %s: an anchor into something that is not a Markdown file", file, target)
				continue
			}
			md, err := os.ReadFile(dest)
			if err != nil {
				t.Fatal(err)
			}
			if !anchors(string(md))[anchor] {
				t.Errorf("%s: link %s: %s has no heading with the anchor #%s", file, target, dest, anchor)
			}
		}
	}
}

// The table of docs/services.md matches the code: every service and method
// it names exists and is not deprecated, and every exported method of every
// service reachable from a Client is in it.
func TestServiceTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("docs", "services.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `(client(?:\\.\\w+)+)` \\| `(\\w+)` \\|")
	inTable := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			name := m[1] + "." + m[2]
			if inTable[name] {
				t.Errorf("docs/services.md names %s twice", name)
			}
			inTable[name] = true
		}
	}
	if len(inTable) < 50 {
		t.Fatalf("found %d rows in docs/services.md; the pattern is wrong", len(inTable))
	}

	// The services the code has, by the path a caller writes.
	client, err := tiki.NewClient(tiki.WithSellerKey("seller-key"))
	if err != nil {
		t.Fatal(err)
	}
	inCode := map[string]bool{} // "client.Orders.List"
	serviceTypes := map[string]bool{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			switch ft := f.Type; {
			case ft.Kind() == reflect.Pointer && strings.HasSuffix(ft.Elem().Name(), "Service"):
				serviceTypes[ft.Elem().Name()] = true
				for j := range ft.NumMethod() {
					m := ft.Method(j).Name
					inCode[prefix+f.Name+"."+m] = true
				}
			case ft.Kind() == reflect.Struct:
				walk(prefix+f.Name+".", v.Field(i))
			}
		}
	}
	walk("client.", reflect.ValueOf(client).Elem())

	for name := range inTable {
		if !inCode[name] {
			t.Errorf("docs/services.md names %s, which the code does not have", name)
		}
	}
	for name := range inCode {
		if !inTable[name] {
			t.Errorf("%s is missing from the table of docs/services.md", name)
		}
	}

	// None is deprecated, and no service type is out of the client's reach.
	for _, typ := range packageDoc(t, ".", "github.com/tikisdk/tiki").Types {
		if strings.HasSuffix(typ.Name, "Service") {
			if !serviceTypes[typ.Name] {
				t.Errorf("service type %s is not reachable from a Client", typ.Name)
			}
			if deprecated(typ.Doc) {
				t.Errorf("service type %s is deprecated", typ.Name)
			}
		}
		for _, m := range typ.Methods {
			if serviceTypes[typ.Name] && deprecated(m.Doc) {
				t.Errorf("%s.%s is deprecated: a listed method must not be, and every method is listed", typ.Name, m.Name)
			}
		}
	}
}

func deprecated(docText string) bool {
	return regexp.MustCompile(`(?m)^Deprecated: `).MatchString(docText)
}

// packageDoc returns the documentation of the package in a directory, read
// from its non-test Go files.
func packageDoc(t *testing.T, dir, importPath string) *doc.Package {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, importPath)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// packageDirs lists the directories of the module's packages whose
// overview go doc shows: the public ones, the command and the internal
// ones (examples aside), and the redisstore module's.
func packageDirs(t *testing.T) []string {
	t.Helper()
	dirs := append(publicPackageDirs(t), filepath.Join("cmd", "tikifake"), "redisstore")
	internal, err := filepath.Glob(filepath.Join("internal", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return append(dirs, internal...)
}

// Every package has its overview in doc.go, and only there, naming its
// parts; the root's names the event queue, the receivers and the fake.
func TestEveryPackageHasAnOverview(t *testing.T) {
	for _, dir := range packageDirs(t) {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		hasDoc := false
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case filepath.Base(name) == "doc.go" && f.Doc == nil:
				t.Errorf("%s has no package comment", name)
			case filepath.Base(name) == "doc.go":
				hasDoc = true
				if words := len(strings.Fields(f.Doc.Text())); words < 40 {
					t.Errorf("%s: the overview is %d words: name the package's parts", name, words)
				}
			case f.Doc != nil:
				t.Errorf("%s has a package comment: the overview belongs in doc.go", name)
			}
		}
		if !hasDoc {
			t.Errorf("%s has no doc.go", dir)
		}
	}

	overview := packageDoc(t, ".", "github.com/tikisdk/tiki").Doc
	for _, part := range []string{"EventQueue", "eventqueue", "tikinow", "ikitech", "ginee", "webhook", "dedupe",
		"tikitest", "cmd/tikifake", "redisstore", "Map", "V1", "V2", "Call"} {
		if !strings.Contains(overview, part) {
			t.Errorf("the root package's overview does not name %s", part)
		}
	}
}

// Every public package, and the redisstore module, has a runnable example
// (one with an Output comment), so that pkg.go.dev shows one that works.
func TestEveryPublicPackageHasARunnableExample(t *testing.T) {
	for _, dir := range append(publicPackageDirs(t), "redisstore") {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		var parsed []*ast.File
		for _, name := range files {
			f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			parsed = append(parsed, f)
		}
		runnable := 0
		for _, ex := range doc.Examples(parsed...) {
			if ex.Output != "" || ex.EmptyOutput {
				runnable++
			}
		}
		if runnable == 0 {
			t.Errorf("%s has no runnable example (an Example function with an // Output: comment)", dir)
		}
	}
}

// The README's first program is examples/first-program/main.go, as it is,
// so that `make examples` runs what the README shows.
func TestFirstProgramIsTheExample(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("examples", "first-program", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range readBlocks(t, "README.md") {
		if b.lang == "go" && packageClause.MatchString(b.code) && strings.Contains(b.code, "tikitest.Start(") {
			if b.code != string(example) {
				t.Errorf("%s: the first program differs from examples/first-program/main.go", b.where())
			}
			return
		}
	}
	t.Error("README.md has no first program (a package main that starts the fake with tikitest.Start)")
}

// The README's ways to depend on the SDK before a version is tagged work as
// written, on a module made from nothing: each block runs in a new
// directory, with TIKI set to this repository, and its program (the first
// program) confirms an order. The module proxy is not used: the
// dependencies come from the module cache.
func TestDependOnTheSDK(t *testing.T) {
	goTool := needGoTool(t, "builds a new module")
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not on PATH")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Depend on the SDK before a version is tagged\n")
	if !ok {
		t.Fatal("README.md has no section \"Depend on the SDK before a version is tagged\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var scripts []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		scripts = append(scripts, m[1])
	}
	if len(scripts) != 2 {
		t.Fatalf("the section has %d shell blocks, want 2 (a replace directive, a workspace)", len(scripts))
	}
	env := []string{"GOPROXY=off", "GOSUMDB=off", "GOFLAGS=", "GOWORK=", "GOTOOLCHAIN=local",
		"PATH=" + filepath.Dir(goTool) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains([]string{"GOPROXY", "GOSUMDB", "GOFLAGS", "GOWORK", "GOTOOLCHAIN", "PATH"}, k) {
			env = append(env, kv)
		}
	}
	tikiLine := regexp.MustCompile(`(?m)^TIKI=.*$`)
	for i, script := range scripts {
		if !tikiLine.MatchString(script) {
			t.Fatalf("block %d does not set TIKI", i+1)
		}
		script = "set -euo pipefail\n" + tikiLine.ReplaceAllString(script, "TIKI='"+root+"'")
		cmd := exec.Command(bash, "-c", script)
		cmd.Dir = t.TempDir()
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("block %d fails: %v\n%s", i+1, err, out)
			continue
		}
		if !strings.Contains(string(out), "confirmed; label: http://") {
			t.Errorf("block %d ran, but its program did not confirm an order:\n%s", i+1, out)
		}
	}
}
