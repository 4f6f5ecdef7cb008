package dates

import (
	"errors"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that every error carries a known
// reason, and that anything accepted is a real calendar date which reads back
// the same from both of its written forms.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"07/05/2016", "7/5/16", "2016-05-07", "05/2016", "2016-05", "2016",
		"29/02/2016", "29/02/2015", "31/02/2016", "khoảng 2016", "~05/2016",
		"", " 1.1.00 ", "99/99/9999", "2016--05", "７/５/２０１６",
	} {
		f.Add(s)
	}
	known := map[Reason]bool{ErrFormat: true, ErrDayOutOfRange: true, ErrMonthOutOfRange: true, ErrYear: true}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !known[e.Reason] {
				t.Fatalf("Parse(%q): unexpected error %T %v", s, err, err)
			}
			_ = err.Error()
			return
		}
		if d.IsZero() {
			return
		}
		if d.Year < MinYear || d.Year > MaxYear {
			t.Fatalf("Parse(%q) = %+v: year out of range", s, d)
		}
		switch d.Precision {
		case Day:
			tm := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
			if tm.Year() != d.Year || int(tm.Month()) != d.Month || tm.Day() != d.Day {
				t.Fatalf("Parse(%q) = %+v: not a calendar day", s, d)
			}
		case Month:
			if d.Month < 1 || d.Month > 12 || d.Day != 0 {
				t.Fatalf("Parse(%q) = %+v: bad month", s, d)
			}
		case Year:
			if d.Month != 0 || d.Day != 0 {
				t.Fatalf("Parse(%q) = %+v: year with parts", s, d)
			}
		default:
			t.Fatalf("Parse(%q) = %+v: no precision", s, d)
		}
		iso, err := ParseISO(d.ISO())
		plain := d
		plain.Estimated = false
		if err != nil || iso != plain {
			t.Fatalf("ParseISO(%q) = %+v, %v; want %+v", d.ISO(), iso, err, plain)
		}
		again, err := Parse(d.String())
		if err != nil || again != d || again.Compare(d) != 0 {
			t.Fatalf("Parse(%q) = %+v, %v; want %+v", d.String(), again, err, d)
		}
		b, err := d.MarshalJSON()
		var back Date
		if err != nil || back.UnmarshalJSON(b) != nil || back != plain {
			t.Fatalf("JSON %s of %+v read back as %+v", b, d, back)
		}
	})
}
