package ident

import (
	"errors"
	"testing"
	"time"

	"treem/internal/dates"
)

var march2026 = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func TestParsePIDTakesTheNumberApart(t *testing.T) {
	at(t, march2026)
	cases := []struct {
		in   string
		want PID
	}{
		// A girl born in 2015 whose birth was registered in Hà Nội.
		{"001315012345", PID{Province: "001", Century: 20, Sex: Female, YearOfBirth: 2015, Serial: "012345"}},
		{"001 315 012 345", PID{Province: "001", Century: 20, Sex: Female, YearOfBirth: 2015, Serial: "012345"}},
		{"001.315.012.345", PID{Province: "001", Century: 20, Sex: Female, YearOfBirth: 2015, Serial: "012345"}},
		{"079216000001", PID{Province: "079", Century: 20, Sex: Male, YearOfBirth: 2016, Serial: "000001"}},
		{"096085999999", PID{Province: "096", Century: 19, Sex: Male, YearOfBirth: 1985, Serial: "999999"}},
		{"038190123456", PID{Province: "038", Century: 19, Sex: Female, YearOfBirth: 1990, Serial: "123456"}},
		{"046226000000", PID{Province: "046", Century: 20, Sex: Male, YearOfBirth: 2026, Serial: "000000"}}, // born this year
	}
	for _, c := range cases {
		got, err := ParsePID(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParsePID(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		if s := got.String(); s != strip(c.in, ".") {
			t.Errorf("%+v.String() = %q, want %q", got, s, strip(c.in, "."))
		}
	}
}

func TestParsePIDRejectsWithAReason(t *testing.T) {
	at(t, march2026)
	cases := []struct {
		in   string
		want Reason
		msg  string
	}{
		{"", ErrEmpty, "personal ID number: nothing given"},
		{"00131501234", ErrLength, "personal ID number: must have 12 digits, found 11"},
		{"0013150123456", ErrLength, ""},
		{"00131501234A", ErrDigits, `personal ID number: only digits are allowed, found 'A'`},
		{"097315012345", ErrProvince, "personal ID number: starts with 097, which is not a province code (001–096)"},
		{"000315012345", ErrProvince, ""},
		{"003315012345", ErrProvince, ""}, // 03 was never a province code
		{"001227012345", ErrCentury, "personal ID number: encodes a birth year of 2027, which is in the future"},
		{"001415012345", ErrCentury, ""}, // 4: the 2100s
		{"001915012345", ErrCentury, ""}, // 9: the 2300s
	}
	for _, c := range cases {
		_, err := ParsePID(c.in)
		var e *PIDError
		if !errors.As(err, &e) || e.Reason != c.want || !errors.Is(err, c.want) {
			t.Errorf("ParsePID(%q) error = %v, want reason %q", c.in, err, c.want)
			continue
		}
		if c.msg != "" && err.Error() != c.msg {
			t.Errorf("ParsePID(%q) error = %q, want %q", c.in, err, c.msg)
		}
	}
}

func TestEveryOldProvinceCodeIsKnown(t *testing.T) {
	at(t, march2026)
	if len(pidProvinces) != 63 {
		t.Fatalf("%d province codes, want the 63 provinces before the 2025 merger", len(pidProvinces))
	}
	for code := range pidProvinces {
		if _, err := ParsePID(code + "315012345"); err != nil {
			t.Errorf("province %s: %v", code, err)
		}
	}
}

func TestCheckPIDAgainstTheRecord(t *testing.T) {
	at(t, march2026)
	dob := func(s string) dates.Date {
		d, err := dates.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	const girl2015 = "001315012345"
	ok := []struct {
		dob dates.Date
		sex Sex
	}{
		{dob("07/05/2015"), Female},
		{dob("05/2015"), Female},
		{dob("2015"), Female},
		{dob("khoảng 2015"), Female},
		{dates.Date{}, Female},          // year unknown: not checked
		{dob("07/05/2015"), SexUnknown}, // sex unknown: not checked
		{dates.Date{}, SexUnknown},
	}
	for _, c := range ok {
		if _, err := CheckPID(girl2015, c.dob, c.sex); err != nil {
			t.Errorf("CheckPID(girl born 2015, %s, %v): %v", c.dob, c.sex, err)
		}
	}
	bad := []struct {
		dob  dates.Date
		sex  Sex
		want Reason
		msg  string
	}{
		{dob("07/05/2016"), Male, ErrYearMismatch,
			"personal ID number encodes a girl born in 2015, but the record says a boy born in 2016"},
		{dob("07/05/2016"), Female, ErrYearMismatch,
			"personal ID number encodes a girl born in 2015, but the record says a girl born in 2016"},
		{dob("07/05/2015"), Male, ErrSexMismatch,
			"personal ID number encodes a girl born in 2015, but the record says a boy born in 2015"},
		{dates.Date{}, Male, ErrSexMismatch,
			"personal ID number encodes a girl born in 2015, but the record says a boy"},
		{dob("2016"), SexUnknown, ErrYearMismatch,
			"personal ID number encodes a girl born in 2015, but the record says born in 2016"},
		{dob("~2016"), SexUnknown, ErrYearMismatch,
			"personal ID number encodes a girl born in 2015, but the record says born in about 2016"},
		{dob("07/05/1915"), Female, ErrYearMismatch, ""}, // same two digits, other century
	}
	for _, c := range bad {
		p, err := CheckPID(girl2015, c.dob, c.sex)
		var e *PIDError
		if !errors.As(err, &e) || e.Reason != c.want {
			t.Errorf("CheckPID(girl born 2015, %s, %v) error = %v, want reason %q", c.dob, c.sex, err, c.want)
			continue
		}
		if p.YearOfBirth != 2015 {
			t.Errorf("CheckPID mismatch: the parsed number was not returned alongside the error: %+v", p)
		}
		if c.msg != "" && err.Error() != c.msg {
			t.Errorf("CheckPID(girl born 2015, %s, %v) error =\n %q, want\n %q", c.dob, c.sex, err, c.msg)
		}
	}
	_, err := CheckPID(girl2015, dob("2016"), Male)
	var e *PIDError
	errors.As(err, &e)
	if !e.YearDiffers || !e.SexDiffers || e.EncodedYear != 2015 || e.RecordYear != 2016 ||
		e.EncodedSex != Female || e.RecordSex != Male {
		t.Errorf("mismatch details = %+v, want both year (2015 vs 2016) and sex (female vs male) differing", e)
	}
	if a := e.Args(); a["encoded_sex"] != "female" || a["record_year"] != 2016 {
		t.Errorf("Args() = %v", a)
	}
	if _, err := CheckPID("097315012345", dob("2015"), Female); !errors.Is(err, ErrProvince) {
		t.Errorf("CheckPID of an unknown province: %v, want reason %q", err, ErrProvince)
	}
}
