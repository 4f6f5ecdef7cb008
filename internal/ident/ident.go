// Package ident reads and checks the identifiers a record about a child
// carries: sex, the personal identification number (số định danh cá nhân),
// the health-insurance card (thẻ BHYT), phone numbers and ethnic group
// (dân tộc). Everything here is pure: no database, no network.
//
// Errors carry a stable Reason for programs and translation, and the details
// a person needs to fix the input. They never echo a whole identifier, so
// they are safe to log.
package ident

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Reason is the stable, machine-readable cause of a rejection ("ident."+reason
// is a natural i18n key). A Reason is itself an error, so
// errors.Is(err, ident.ErrProvince) works on every error this package returns.
type Reason string

// The reasons an identifier is rejected.
const (
	ErrEmpty        Reason = "empty"         // nothing given
	ErrLength       Reason = "length"        // wrong number of digits or characters
	ErrDigits       Reason = "digits"        // a character other than a digit where digits belong
	ErrFormat       Reason = "format"        // the shape is wrong (letters where digits belong, stray symbols)
	ErrProvince     Reason = "province"      // no such province code
	ErrCentury      Reason = "century"       // the number encodes a birth year in the future
	ErrYearMismatch Reason = "year_mismatch" // year of birth differs from the record's
	ErrSexMismatch  Reason = "sex_mismatch"  // sex differs from the record's
	ErrLevel        Reason = "level"         // health-insurance benefit level not 1–5
	ErrPrefix       Reason = "prefix"        // not a Vietnamese mobile or landline prefix
	ErrSex          Reason = "sex"           // not a recognisable sex
)

var reasonText = map[Reason]string{
	ErrEmpty:        "nothing given",
	ErrLength:       "wrong length",
	ErrDigits:       "only digits are allowed",
	ErrFormat:       "wrong format",
	ErrProvince:     "unknown province code",
	ErrCentury:      "encodes a birth year in the future",
	ErrYearMismatch: "year of birth does not match the record",
	ErrSexMismatch:  "sex does not match the record",
	ErrLevel:        "benefit level must be 1 to 5",
	ErrPrefix:       "not a Vietnamese mobile or landline number",
	ErrSex:          "sex must be male (nam) or female (nữ)",
}

func (r Reason) Error() string {
	if t, ok := reasonText[r]; ok {
		return "ident: " + t
	}
	return "ident: " + string(r)
}

// key folds s for matching: lowercase, no diacritics, đ → d, and only the
// letters and digits kept, so "H'Mông", "Hmong" and "hmông" all give "hmong".
func key(s string) string { return strings.Join(words(s), "") }

// words splits the folded form of s at anything that is not a letter or digit.
func words(s string) []string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a tone mark or vowel hat
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

// ascii removes diacritics from s but keeps case and punctuation:
// "Khơ-me" → "Kho-me", "Đắk" → "Dak".
func ascii(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
		case r == 'Đ':
			b.WriteByte('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// strip removes the separators people type inside numbers.
func strip(s, seps string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(seps, r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
