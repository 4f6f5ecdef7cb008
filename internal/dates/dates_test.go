package dates

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// at fixes "now" for the two-digit-year rule during one test.
func at(t *testing.T, now time.Time) {
	t.Helper()
	old := clock
	clock = func() time.Time { return now }
	t.Cleanup(func() { clock = old })
}

func exact(y, m, d int) Date { return Date{Year: y, Month: m, Day: d, Precision: Day} }
func month(y, m int) Date    { return Date{Year: y, Month: m, Precision: Month} }
func year(y int) Date        { return Date{Year: y, Precision: Year} }

func TestParseAcceptsHowPeopleWriteDates(t *testing.T) {
	at(t, time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
	est := func(d Date) Date { d.Estimated = true; return d }
	cases := []struct {
		in   string
		want Date
	}{
		{"07/05/2016", exact(2016, 5, 7)},
		{"7/5/2016", exact(2016, 5, 7)},
		{"07-05-2016", exact(2016, 5, 7)},
		{"07.05.2016", exact(2016, 5, 7)},
		{"  07 / 05 / 2016 ", exact(2016, 5, 7)},
		{"7/5/16", exact(2016, 5, 7)},
		{"07/05/26", exact(2026, 5, 7)},   // this year's two digits: still 20yy
		{"07/05/27", exact(1927, 5, 7)},   // past this year's two digits: 19yy
		{"1/1/00", exact(2000, 1, 1)},     // 00 is 2000
		{"31/12/99", exact(1999, 12, 31)}, // 99 is 1999
		{"2016-05-07", exact(2016, 5, 7)},
		{"2016-5-7", exact(2016, 5, 7)},
		{"2016/05/07", exact(2016, 5, 7)},
		{"05/2016", month(2016, 5)},
		{"5/2016", month(2016, 5)},
		{"5.2016", month(2016, 5)},
		{"2016-05", month(2016, 5)},
		{"2016", year(2016)},
		{"29/02/2016", exact(2016, 2, 29)}, // leap year
		{"29/02/2000", exact(2000, 2, 29)}, // divisible by 400: leap
		{"31/01/2016", exact(2016, 1, 31)},
		{"30/04/1975", exact(1975, 4, 30)},
		{"01/01/1900", exact(1900, 1, 1)},
		{"31/12/2100", exact(2100, 12, 31)},
		{"~2016", est(year(2016))},
		{"~ 05/2016", est(month(2016, 5))},
		{"khoảng 2016", est(year(2016))},
		{"Khoảng 2016", est(year(2016))},
		{"KHOẢNG 2016", est(year(2016))},
		{"khoang 2016", est(year(2016))},
		{"kho\u1ea3ng 03/2015", est(month(2015, 3))},
		{"khoa\u0309ng 2016", est(year(2016))}, // decomposed ả, as some keyboards send it
		{"", Date{}},
		{"   ", Date{}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestParseRejectsWithAReason(t *testing.T) {
	at(t, time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
	cases := []struct {
		in   string
		want Reason
	}{
		{"31/02/2016", ErrDayOutOfRange},
		{"30/02/2016", ErrDayOutOfRange},
		{"29/02/2015", ErrDayOutOfRange}, // common year
		{"29/02/1900", ErrDayOutOfRange}, // divisible by 100, not 400: common
		{"31/04/2016", ErrDayOutOfRange},
		{"32/01/2016", ErrDayOutOfRange},
		{"00/01/2016", ErrDayOutOfRange},
		{"2016-02-30", ErrDayOutOfRange},
		{"07/13/2016", ErrMonthOutOfRange},
		{"07/00/2016", ErrMonthOutOfRange},
		{"13/2016", ErrMonthOutOfRange},
		{"2016-13", ErrMonthOutOfRange},
		{"0/2016", ErrMonthOutOfRange},
		{"1899", ErrYear},
		{"07/05/1850", ErrYear},
		{"2101", ErrYear},
		{"9999-01-01", ErrYear},
		{"0000", ErrYear},
		{"abc", ErrFormat},
		{"16", ErrFormat},           // a bare two-digit year is too ambiguous
		{"05/16", ErrFormat},        // mm/yy could be dd/mm
		{"7/5/016", ErrFormat},      // three-digit year
		{"7/5/6", ErrFormat},        // one-digit year
		{"007/05/2016", ErrFormat},  // three-digit day
		{"07/05/2016/1", ErrFormat}, // too many parts
		{"07//2016", ErrFormat},     // empty part
		{"/05/2016", ErrFormat},     // empty part
		{"07 05 2016", ErrFormat},   // spaces are not separators
		{"07/05/2016 10:00", ErrFormat},
		{"７/５/２０１６", ErrFormat}, // full-width digits
		{"2016-05-07T00:00:00Z", ErrFormat},
		{"~", ErrFormat},
		{"khoảng", ErrFormat},
		{"+2016", ErrFormat},
		{"-2016", ErrFormat},
		{"20160507", ErrFormat},
	}
	for _, c := range cases {
		d, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want error %q", c.in, d, c.want)
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q): error %T is not *dates.Error", c.in, err)
			continue
		}
		if e.Reason != c.want || !errors.Is(err, c.want) {
			t.Errorf("Parse(%q): reason %q (%v), want %q", c.in, e.Reason, err, c.want)
		}
	}
}

func TestErrorsSayWhatIsWrong(t *testing.T) {
	cases := map[string]string{
		"31/02/2016": `"31/02/2016": February 2016 has 29 days, not 31`,
		"29/02/2015": `"29/02/2015": 2015 is not a leap year, so February has 28 days`,
		"07/13/2016": `"07/13/2016": month 13 does not exist, months run from 1 to 12`,
		"1850":       `"1850": year 1850 is out of range, years run from 1900 to 2100`,
		"hôm qua":    `"hôm qua" is not a date: write dd/mm/yyyy, mm/yyyy or yyyy`,
	}
	for in, want := range cases {
		_, err := Parse(in)
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) error = %v, want %s", in, err, want)
		}
	}
	_, err := Parse("31/02/2016")
	var e *Error
	errors.As(err, &e)
	if a := e.Args(); a["day"] != 31 || a["month"] != 2 || a["year"] != 2016 || a["max_day"] != 29 {
		t.Errorf("Args() = %v, want day 31, month 2, year 2016, max_day 29", a)
	}
}

func TestParseISOIsStrict(t *testing.T) {
	ok := map[string]Date{
		"2016-05-07": exact(2016, 5, 7),
		"2016-05":    month(2016, 5),
		"2016":       year(2016),
		"2016-02-29": exact(2016, 2, 29),
		"":           {},
	}
	for in, want := range ok {
		if got, err := ParseISO(in); err != nil || got != want {
			t.Errorf("ParseISO(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]Reason{
		"07/05/2016":  ErrFormat,
		"2016-5-7":    ErrFormat,
		"2016/05/07":  ErrFormat,
		" 2016":       ErrFormat,
		"~2016":       ErrFormat,
		"2016-05-7":   ErrFormat,
		"2016-0a-07":  ErrFormat,
		"2015-02-29":  ErrDayOutOfRange,
		"2016-00":     ErrMonthOutOfRange,
		"1899-12-31":  ErrYear,
		"2016-05-07 ": ErrFormat,
	}
	for in, want := range bad {
		if _, err := ParseISO(in); !errors.Is(err, want) {
			t.Errorf("ParseISO(%q) error = %v, want reason %q", in, err, want)
		}
	}
}

func TestFormsRoundTrip(t *testing.T) {
	cases := []struct {
		d            Date
		iso, display string
	}{
		{exact(2016, 5, 7), "2016-05-07", "07/05/2016"},
		{month(2016, 5), "2016-05", "05/2016"},
		{year(2016), "2016", "2016"},
		{Date{Year: 2016, Precision: Year, Estimated: true}, "2016", "~2016"},
		{Date{}, "", ""},
	}
	for _, c := range cases {
		if got := c.d.ISO(); got != c.iso {
			t.Errorf("%+v.ISO() = %q, want %q", c.d, got, c.iso)
		}
		if got := c.d.String(); got != c.display {
			t.Errorf("%+v.String() = %q, want %q", c.d, got, c.display)
		}
		if back, err := Parse(c.display); err != nil || back != c.d {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", c.display, back, err, c.d)
		}
	}
}

func TestJSONUsesTheStorageForm(t *testing.T) {
	type child struct {
		DOB Date `json:"dob"`
	}
	for d, want := range map[Date]string{
		exact(2016, 5, 7): `{"dob":"2016-05-07"}`,
		month(2016, 5):    `{"dob":"2016-05"}`,
		year(2016):        `{"dob":"2016"}`,
		{}:                `{"dob":null}`,
	} {
		b, err := json.Marshal(child{d})
		if err != nil || string(b) != want {
			t.Errorf("json of %+v = %s, %v; want %s", d, b, err, want)
		}
	}
	for in, want := range map[string]Date{
		`{"dob":"05/05/2016"}`:  exact(2016, 5, 5),
		`{"dob":"2016-05-05"}`:  exact(2016, 5, 5),
		`{"dob":"khoảng 2016"}`: {Year: 2016, Precision: Year, Estimated: true},
		`{"dob":""}`:            {},
		`{"dob":null}`:          {},
		`{}`:                    {},
	} {
		var c child
		if err := json.Unmarshal([]byte(in), &c); err != nil || c.DOB != want {
			t.Errorf("decode %s = %+v, %v; want %+v", in, c.DOB, err, want)
		}
	}
	var c child
	err := json.Unmarshal([]byte(`{"dob":"31/02/2016"}`), &c)
	if !errors.Is(err, ErrDayOutOfRange) {
		t.Errorf("decoding 31/02/2016: %v, want reason %q", err, ErrDayOutOfRange)
	}
	if err := json.Unmarshal([]byte(`{"dob":20160505}`), &c); !errors.Is(err, ErrFormat) {
		t.Errorf("decoding a number: %v, want reason %q", err, ErrFormat)
	}
}

func TestAgeOnCountsCompletedYears(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		dob  Date
		on   time.Time
		want int
	}{
		{exact(2010, 5, 7), day(2026, 5, 6), 15},
		{exact(2010, 5, 7), day(2026, 5, 7), 16}, // sixteenth birthday: no longer a child
		{exact(2016, 2, 29), day(2017, 2, 28), 0},
		{exact(2016, 2, 29), day(2017, 3, 1), 1},
		{exact(2016, 2, 29), day(2020, 2, 29), 4},
		{month(2010, 5), day(2026, 5, 1), 16}, // counted from 01/05/2010
		{month(2010, 5), day(2026, 4, 30), 15},
		{year(2010), day(2026, 1, 1), 16}, // counted from 01/01/2010
		{year(2010), day(2025, 12, 31), 15},
		{exact(2016, 5, 7), day(2016, 5, 7), 0},
		{exact(2016, 5, 7), day(2016, 5, 6), -1}, // not yet born
		{Date{}, day(2026, 1, 1), -1},
	}
	for _, c := range cases {
		if got := c.dob.AgeOn(c.on); got != c.want {
			t.Errorf("%s.AgeOn(%s) = %d, want %d", c.dob, c.on.Format("02/01/2006"), got, c.want)
		}
	}
}

func TestTodayIsInVietnam(t *testing.T) {
	// 18:30 UTC on 31 December is already 1 January in Hà Nội.
	now := time.Date(2025, 12, 31, 18, 30, 0, 0, time.UTC)
	if got, want := Today(now), exact(2026, 1, 1); got != want {
		t.Errorf("Today(%s) = %s, want %s", now, got, want)
	}
	now = time.Date(2025, 12, 31, 16, 59, 0, 0, time.UTC)
	if got, want := Today(now), exact(2025, 12, 31); got != want {
		t.Errorf("Today(%s) = %s, want %s", now, got, want)
	}
}

func TestTimeIsTheFirstPossibleDay(t *testing.T) {
	for d, want := range map[Date]string{
		exact(2016, 5, 7): "2016-05-07T00:00:00Z",
		month(2016, 5):    "2016-05-01T00:00:00Z",
		year(2016):        "2016-01-01T00:00:00Z",
	} {
		if got := d.Time().Format(time.RFC3339); got != want {
			t.Errorf("%s.Time() = %s, want %s", d, got, want)
		}
	}
	if !(Date{}).Time().IsZero() {
		t.Error("the unknown date's Time is not the zero Time")
	}
}

func TestCompareOrdersDates(t *testing.T) {
	est := year(2016)
	est.Estimated = true
	ordered := []Date{
		{},
		year(2015),
		exact(2015, 12, 31),
		year(2016),
		est,
		month(2016, 1),
		exact(2016, 1, 1),
		exact(2016, 1, 2),
		month(2016, 2),
		exact(2016, 5, 7),
	}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestParseDayWantsAnExactDay(t *testing.T) {
	got, err := ParseDay("07/05/2016")
	if err != nil || !got.Equal(time.Date(2016, 5, 7, 0, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("ParseDay(07/05/2016) = %v, %v", got, err)
	}
	for in, want := range map[string]Reason{
		"":            ErrEmpty,
		"05/2016":     ErrNotExact,
		"2016":        ErrNotExact,
		"~07/05/2016": ErrNotExact,
		"31/02/2016":  ErrDayOutOfRange,
		"soon":        ErrFormat,
	} {
		if _, err := ParseDay(in); !errors.Is(err, want) {
			t.Errorf("ParseDay(%q) error = %v, want reason %q", in, err, want)
		}
	}
}

func TestSwappedDayMonth(t *testing.T) {
	cases := []struct {
		a, b Date
		want bool
	}{
		{exact(2016, 5, 7), exact(2016, 7, 5), true},
		{exact(2016, 7, 5), exact(2016, 5, 7), true},
		{exact(2016, 5, 7), exact(2016, 5, 7), false}, // the same date is a match, not a swap
		{exact(2016, 5, 5), exact(2016, 5, 5), false}, // day equals month: nothing to swap
		{exact(2016, 5, 7), exact(2015, 7, 5), false}, // different year
		{exact(2016, 5, 7), exact(2016, 7, 6), false},
		{month(2016, 5), exact(2016, 7, 5), false},
		{exact(2016, 12, 1), exact(2016, 1, 12), true},
		{Date{}, Date{}, false},
	}
	for _, c := range cases {
		if got := SwappedDayMonth(c.a, c.b); got != c.want {
			t.Errorf("SwappedDayMonth(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
