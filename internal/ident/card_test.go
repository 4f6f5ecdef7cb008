package ident

import (
	"errors"
	"testing"
)

func TestParseCardInAllThreeForms(t *testing.T) {
	at(t, march2026)
	te := Card{Form: FormCard15, Type: "TE", Level: 1, Province: "79", Number: "0123456789"}
	cases := []struct {
		in    string
		want  Card
		canon string
	}{
		{"TE1790123456789", te, "TE1790123456789"},
		{"te1790123456789", te, "TE1790123456789"},
		{"TE 1 79 0123456789", te, "TE1790123456789"},
		{"TE-1-79-012-345-6789", te, "TE1790123456789"},
		{" Te1 79 01234 56789 ", te, "TE1790123456789"},
		{"HS4010123456789", Card{Form: FormCard15, Type: "HS", Level: 4, Province: "01", Number: "0123456789"}, "HS4010123456789"},
		{"ZZ3990000000001", Card{Form: FormCard15, Type: "ZZ", Level: 3, Province: "99", Number: "0000000001"}, "ZZ3990000000001"},
		{"0123456789", Card{Form: FormBHXH10, Number: "0123456789"}, "0123456789"},
		{"01 2345 6789", Card{Form: FormBHXH10, Number: "0123456789"}, "0123456789"},
		{"001315012345", Card{Form: FormPID12, Number: "001315012345"}, "001315012345"},
		{"001 315 012 345", Card{Form: FormPID12, Number: "001315012345"}, "001315012345"},
	}
	for _, c := range cases {
		got, err := ParseCard(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseCard(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		if s := got.String(); s != c.canon {
			t.Errorf("%+v.String() = %q, want %q", got, s, c.canon)
		}
	}
}

func TestParseCardRejectsWithAReason(t *testing.T) {
	at(t, march2026)
	cases := []struct {
		in   string
		want Reason
	}{
		{"", ErrEmpty},
		{" - ", ErrEmpty},
		{"TE179012345678", ErrLength},   // 14 characters
		{"TE17901234567890", ErrLength}, // 16
		{"012345678", ErrLength},        // 9 digits
		{"01234567890", ErrLength},      // 11 digits: neither a BHXH nor a personal ID number
		{"T11790123456789", ErrFormat},  // type must be two letters
		{"1E1790123456789", ErrFormat},
		{"TÉ1790123456789", ErrFormat},
		{"TE/1790123456789", ErrFormat},
		{"TE0790123456789", ErrLevel},
		{"TE6790123456789", ErrLevel},
		{"TEA790123456789", ErrLevel},
		{"TE1000123456789", ErrProvince},
		{"TE1A90123456789", ErrProvince},
		{"TE17901234567X9", ErrDigits},
		{"097315012345", ErrProvince}, // 12 digits that are not a personal ID number
		{"00131501234A", ErrLength},   // letters in a number: not 15 characters either
	}
	for _, c := range cases {
		got, err := ParseCard(c.in)
		var e *CardError
		if !errors.As(err, &e) || e.Reason != c.want || !errors.Is(err, c.want) {
			t.Errorf("ParseCard(%q) = %+v, %v; want reason %q", c.in, got, err, c.want)
		}
	}
	_, err := ParseCard("097315012345")
	var pe *PIDError
	if !errors.As(err, &pe) || pe.Province != "097" {
		t.Errorf("a 12-digit card number with a bad province does not carry the personal-ID error: %v", err)
	}
	want := "health-insurance card number: a number alone must have 10 digits (social-insurance number) or 12 (personal ID number), found 11"
	if _, err := ParseCard("01234567890"); err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestKnownCardTypes(t *testing.T) {
	if !(Card{Type: "TE"}).KnownType() {
		t.Error("TE (child under 6) is not a known beneficiary type")
	}
	if (Card{Type: "ZZ"}).KnownType() {
		t.Error("ZZ is taken for a known beneficiary type")
	}
	for code := range cardTypes {
		if len(code) != 2 || !isUpper(code[0]) || !isUpper(code[1]) {
			t.Errorf("beneficiary type %q is not two capital letters", code)
		}
	}
}
