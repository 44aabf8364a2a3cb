package tiki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/tikisdk/tiki/internal/redact"
)

// Money is an amount in Vietnamese dong (VND), which has no minor unit.
//
// Tiki's current APIs write amounts as decimals ("price": 409000.00, or the
// string "409000.00"); older ones as integers. Money decodes them exactly,
// without going through a float, and accepts exactly:
//
//   - a JSON number: 409000, 409000.00, -5500.00, 4.09e5;
//   - a JSON string holding a decimal: an optional sign (+ or -), digits,
//     an optional fraction (a point and digits) and an optional exponent
//     (e or E, an optional sign, digits): "409000", "409000.00", "+1e3";
//   - null, which decodes as zero: no amount.
//
// A number and a string follow one rule: the value must be a whole number
// of dong that fits in an int64. A fraction or an exponent is allowed when
// the value is whole: 409000.00, 4.09e5 and 1e3 (a thousand) are amounts;
// 409000.5 and 1e-3 are not. Anything else is refused with an
// *AmountError, never read as zero or rounded: a fraction that is not
// zero, a string without digits ("", ".", "-."), white space, base
// prefixes ("0x10", "0b101", "0o17"), digit separators, booleans, objects
// and arrays.
//
// A call whose answer holds an amount Money refuses fails as a whole (see
// AmountError). Money encodes as a JSON integer.
type Money int64

// Percent is a percentage as Tiki writes it: 5 is five percent, and it may
// have a fraction (5.5). It decodes under Money's grammar (a JSON number, a
// JSON string holding a decimal, or null for zero) without the
// whole-number rule, and refuses everything else with an *AmountError. It
// encodes as a JSON number.
type Percent float64

// AmountError reports a number in Tiki's answer that cannot be the amount
// (Money) or percentage (Percent) its field holds: it is not a number, has
// a fraction that is not zero (409000.50 is not a whole number of dong), or
// does not fit.
//
// The SDK never uses such an answer in part: a call whose answer holds one
// fails with a *DecodeError wrapping the *AmountError, whose Field names
// where it is, and the DecodeError's Body keeps the answer for inspection.
// An event of the event queue with one does not decode (Event.Decode
// returns an *EventDecodeError wrapping it), and the event keeps its raw
// JSON; the other events of its batch are not affected.
type AmountError struct {
	// Field is where the amount is, as a path of JSON names from the
	// answer's top: "items[0].invoice.price", "data[3].price",
	// "payload.price_to". It is empty when a value was decoded on its own
	// (json.Unmarshal into a Money).
	Field string
	// Value is the amount as Tiki wrote it, quotes included (cut to 40
	// bytes). In the error of a call, the client's secrets are masked in
	// what Tiki wrote before it is cut.
	Value string
	// Reason says what is wrong with it.
	Reason string

	raw quote
}

// newAmountError is the *AmountError of the JSON text b.
func newAmountError(b []byte, reason string) *AmountError {
	return &AmountError{Value: truncate(b), Reason: reason, raw: quote{b}}
}

// maskQuote takes Value anew from the quoted text with red's secrets
// masked.
func (e *AmountError) maskQuote(red *redact.Redactor) { e.raw.mask(red, &e.Value) }

// Error names the field, the amount and what is wrong with it.
func (e *AmountError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("tiki: %s: amount %s %s", e.Field, e.Value, e.Reason)
	}
	return fmt.Sprintf("tiki: amount %s %s", e.Value, e.Reason)
}

// Reasons of an AmountError.
const (
	reasonNotANumber = "is not a number"
	reasonFraction   = "has a fraction: not a whole number of dong"
	reasonTooLarge   = "does not fit in an int64"
)

// UnmarshalJSON accepts the forms described on Money.
func (m *Money) UnmarshalJSON(b []byte) error {
	d, isNull, err := scanAmount(b)
	if err != nil {
		return err
	}
	if isNull {
		*m = 0
		return nil
	}
	v, reason := d.whole()
	if reason != "" {
		return newAmountError(b, reason)
	}
	*m = Money(v)
	return nil
}

// MarshalJSON encodes m as a JSON integer.
func (m Money) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(m), 10), nil
}

// String formats m as an integer.
func (m Money) String() string { return strconv.FormatInt(int64(m), 10) }

// UnmarshalJSON accepts the forms described on Percent.
func (p *Percent) UnmarshalJSON(b []byte) error {
	d, isNull, err := scanAmount(b)
	if err != nil {
		return err
	}
	if isNull {
		*p = 0
		return nil
	}
	// The text is a decimal that the grammar checked, which ParseFloat
	// reads as written: only its range can fail. A value too small for a
	// float64 is zero.
	f, _ := strconv.ParseFloat(string(d.text), 64)
	if math.IsInf(f, 0) {
		return newAmountError(b, "does not fit in a float64")
	}
	*p = Percent(f)
	return nil
}

// scanAmount reads b as Money and Percent accept it: null, a JSON number,
// or a JSON string holding a decimal. Anything else is an *AmountError.
func scanAmount(b []byte) (d decimal, isNull bool, err error) {
	b = bytes.Trim(b, " \t\r\n") // JSON's white space around a value
	text, quoted := b, false
	switch {
	case string(b) == "null":
		return decimal{}, true, nil
	case len(b) > 0 && b[0] == '"':
		s, ok := unquoteJSON(b)
		if !ok {
			return decimal{}, false, newAmountError(b, reasonNotANumber)
		}
		text, quoted = s, true
	}
	d, ok := parseDecimal(text, !quoted)
	if !ok {
		return decimal{}, false, newAmountError(b, reasonNotANumber)
	}
	return d, false, nil
}

// decimal is a number as parseDecimal read it: its text, sign, integer and
// fraction digits, and exponent.
type decimal struct {
	text      []byte
	neg       bool
	int, frac []byte
	// exp is the exponent, saturated at ±maxExp: a larger one cannot
	// change what whole makes of the number.
	exp int64
}

// maxExp bounds the exponents decimal keeps. An int64 has 19 digits, so an
// exponent beyond the number of digits written plus 19 decides the value
// alone; maxExp is far beyond any body the client reads (64 MiB).
const maxExp = 1 << 40

// parseDecimal reads s under the grammar Money and Percent share:
//
//	decimal  = [sign] digits ["." digits] [("e" / "E") [sign] digits]
//	sign     = "+" / "-"
//	digits   = 1*("0" / "1" / "2" / "3" / "4" / "5" / "6" / "7" / "8" / "9")
//
// jsonNumber holds s to the JSON number grammar besides: no "+" sign and no
// leading zero before another digit (encoding/json checks that on a whole
// document, but not on bytes handed to UnmarshalJSON directly).
func parseDecimal(s []byte, jsonNumber bool) (decimal, bool) {
	d := decimal{text: s}
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		if s[i] == '+' && jsonNumber {
			return decimal{}, false
		}
		d.neg = s[i] == '-'
		i++
	}
	start := i
	i = skipDigits(s, i)
	if i == start || (jsonNumber && s[start] == '0' && i-start > 1) {
		return decimal{}, false
	}
	d.int = s[start:i]
	if i < len(s) && s[i] == '.' {
		start = i + 1
		i = skipDigits(s, start)
		if i == start {
			return decimal{}, false
		}
		d.frac = s[start:i]
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			neg = s[i] == '-'
			i++
		}
		start = i
		i = skipDigits(s, start)
		if i == start {
			return decimal{}, false
		}
		for _, c := range s[start:i] {
			d.exp = min(d.exp*10+int64(c-'0'), maxExp)
		}
		if neg {
			d.exp = -d.exp
		}
	}
	return d, i == len(s)
}

func skipDigits(s []byte, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// whole returns the value of d when it is a whole number that fits in an
// int64, or why not. The digits are read as one run (integer digits, then
// fraction digits) times ten to the power exp minus the number of fraction
// digits: the run's last digits below the point must be zeros.
func (d decimal) whole() (int64, string) {
	n := len(d.int) + len(d.frac)
	digit := func(j int) byte {
		if j < len(d.int) {
			return d.int[j]
		}
		return d.frac[j-len(d.int)]
	}
	first := 0
	for first < n && digit(first) == '0' {
		first++
	}
	if first == n {
		return 0, "" // zero, whatever the exponent
	}
	// The value is the digits [first, n) times 10^scale.
	scale := d.exp - int64(len(d.frac))
	end := n
	if scale < 0 {
		if -scale > int64(n-first) {
			return 0, reasonFraction // a non-zero digit is below the point
		}
		end = n + int(scale)
		for j := end; j < n; j++ {
			if digit(j) != '0' {
				return 0, reasonFraction
			}
		}
		scale = 0
	}
	if int64(end-first)+scale > 19 {
		return 0, reasonTooLarge
	}
	var u uint64
	for j := first; j < end; j++ {
		u = u*10 + uint64(digit(j)-'0')
	}
	for ; scale > 0; scale-- {
		u *= 10
	}
	// 19 digits never overflow a uint64; the int64 range is checked here.
	switch {
	case d.neg && u <= 1<<63:
		return int64(-u), "" // -(1<<63) wraps to math.MinInt64, as it should
	case !d.neg && u <= math.MaxInt64:
		return int64(u), ""
	}
	return 0, reasonTooLarge
}

// amountPath returns the path, in JSON names, of the first amount in the
// JSON document b that decode refuses with an *AmountError, or "" when it
// cannot tell. decode decodes a document into a new value each time, as
// the failed decoding did.
//
// It narrows b down one level at a time: it decodes documents holding
// only one member of an object (or one element of an array) on the path
// found so far, in their order in b, and follows the first that still
// fails with an *AmountError. Decoding stops at the first error, in the
// order of the document, so that member holds the amount that failed. It
// runs only after a decoding failed, so that decoding itself never pays
// for paths.
func amountPath(b []byte, decode func([]byte) error) string {
	var steps []pathStep
	sub := b
	for {
		next, ok := narrow(steps, sub, decode)
		if !ok {
			break
		}
		steps = append(steps, next.step)
		sub = next.value
	}
	var path strings.Builder
	for _, s := range steps {
		switch {
		case !s.isKey:
			path.WriteString("[" + strconv.Itoa(s.index) + "]")
		default:
			if path.Len() > 0 {
				path.WriteByte('.')
			}
			path.WriteString(s.key)
		}
	}
	return path.String()
}

// pathStep is one step of a path: an object member's key or an array
// index.
type pathStep struct {
	isKey bool
	key   string
	index int
}

// member is one member of an object or element of an array, with the step
// that leads to it.
type member struct {
	step  pathStep
	value json.RawMessage
}

// narrow returns the member of the object or array sub, at the end of
// steps, that alone makes decode fail with an *AmountError.
func narrow(steps []pathStep, sub []byte, decode func([]byte) error) (member, bool) {
	members, ok := members(sub)
	if !ok {
		return member{}, false
	}
	var ae *AmountError
	for _, m := range members {
		if errors.As(decode(prune(append(steps[:len(steps):len(steps)], m.step), m.value)), &ae) {
			return m, true
		}
	}
	return member{}, false
}

// members lists the members of the JSON object b, or the elements of the
// JSON array b, in order; ok is false for any other value.
func members(b []byte) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	open, _ := tok.(json.Delim)
	if open != '{' && open != '[' {
		return nil, false
	}
	var out []member
	for i := 0; dec.More(); i++ {
		step := pathStep{index: i}
		if open == '{' {
			tok, err := dec.Token()
			if step.key, step.isKey = tok.(string); err != nil || !step.isKey {
				return nil, false
			}
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return nil, false
		}
		out = append(out, member{step: step, value: v})
	}
	return out, true
}

// prune returns the document that holds value at the end of steps and
// nothing else: {"items":[{"invoice":{"price":409000.50}}]}.
func prune(steps []pathStep, value []byte) []byte {
	var b []byte
	for _, s := range steps {
		if !s.isKey {
			b = append(b, '[')
			continue
		}
		key, _ := json.Marshal(s.key) // a string always encodes
		b = append(append(append(b, '{'), key...), ':')
	}
	b = append(b, value...)
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].isKey {
			b = append(b, '}')
		} else {
			b = append(b, ']')
		}
	}
	return b
}

// withAmountPath fills in the Field of the *AmountError in err, when there
// is one without it, by finding the amount in the document b (see
// amountPath), with prefix before the path found. It returns err.
func withAmountPath(err error, b []byte, prefix string, decode func([]byte) error) error {
	var ae *AmountError
	if decode == nil || !errors.As(err, &ae) || ae.Field != "" {
		return err
	}
	if path := amountPath(b, decode); path != "" {
		ae.Field = prefix + path
	}
	return err
}

// decodeAnew returns a function that decodes a document into a new value
// of the type out points to, as Client.finish decodes a body into out; nil
// when out is not a pointer.
func decodeAnew(out any) func([]byte) error {
	t := reflect.TypeOf(out)
	if t == nil || t.Kind() != reflect.Pointer {
		return nil
	}
	return func(b []byte) error {
		v := reflect.New(t.Elem()).Interface()
		if d, ok := v.(bodyDecoder); ok {
			return d.decodeBody(b)
		}
		return json.Unmarshal(b, v)
	}
}
