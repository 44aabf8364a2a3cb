package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"unicode"

	"github.com/tikisdk/tiki"
)

// format is an output format: a table for people, JSON or CSV for scripts.
type format string

const (
	formatTable format = "table"
	formatJSON  format = "json"
	formatCSV   format = "csv"
)

// formats lists the output formats.
var formats = []string{string(formatTable), string(formatJSON), string(formatCSV)}

func validFormat(s string) bool { return slices.Contains(formats, s) }

// column is one column of a table or CSV file of T.
type column[T any] struct {
	// name is the CSV header: the field's JSON name in the SDK's type, a
	// dotted path for a nested field ("invoice.grand_total").
	name string
	// header is the table's header.
	header string
	// value renders the field of a row.
	value func(*T) string
}

// list writes rows of T as a table (aligned columns), a CSV file (a header,
// then one row per object) or a JSON array of the objects themselves (the
// SDK's types, with their JSON field names), streaming: JSON and CSV rows
// are written as they come.
type list[T any] struct {
	f      format
	w      io.Writer
	stderr io.Writer
	cols   []column[T]
	noun   string // plural, for the message of an empty table: "orders"
	tw     *tabwriter.Writer
	cw     *csv.Writer
	n      int
}

// newList starts a list of rows of T in the run's format, on stdout.
func newList[T any](a *app, cols []column[T], noun string) *list[T] {
	return newListTo(a.env.Stdout, a.env.Stderr, a.format(), cols, noun)
}

// newListTo starts a list of rows of T in format f on w.
func newListTo[T any](w, stderr io.Writer, f format, cols []column[T], noun string) *list[T] {
	l := &list[T]{f: f, w: w, stderr: stderr, cols: cols, noun: noun}
	switch l.f {
	case formatTable:
		l.tw = tabwriter.NewWriter(l.w, 0, 4, 2, ' ', 0)
	case formatCSV:
		l.cw = csv.NewWriter(l.w)
	}
	return l
}

// add writes one row.
func (l *list[T]) add(v *T) error {
	l.n++
	switch l.f {
	case formatJSON:
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if l.n == 1 {
			sep = "[\n  "
		}
		_, err = fmt.Fprintf(l.w, "%s%s", sep, b)
		return err
	case formatCSV:
		if l.n == 1 {
			if err := l.cw.Write(names(l.cols)); err != nil {
				return err
			}
		}
		row := make([]string, len(l.cols))
		for i, c := range l.cols {
			row[i] = c.value(v)
		}
		if err := l.cw.Write(row); err != nil {
			return err
		}
		l.cw.Flush()
		return l.cw.Error()
	default:
		if l.n == 1 {
			fmt.Fprintln(l.tw, strings.Join(headers(l.cols), "\t"))
		}
		row := make([]string, len(l.cols))
		for i, c := range l.cols {
			row[i] = cell(c.value(v))
		}
		_, err := fmt.Fprintln(l.tw, strings.Join(row, "\t"))
		return err
	}
}

// close ends the list: the JSON array's bracket, the table's alignment, and
// a CSV header even when there was no row. An empty table prints nothing on
// stdout and says so on stderr.
func (l *list[T]) close() error {
	switch l.f {
	case formatJSON:
		end := "\n]\n"
		if l.n == 0 {
			end = "[]\n"
		}
		_, err := io.WriteString(l.w, end)
		return err
	case formatCSV:
		if l.n == 0 {
			if err := l.cw.Write(names(l.cols)); err != nil {
				return err
			}
		}
		l.cw.Flush()
		return l.cw.Error()
	default:
		if l.n == 0 {
			fmt.Fprintf(l.stderr, "No %s.\n", l.noun)
			return nil
		}
		return l.tw.Flush()
	}
}

// writeList writes rows as a list on stdout.
func writeList[T any](a *app, cols []column[T], noun string, rows []T) error {
	return writeRows(newList(a, cols, noun), rows)
}

// writeRows adds rows to a list and closes it.
func writeRows[T any](l *list[T], rows []T) error {
	for i := range rows {
		if err := l.add(&rows[i]); err != nil {
			return err
		}
	}
	return l.close()
}

// writeOne writes one object: as JSON (the object itself), as CSV (a
// header and one row), or as a table of one field a line; extra, when not
// nil, adds sections to the table (an order's items).
func writeOne[T any](a *app, v *T, cols []column[T], extra func(w io.Writer) error) error {
	switch a.format() {
	case formatJSON:
		return writeJSON(a.env.Stdout, v)
	case formatCSV:
		l := newList(a, cols, "")
		if err := l.add(v); err != nil {
			return err
		}
		return l.close()
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	for _, c := range cols {
		fmt.Fprintf(tw, "%s:\t%s\n", c.header, cell(c.value(v)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if extra != nil {
		return extra(a.env.Stdout)
	}
	return nil
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func names[T any](cols []column[T]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

func headers[T any](cols []column[T]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.header
	}
	return out
}

// cell makes text from Tiki safe for a table on a terminal: control
// characters (tabs, line breaks, escape sequences) become spaces; an empty
// value is "-".
func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// itoa renders an integer.
func itoa[N ~int | ~int64](n N) string { return strconv.FormatInt(int64(n), 10) }

// ids renders a list of ids, comma-separated.
func ids(list []int64) string {
	parts := make([]string, len(list))
	for i, id := range list {
		parts[i] = itoa(id)
	}
	return strings.Join(parts, ",")
}

// yesNo renders a flag.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// when renders a time as Tiki writes it ("" for none).
func when(t tiki.Time) string { return t.String() }

// stream prints objects as they come (events, deliveries): with -o json
// one JSON object a line, with -o csv a header then a row each, as a table
// one line each (a table cannot be aligned before its last row).
type stream struct {
	a      *app
	header []string // the CSV header
	mu     sync.Mutex
	cw     *csv.Writer
	n      int
}

// emit prints one object: v as JSON, row as CSV, line in a table.
func (s *stream) emit(v any, row []string, line string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	w := s.a.env.Stdout
	switch s.a.format() {
	case formatJSON:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case formatCSV:
		if s.cw == nil {
			s.cw = csv.NewWriter(w)
			if err := s.cw.Write(s.header); err != nil {
				return err
			}
		}
		if err := s.cw.Write(row); err != nil {
			return err
		}
		s.cw.Flush()
		return s.cw.Error()
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// count returns how many objects were printed.
func (s *stream) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}
