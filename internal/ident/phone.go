package ident

import (
	"fmt"
	"strings"
)

// NormalizePhone turns a Vietnamese phone number as people write it into
// its national form, "0912345678". Spaces, dots, dashes and parentheses are
// ignored; an international prefix +84, 0084 or 84 replaces the leading 0
// ("+84 912 345 678", and the common "+84 0912 345 678"). Accepted are
// mobiles, 10 digits starting 03, 05, 07, 08 or 09 (the prefixes since the
// 2018 renumbering), and landlines, 11 digits starting 02 ("024 3826 4051").
// Errors are *PhoneError with reason ErrEmpty, ErrFormat, ErrPrefix or
// ErrLength.
func NormalizePhone(s string) (string, error) {
	n := strip(s, ".-()")
	if n == "" {
		return "", &PhoneError{Reason: ErrEmpty}
	}
	plus := strings.HasPrefix(n, "+")
	if plus {
		n = n[1:]
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return "", &PhoneError{Reason: ErrFormat}
		}
	}
	switch {
	case plus || strings.HasPrefix(n, "00"):
		n = strings.TrimPrefix(n, "00")
		if !strings.HasPrefix(n, "84") {
			return "", &PhoneError{Reason: ErrPrefix, Foreign: true}
		}
		n = national(n[2:])
	case strings.HasPrefix(n, "84"):
		// A national number starts with 0, so a leading 84 can only be the
		// country code written without the plus.
		n = national(n[2:])
	}
	switch {
	case n == "":
		return "", &PhoneError{Reason: ErrLength}
	case n[0] != '0':
		return "", &PhoneError{Reason: ErrPrefix, Length: len(n)}
	case len(n) < 2:
		return "", &PhoneError{Reason: ErrLength, Length: len(n)}
	}
	switch p := n[1]; {
	case p == '3' || p == '5' || p == '7' || p == '8' || p == '9':
		if len(n) != 10 {
			return "", &PhoneError{Reason: ErrLength, Length: len(n), Mobile: true}
		}
	case p == '2':
		if len(n) != 11 {
			return "", &PhoneError{Reason: ErrLength, Length: len(n), Landline: true}
		}
	default:
		return "", &PhoneError{Reason: ErrPrefix, Length: len(n)}
	}
	return n, nil
}

// national puts the 0 back on a number written after the country code,
// unless the writer kept it.
func national(n string) string {
	if strings.HasPrefix(n, "0") {
		return n
	}
	return "0" + n
}

// PhoneError says why a phone number was rejected. It unwraps to its
// Reason. The number is not kept.
type PhoneError struct {
	Reason   Reason
	Length   int  // digits found, in national form
	Mobile   bool // ErrLength: the prefix is a mobile one (10 digits expected)
	Landline bool // ErrLength: the prefix is a landline one (11 digits expected)
	Foreign  bool // ErrPrefix: a country code other than 84
}

func (e *PhoneError) Unwrap() error { return e.Reason }

// Args returns the details of e by name, for a translated message.
func (e *PhoneError) Args() map[string]any {
	return map[string]any{"length": e.Length, "mobile": e.Mobile, "landline": e.Landline, "foreign": e.Foreign}
}

func (e *PhoneError) Error() string {
	const what = "phone number"
	switch {
	case e.Reason == ErrEmpty:
		return what + ": nothing given"
	case e.Reason == ErrFormat:
		return what + ": only digits, spaces, dots, dashes, parentheses and a leading + are allowed"
	case e.Foreign:
		return what + ": only Vietnamese numbers (+84) are accepted"
	case e.Reason == ErrPrefix:
		return what + ": must start with 03, 05, 07, 08 or 09 (mobile) or 02 (landline)"
	case e.Mobile:
		return fmt.Sprintf("%s: a mobile number has 10 digits, found %d", what, e.Length)
	case e.Landline:
		return fmt.Sprintf("%s: a landline number has 11 digits with its area code, found %d", what, e.Length)
	case e.Reason == ErrLength:
		return fmt.Sprintf("%s: too short, found %d digits", what, e.Length)
	}
	return what + ": " + e.Reason.Error()
}
