package ident

import (
	"errors"
	"testing"
)

// FuzzParsePID checks that ParsePID never panics, that errors are *PIDError,
// and that an accepted number reads back the same from its 12 digits.
func FuzzParsePID(f *testing.F) {
	for _, s := range []string{"001315012345", "001 315 012 345", "097315012345", "00131501234", "00131501234A", "001915012345", "", "０01315012345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePID(s)
		if err != nil {
			var e *PIDError
			if !errors.As(err, &e) {
				t.Fatalf("ParsePID(%q): error %T is not *PIDError", s, err)
			}
			_ = err.Error()
			return
		}
		c := p.String()
		if len(c) != 12 || !allDigits(c) || !pidProvinces[p.Province] || p.Sex == SexUnknown {
			t.Fatalf("ParsePID(%q) = %+v, canonical %q", s, p, c)
		}
		again, err := ParsePID(c)
		if err != nil || again != p {
			t.Fatalf("ParsePID(%q) = %+v, %v; want %+v", c, again, err, p)
		}
	})
}

// FuzzParseCard checks that ParseCard never panics, that errors are
// *CardError, and that an accepted card reads back the same from its
// canonical form.
func FuzzParseCard(f *testing.F) {
	for _, s := range []string{"TE1790123456789", "te 1 79 0123456789", "0123456789", "001315012345", "TE6790123456789", "TÉ1790123456789", "TE1000123456789", "097315012345", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCard(s)
		if err != nil {
			var e *CardError
			if !errors.As(err, &e) {
				t.Fatalf("ParseCard(%q): error %T is not *CardError", s, err)
			}
			_ = err.Error()
			return
		}
		switch c.Form {
		case FormCard15:
			if len(c.String()) != 15 || c.Level < 1 || c.Level > 5 || len(c.Number) != 10 {
				t.Fatalf("ParseCard(%q) = %+v", s, c)
			}
		case FormBHXH10:
			if len(c.Number) != 10 {
				t.Fatalf("ParseCard(%q) = %+v", s, c)
			}
		case FormPID12:
			if _, err := ParsePID(c.Number); err != nil {
				t.Fatalf("ParseCard(%q) = %+v, but the number is not a personal ID: %v", s, c, err)
			}
		default:
			t.Fatalf("ParseCard(%q) = %+v: no form", s, c)
		}
		again, err := ParseCard(c.String())
		if err != nil || again != c {
			t.Fatalf("ParseCard(%q) = %+v, %v; want %+v", c.String(), again, err, c)
		}
	})
}

// FuzzNormalizePhone checks that NormalizePhone never panics, that errors are
// *PhoneError, and that its output is a well-formed number it leaves alone.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912345678", "+84 912 345 678", "(+84) 0912.345.678", "84912345678", "024 3826 4051", "+1 415 555 0100", "091234567", "0412345678", "", "+", "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizePhone(s)
		if err != nil {
			var e *PhoneError
			if !errors.As(err, &e) {
				t.Fatalf("NormalizePhone(%q): error %T is not *PhoneError", s, err)
			}
			_ = err.Error()
			return
		}
		mobile := len(n) == 10 && n[0] == '0' && n[1] != '2' && allDigits(n)
		landline := len(n) == 11 && n[:2] == "02" && allDigits(n)
		if !mobile && !landline {
			t.Fatalf("NormalizePhone(%q) = %q: neither a mobile nor a landline", s, n)
		}
		again, err := NormalizePhone(n)
		if err != nil || again != n {
			t.Fatalf("NormalizePhone(%q) = %q, %v; want it unchanged", n, again, err)
		}
	})
}
