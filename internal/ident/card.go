package ident

import (
	"errors"
	"fmt"
	"strings"
)

// The forms a health-insurance card number comes in.
const (
	FormCard15 = "card15" // the printed 15-character code: TE 1 79 0123456789
	FormBHXH10 = "bhxh10" // the 10-digit social-insurance number (mã số BHXH) alone
	FormPID12  = "pid12"  // the 12-digit personal identification number, which newer cards are looked up by
)

// Card is a health-insurance card number (mã thẻ BHYT) in one of its three
// forms. The 15-character form is laid down by Quyết định 1351/QĐ-BHXH
// (16/11/2015): beneficiary type, benefit level, issuing province, then the
// 10-digit social-insurance number. Since the social-insurance number and,
// later, the personal ID number identify the card on their own, those forms
// are accepted too.
type Card struct {
	Form     string // FormCard15, FormBHXH10 or FormPID12
	Type     string // card15: beneficiary type, 2 letters ("TE" child under 6)
	Level    int    // card15: benefit level (mức hưởng) 1–5
	Province string // card15: 2-digit code of the issuing province
	Number   string // 10-digit social-insurance number, or the 12-digit personal ID number for pid12
}

// String returns the canonical form: 15 characters without spaces
// ("TE1790123456789") for card15, the bare digits otherwise.
func (c Card) String() string {
	if c.Form == FormCard15 {
		return fmt.Sprintf("%s%d%s%s", c.Type, c.Level, c.Province, c.Number)
	}
	return c.Number
}

// KnownType reports whether c's beneficiary type is in the list of
// Quyết định 1351/QĐ-BHXH. ParseCard accepts any two letters, because BHXH
// adds codes when the law adds groups and a valid card must not be refused
// for a code this list has not learned yet; callers may use KnownType to warn.
func (c Card) KnownType() bool { return cardTypes[c.Type] }

// cardTypes are the beneficiary-type codes (mã đối tượng) of Quyết định
// 1351/QĐ-BHXH, grouped as the decision groups who pays. Later amendments
// may have added codes: treat the list as a hint, not a rule.
var cardTypes = map[string]bool{
	// paid by employee and employer
	"DN": true, "HX": true, "CH": true, "NN": true, "TK": true, "HC": true, "XK": true,
	// paid by the social-insurance fund
	"HT": true, "TB": true, "NO": true, "CT": true, "XB": true, "TN": true, "CS": true,
	// paid by the state budget
	"QN": true, "CA": true, "CY": true, "XN": true, "MS": true, "CC": true, "CK": true,
	"CB": true, "KC": true, "HD": true, "TE": true, "BT": true, "HN": true, "DT": true,
	"DK": true, "XD": true, "TS": true, "TC": true, "TQ": true, "TA": true, "TY": true,
	"HG": true, "LS": true, "PV": true,
	// contribution part-paid by the state budget
	"CN": true, "HS": true, "SV": true, "GB": true,
	// by household
	"GD": true,
}

// ParseCard reads a health-insurance card number in any of its forms.
// Spaces, dots and dashes are ignored and letters may be in either case.
// A 12-digit number must be a valid personal ID number. Errors are
// *CardError with reason ErrEmpty, ErrLength, ErrFormat, ErrDigits, ErrLevel
// or ErrProvince (a pid12 failure carries the *PIDError too).
func ParseCard(s string) (Card, error) {
	n := strings.ToUpper(strip(s, ".-"))
	if n == "" {
		return Card{}, &CardError{Reason: ErrEmpty}
	}
	for i := 0; i < len(n); i++ {
		if !isUpper(n[i]) && (n[i] < '0' || n[i] > '9') {
			return Card{}, &CardError{Reason: ErrFormat}
		}
	}
	if allDigits(n) {
		switch len(n) {
		case 10:
			return Card{Form: FormBHXH10, Number: n}, nil
		case 12:
			if _, err := ParsePID(n); err != nil {
				var pe *PIDError
				errors.As(err, &pe)
				return Card{}, &CardError{Reason: pe.Reason, PID: pe}
			}
			return Card{Form: FormPID12, Number: n}, nil
		}
		return Card{}, &CardError{Reason: ErrLength, Length: len(n), Digits: true}
	}
	if len(n) != 15 {
		return Card{}, &CardError{Reason: ErrLength, Length: len(n)}
	}
	if !isUpper(n[0]) || !isUpper(n[1]) {
		return Card{}, &CardError{Reason: ErrFormat, Part: "type"}
	}
	c := Card{Form: FormCard15, Type: n[:2], Province: n[3:5], Number: n[5:]}
	if n[2] < '1' || n[2] > '5' {
		return Card{}, &CardError{Reason: ErrLevel, Part: "level"}
	}
	c.Level = int(n[2] - '0')
	if !allDigits(c.Province) || c.Province == "00" {
		return Card{}, &CardError{Reason: ErrProvince, Part: "province"}
	}
	if !allDigits(c.Number) {
		return Card{}, &CardError{Reason: ErrDigits, Part: "number"}
	}
	return c, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// CardError says why a health-insurance card number was rejected. It unwraps
// to its Reason (and to PID when there is one). The number is not kept.
type CardError struct {
	Reason Reason
	Length int       // ErrLength: characters found
	Digits bool      // ErrLength: the input was all digits (so 10 or 12 was meant)
	Part   string    // card15: the part that is wrong: "type", "level", "province", "number"
	PID    *PIDError // pid12: why the personal ID number is not valid
}

func (e *CardError) Unwrap() []error {
	if e.PID != nil {
		return []error{e.Reason, e.PID}
	}
	return []error{e.Reason}
}

// Args returns the details of e by name, for a translated message.
func (e *CardError) Args() map[string]any {
	a := map[string]any{}
	if e.Reason == ErrLength {
		a["length"] = e.Length
	}
	if e.Part != "" {
		a["part"] = e.Part
	}
	if e.PID != nil {
		for k, v := range e.PID.Args() {
			a[k] = v
		}
	}
	return a
}

func (e *CardError) Error() string {
	const what = "health-insurance card number"
	switch {
	case e.PID != nil:
		return what + ": 12 digits should be a personal ID number, but " + e.PID.Error()
	case e.Reason == ErrEmpty:
		return what + ": nothing given"
	case e.Reason == ErrLength && e.Digits:
		return fmt.Sprintf("%s: a number alone must have 10 digits (social-insurance number) or 12 (personal ID number), found %d", what, e.Length)
	case e.Reason == ErrLength:
		return fmt.Sprintf("%s: the card code has 15 characters (like TE1790123456789), found %d", what, e.Length)
	case e.Reason == ErrFormat && e.Part == "":
		return what + ": only letters and digits are allowed"
	case e.Part == "type":
		return what + ": must start with two letters, the beneficiary type (like TE)"
	case e.Part == "level":
		return what + ": the third character is the benefit level and must be 1 to 5"
	case e.Part == "province":
		return what + ": the fourth and fifth characters are the province code and must be two digits (01–99)"
	case e.Part == "number":
		return what + ": the last 10 characters are the social-insurance number and must be digits"
	}
	return what + ": " + e.Reason.Error()
}
