package ident

import (
	"testing"
	"time"
)

// at fixes "now" for the future-birth-year check during one test.
func at(t *testing.T, now time.Time) {
	t.Helper()
	old := clock
	clock = func() time.Time { return now }
	t.Cleanup(func() { clock = old })
}

func TestParseSex(t *testing.T) {
	cases := map[string]Sex{
		"Nam": Male, "nam": Male, "NAM": Male, "male": Male, "Male": Male, "M": Male, "m": Male, " nam ": Male,
		"bé trai": Male, "boy": Male,
		"Nữ": Female, "nữ": Female, "NỮ": Female, "nu": Female, "Nu": Female, "female": Female, "F": Female, "f": Female,
		"N\u01b0\u0303": Female, // "Nữ" decomposed
		"bé gái":        Female, "girl": Female,
		"": SexUnknown, "  ": SexUnknown, "không rõ": SexUnknown,
	}
	for in, want := range cases {
		got, err := ParseSex(in)
		if err != nil || got != want {
			t.Errorf("ParseSex(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"1", "0", "2", "x", "nam nữ", "namnu", "other"} {
		if got, err := ParseSex(in); err != ErrSex {
			t.Errorf("ParseSex(%q) = %v, %v; want ErrSex", in, got, err)
		}
	}
	if Male.String() != "male" || Female.String() != "female" || SexUnknown.String() != "" {
		t.Error("Sex.String does not give the API codes male, female and \"\"")
	}
}
