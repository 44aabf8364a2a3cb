package tiki

// Small helpers shared by the endpoint files: argument checks that add to a
// validator, and conversions. Each exists once, here.

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// firstNonNil returns the first of ps that is not nil, or nil.
func firstNonNil[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

// deref returns *s, or "" when s is nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkID returns a *ValidationError when id is not a positive id.
func checkID(field string, id int64) error {
	if id <= 0 {
		return &ValidationError{Problems: []FieldProblem{{Field: field, Problem: "must be a positive id"}}}
	}
	return nil
}

// itoa formats an id for a request path.
func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// boolInt returns 1 for true and 0 for false.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkRange refuses a time range whose end comes before its start.
func checkRange(v *validator, fromField string, from Time, toField string, to Time) {
	if !from.IsZero() && !to.IsZero() && to.Before(from.Time) {
		v.add(toField, "must not be before %s", fromField)
	}
}

// checkRangeOrder refuses a range whose start is after its end.
func checkRangeOrder(v *validator, field string, from, to Time) {
	v.check(from.IsZero() || to.IsZero() || !from.After(to.Time), field, "must not be after its end")
}

// checkValueList refuses values that would break a comma-separated
// parameter. An empty value is allowed only alone (it then sends nothing).
func checkValueList(v *validator, field string, values []string) {
	if len(values) == 1 && values[0] == "" {
		return
	}
	for i, s := range values {
		name := field
		if len(values) > 1 {
			name = fmt.Sprintf("%s[%d]", field, i)
		}
		v.check(strings.TrimSpace(s) != "" && s == strings.TrimSpace(s) && !strings.ContainsAny(s, ",|"),
			name, "must be a value without commas, bars or surrounding spaces")
	}
}

// checkURLs refuses empty entries of a list of URLs.
func checkURLs(v *validator, field string, urls []string) {
	for i, u := range urls {
		v.check(strings.TrimSpace(u) != "", field+"["+strconv.Itoa(i)+"]", "must not be empty")
	}
}

// checkSellerWarehouse accepts "" or comma-separated positive ids, spaces
// allowed ("1034, 1015").
func checkSellerWarehouse(v *validator, field, s string) {
	if s == "" {
		return
	}
	for _, part := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil || id <= 0 {
			v.add(field, "must be comma-separated warehouse ids, like \"1034,1015\"")
			return
		}
	}
}

// joinQuoted quotes values and joins them with ", ", for the allowed
// values in a validation message.
func joinQuoted[T ~string](values ...T) string {
	q := make([]string, len(values))
	for i, s := range values {
		q[i] = strconv.Quote(string(s))
	}
	return strings.Join(q, ", ")
}

// checkText refuses a required text value that is empty, or that starts or
// ends with white space (it would be sent as it is, and name nothing on
// Tiki). It reports whether s passed.
func checkText(v *validator, field, s string) bool {
	switch {
	case strings.TrimSpace(s) == "":
		v.add(field, "is required")
		return false
	case strings.TrimSpace(s) != s:
		v.add(field, "must not start or end with white space")
		return false
	}
	return true
}

// segment checks a caller's string that becomes one segment of a request
// path (a request id, a track id, an order code, a SKU) and returns it
// escaped. It refuses what checkText refuses, and "." and "..", which
// url.PathEscape leaves as they are and which would change the path's
// meaning. Every string path segment is built through it.
func segment(v *validator, field, s string) string {
	if !checkText(v, field, s) {
		return ""
	}
	if s == "." || s == ".." {
		v.add(field, "must not be %q", s)
		return ""
	}
	return url.PathEscape(s)
}

// firstNonEmpty returns the first of ss that is not "", or "".
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// checkExpression checks a filter written as one of Tiki's set expressions
// ("a", "in|a,b" or "nin|a,b"): each value must be a known value of T
// (see checkEnum). An empty expression sends nothing.
func checkExpression[T ~string](v *validator, field string, expr T) {
	if expr == "" {
		return
	}
	list := string(expr)
	if op, rest, ok := strings.Cut(list, "|"); ok && (op == "in" || op == "nin") {
		list = rest
	}
	values := strings.Split(list, ",")
	for i, val := range values {
		name := field
		if len(values) > 1 {
			name += "[" + strconv.Itoa(i) + "]"
		}
		checkEnum(v, name, T(val))
	}
}
