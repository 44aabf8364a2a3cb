package tiki

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// The options rule of the package is stated in its documentation (see the
// package comment): nil options are the zero options (zeroIfNil), zero
// fields are not sent, non-nil pointers are. Each options type checks
// itself in its validate method; encodeQuery turns it into query parameters
// from the url tags of its fields.

// zeroIfNil returns a copy of *opts, or the zero options when opts is nil:
// the one nil-options rule of the package. Working on a copy also keeps the
// caller's options unchanged.
func zeroIfNil[T any](opts *T) T {
	if opts == nil {
		var zero T
		return zero
	}
	return *opts
}

// encodeQuery returns the query parameters of opts, a struct or a pointer to
// one (nil gives no parameters), read from the url tags of its fields:
//
//	Name  string   `url:"name,omitempty"` // name=...; left out when ""
//	Flag  *bool    `url:"primary,int"`    // primary=1 or 0; left out when nil
//	Codes []string `url:"code,omitempty"` // code=a,b (comma-joined)
//
// The tag's first part is the parameter name; "-", an untagged field and an
// unexported field are skipped; an embedded struct without a tag (such as
// ListOptions) adds its own fields. The options after the name are:
//
//   - omitempty: leave the parameter out when the field is its type's zero
//     value ("", 0, false, nil list, zero Time or Filter) or its text is
//     empty (an empty list, a list of one "");
//   - int: send a bool as 1 or 0 rather than true or false.
//
// A nil pointer is always left out; a non-nil pointer sends the value it
// points to, zero or not. Values are sent as Tiki reads them: strings (and
// string types) as they are, integers in decimal, bools as true/false, a
// Time in Tiki's "2006-01-02 15:04:05" Vietnam time (Time.String), a Filter
// as its set expression (Filter.String), a list comma-joined.
func encodeQuery(opts any) url.Values {
	q := url.Values{}
	v := reflect.ValueOf(opts)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return q
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		addFields(q, v)
	}
	return q
}

// addFields adds the tagged fields of the struct v to q.
func addFields(q url.Values, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, tagged := f.Tag.Lookup("url")
		if f.Anonymous && !tagged && f.Type.Kind() == reflect.Struct {
			addFields(q, v.Field(i))
			continue
		}
		if !f.IsExported() || !tagged || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		omitEmpty, asInt := false, false
		for opts != "" {
			var o string
			o, opts, _ = strings.Cut(opts, ",")
			switch o {
			case "omitempty":
				omitEmpty = true
			case "int":
				asInt = true
			}
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
			omitEmpty = false
		}
		if omitEmpty && fv.IsZero() {
			continue
		}
		s := formatValue(fv, asInt)
		if omitEmpty && s == "" {
			continue
		}
		q.Set(name, s)
	}
}

// formatValue returns the text of one parameter value.
func formatValue(v reflect.Value, boolAsInt bool) string {
	if v.Kind() == reflect.Struct && v.CanInterface() {
		// Time and Filter: their String method is their wire form.
		if s, ok := v.Interface().(interface{ String() string }); ok {
			return s.String()
		}
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		if boolAsInt {
			return strconv.Itoa(boolInt(v.Bool()))
		}
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i), boolAsInt)
		}
		return strings.Join(parts, ",")
	}
	// Only the kinds above are used in the package's options types; the
	// query tests check every tagged field of every options type.
	return ""
}
