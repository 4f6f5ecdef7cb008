package ident

import (
	"errors"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	cases := map[string]string{
		"0912345678":         "0912345678",
		"0912 345 678":       "0912345678",
		"0912.345.678":       "0912345678",
		"0912-345-678":       "0912345678",
		"+84912345678":       "0912345678",
		"+84 912 345 678":    "0912345678",
		"(+84) 912 345 678":  "0912345678",
		"+84 0912 345 678":   "0912345678", // the 0 kept after the country code
		"84912345678":        "0912345678",
		"0084 912 345 678":   "0912345678",
		"0386 123 456":       "0386123456",
		"0586123456":         "0586123456",
		"070 123 4567":       "0701234567",
		"0812345678":         "0812345678",
		"024 3826 4051":      "02438264051", // Hà Nội landline
		"(024) 3826 4051":    "02438264051",
		"+84 24 3826 4051":   "02438264051",
		"028.3829.5555":      "02838295555",
		"\t0912\u00a0345678": "0912345678",
	}
	for in, want := range cases {
		if got, err := NormalizePhone(in); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizePhoneRejectsWithAReason(t *testing.T) {
	cases := []struct {
		in   string
		want Reason
		msg  string
	}{
		{"", ErrEmpty, "phone number: nothing given"},
		{" () ", ErrEmpty, ""},
		{"abc", ErrFormat, ""},
		{"0912 345 67x", ErrFormat, ""},
		{"09+12345678", ErrFormat, ""},
		{"++84912345678", ErrFormat, ""},
		{"0912345678 ext 12", ErrFormat, ""},
		{"+1 415 555 0100", ErrPrefix, "phone number: only Vietnamese numbers (+84) are accepted"},
		{"0012025550100", ErrPrefix, ""},
		{"0112345678", ErrPrefix, "phone number: must start with 03, 05, 07, 08 or 09 (mobile) or 02 (landline)"},
		{"0412345678", ErrPrefix, ""}, // the old 04 landline, before 2017
		{"0612345678", ErrPrefix, ""},
		{"912345678", ErrPrefix, ""}, // the 0 left off
		{"111", ErrPrefix, ""},       // the hotline is not a personal number
		{"091234567", ErrLength, "phone number: a mobile number has 10 digits, found 9"},
		{"09123456789", ErrLength, ""},
		{"0243826405", ErrLength, "phone number: a landline number has 11 digits with its area code, found 10"},
		{"+84", ErrLength, ""},
		{"0", ErrLength, ""},
	}
	for _, c := range cases {
		got, err := NormalizePhone(c.in)
		var e *PhoneError
		if !errors.As(err, &e) || e.Reason != c.want || !errors.Is(err, c.want) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want reason %q", c.in, got, err, c.want)
			continue
		}
		if c.msg != "" && err.Error() != c.msg {
			t.Errorf("NormalizePhone(%q) error = %q, want %q", c.in, err, c.msg)
		}
	}
}
