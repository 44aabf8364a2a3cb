package tiki

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Money is an amount in Vietnamese dong (VND), which has no minor unit.
//
// Tiki's current APIs write amounts as decimals ("price": 409000.00, or the
// string "409000.00"); older ones as integers. Money decodes every such form
// exactly, without going through a float, and refuses an amount with a
// fraction that is not zero (409000.5 is not a whole number of dong) with an
// *AmountError rather than rounding it. null and "" decode as zero. Money
// encodes as a JSON integer.
type Money int64

// AmountError reports an amount that cannot be a whole number of dong: it
// has a non-zero fraction, is not a number, or does not fit in an int64.
type AmountError struct {
	// Value is the amount as Tiki wrote it (cut to 40 bytes).
	Value string
	// Reason says what is wrong with it.
	Reason string
}

// Error describes the amount and what is wrong with it.
func (e *AmountError) Error() string {
	return fmt.Sprintf("tiki: amount %s %s", e.Value, e.Reason)
}

// UnmarshalJSON accepts a JSON number or a numeric string, with or without a
// fraction of zeros or an exponent, "" and null.
func (m *Money) UnmarshalJSON(b []byte) error {
	s, ok := flexScalar(b)
	if !ok {
		return &AmountError{Value: truncate(b), Reason: "is not a number"}
	}
	v, err := parseMoney(s)
	if err != nil {
		err.Value = truncate(b)
		return err
	}
	*m = Money(v)
	return nil
}

// MarshalJSON encodes m as a JSON integer.
func (m Money) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(m), 10), nil
}

// parseMoney parses a decimal amount exactly. The common forms ("409000",
// "409000.00") take the fast path; exponents and long fractions go through
// math/big.
func parseMoney(s string) (int64, *AmountError) {
	if s == "" {
		return 0, nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && !strings.ContainsAny(s, "eE") {
		if strings.Trim(frac, "0") != "" {
			if onlyDigits(frac) {
				return 0, &AmountError{Reason: "has a fraction: not a whole number of dong"}
			}
			return 0, &AmountError{Reason: "is not a number"}
		}
		if whole == "" || whole == "-" || whole == "+" {
			whole += "0"
		}
		v, err := strconv.ParseInt(whole, 10, 64)
		if err == nil && onlyDigits(frac) {
			return v, nil
		}
		if err != nil && !errorsIsRange(err) {
			return 0, &AmountError{Reason: "is not a number"}
		}
	}
	var r big.Rat
	if _, ok := r.SetString(s); !ok || strings.ContainsAny(s, "/xXpP_") {
		return 0, &AmountError{Reason: "is not a number"}
	}
	if !r.IsInt() {
		return 0, &AmountError{Reason: "has a fraction: not a whole number of dong"}
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, &AmountError{Reason: "does not fit in an int64"}
	}
	return n.Int64(), nil
}

func onlyDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// errorsIsRange reports whether err is strconv's out-of-range error.
func errorsIsRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// String formats m as an integer.
func (m Money) String() string { return strconv.FormatInt(int64(m), 10) }
