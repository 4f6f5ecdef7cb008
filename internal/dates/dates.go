// Package dates reads and writes calendar dates the way people in Vietnam
// write them (day first: 07/05/2016), with partial precision: a child's date
// of birth is often known only to the month or the year, and is sometimes an
// estimate ("khoảng 2016").
//
// A Date has no time of day and no time zone. The storage and API form is
// ISO 8601 (2016-05-07, 2016-05, 2016); the display form is day first
// (07/05/2016, 05/2016, 2016).
package dates

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Precision says how much of a Date is known.
type Precision uint8

// Precisions. The zero Precision belongs only to the zero (unknown) Date.
const (
	Day   Precision = iota + 1 // day, month and year known
	Month                      // month and year known; Day is 0
	Year                       // only the year known; Month and Day are 0
)

func (p Precision) String() string {
	switch p {
	case Day:
		return "day"
	case Month:
		return "month"
	case Year:
		return "year"
	}
	return ""
}

// The years a Date may hold. Records go back to the grandparents of today's
// children; anything past MaxYear is a typing slip, not a plan.
const (
	MinYear = 1900
	MaxYear = 2100
)

// Date is a calendar date that may be partial. The zero Date means unknown.
// Parts below the precision are 0, so two Dates are equal (==) exactly when
// they mean the same thing.
type Date struct {
	Year, Month, Day int
	Precision        Precision
	// Estimated marks a date the family or officer guessed. It is not part
	// of ISO or JSON: store it in a field of its own.
	Estimated bool
}

// vietnam is Indochina Time, UTC+7 all year: Vietnam has no daylight saving.
var vietnam = time.FixedZone("ICT", 7*60*60)

// clock gives "now" for the two-digit-year rule; tests replace it.
var clock = time.Now

// Today returns the calendar day it is in Vietnam at the instant now.
func Today(now time.Time) Date {
	y, m, d := now.In(vietnam).Date()
	return Date{Year: y, Month: int(m), Day: d, Precision: Day}
}

// Parse reads a date as people type it. Spaces around the text and around
// separators are ignored; the separators /, - and . are interchangeable.
// Accepted shapes:
//
//	dd/mm/yyyy, d/m/yyyy   07/05/2016, 7.5.2016
//	d/m/yy                 7/5/16 (00 up to this year's two digits → 20yy, else 19yy)
//	yyyy-mm-dd             2016-05-07
//	mm/yyyy, m/yyyy        05/2016, 5-2016
//	yyyy-mm                2016-05
//	yyyy                   2016
//
// A leading "~" or "khoảng" (about) marks the date Estimated. Empty input is
// the zero Date with no error: an unknown date is allowed, whether it is
// required is the caller's rule. Errors are *Error.
func Parse(s string) (Date, error) {
	in := strings.TrimSpace(norm.NFC.String(s))
	if in == "" {
		return Date{}, nil
	}
	rest, est := cutEstimated(in)
	d, err := parseParts(rest, in)
	if err != nil {
		return Date{}, err
	}
	d.Estimated = est
	return d, nil
}

// estimatePrefixes are the ways people mark a guessed date, lowercase.
var estimatePrefixes = []string{"~", "khoảng", "khoang"}

func cutEstimated(s string) (string, bool) {
	for _, p := range estimatePrefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return strings.TrimSpace(s[len(p):]), true
		}
	}
	return s, false
}

// parseParts reads the date in s; in is the whole input, for error reports.
func parseParts(s, in string) (Date, error) {
	bad := &Error{Reason: ErrFormat, Input: in}
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '/' || c == '-' || c == '.' {
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	parts = append(parts, strings.TrimSpace(s[start:]))
	if len(parts) > 3 {
		return Date{}, bad
	}
	nums := make([]int, len(parts))
	lens := make([]int, len(parts))
	for i, p := range parts {
		n, ok := digits(p)
		if !ok || len(p) > 4 {
			return Date{}, bad
		}
		nums[i], lens[i] = n, len(p)
	}
	short := func(i int) bool { return lens[i] == 1 || lens[i] == 2 }
	var y, m, d int
	switch {
	case len(parts) == 1 && lens[0] == 4:
		y = nums[0]
	case len(parts) == 2 && short(0) && lens[1] == 4:
		m, y = nums[0], nums[1]
	case len(parts) == 2 && lens[0] == 4 && short(1):
		y, m = nums[0], nums[1]
	case len(parts) == 3 && lens[0] == 4 && short(1) && short(2):
		y, m, d = nums[0], nums[1], nums[2]
	case len(parts) == 3 && short(0) && short(1) && lens[2] == 4:
		d, m, y = nums[0], nums[1], nums[2]
	case len(parts) == 3 && short(0) && short(1) && lens[2] == 2:
		d, m, y = nums[0], nums[1], expandYear(nums[2])
	default:
		return Date{}, bad
	}
	return build(y, m, d, len(parts), in)
}

// expandYear turns a two-digit year into a full one. These are mostly
// children's dates, so the recent century wins: up to this year's two digits
// means 20yy, the rest 19yy.
func expandYear(yy int) int {
	if yy <= Today(clock()).Year%100 {
		return 2000 + yy
	}
	return 1900 + yy
}

// digits reads a non-empty run of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// build checks the parts and makes a Date with the precision given by how
// many parts were written (3 day, 2 month, 1 year).
func build(y, m, d, parts int, in string) (Date, error) {
	if y < MinYear || y > MaxYear {
		return Date{}, &Error{Reason: ErrYear, Input: in, Year: y, Month: m, Day: d}
	}
	if parts >= 2 && (m < 1 || m > 12) {
		return Date{}, &Error{Reason: ErrMonthOutOfRange, Input: in, Year: y, Month: m, Day: d}
	}
	if parts == 3 {
		if max := daysIn(y, m); d < 1 || d > max {
			return Date{}, &Error{Reason: ErrDayOutOfRange, Input: in, Year: y, Month: m, Day: d, MaxDay: max}
		}
	}
	switch parts {
	case 3:
		return Date{Year: y, Month: m, Day: d, Precision: Day}, nil
	case 2:
		return Date{Year: y, Month: m, Precision: Month}, nil
	}
	return Date{Year: y, Precision: Year}, nil
}

// daysIn returns the number of days in month m of year y (Gregorian).
func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// ParseISO reads the storage form exactly: "2016-05-07", "2016-05" or
// "2016", zero-padded, nothing else. Empty input is the zero Date. Errors
// are *Error, with the same reasons as Parse.
func ParseISO(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	bad := &Error{Reason: ErrFormat, Input: s}
	var y, m, d int
	var ok bool
	parts := 1
	switch len(s) {
	case 10:
		if s[7] != '-' {
			return Date{}, bad
		}
		if d, ok = digits(s[8:10]); !ok {
			return Date{}, bad
		}
		parts++
		fallthrough
	case 7:
		if s[4] != '-' {
			return Date{}, bad
		}
		if m, ok = digits(s[5:7]); !ok {
			return Date{}, bad
		}
		parts++
		fallthrough
	case 4:
		if y, ok = digits(s[:4]); !ok {
			return Date{}, bad
		}
	default:
		return Date{}, bad
	}
	return build(y, m, d, parts, s)
}

// ParseDay reads an exact day (the date a support was given, a visit, …)
// in any shape Parse accepts, and returns it as UTC midnight. Empty input,
// a month, a year or an estimate are errors.
func ParseDay(s string) (time.Time, error) {
	d, err := Parse(s)
	if err != nil {
		return time.Time{}, err
	}
	in := strings.TrimSpace(s)
	if d.IsZero() {
		return time.Time{}, &Error{Reason: ErrEmpty, Input: in}
	}
	if d.Precision != Day || d.Estimated {
		return time.Time{}, &Error{Reason: ErrNotExact, Input: in, Year: d.Year, Month: d.Month}
	}
	return d.Time(), nil
}

// IsZero reports whether d is unknown.
func (d Date) IsZero() bool { return d == Date{} }

// ISO returns the storage form: "2016-05-07", "2016-05", "2016"; "" for the
// zero Date. Estimated is not part of it.
func (d Date) ISO() string {
	switch d.Precision {
	case Day:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	case Month:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	case Year:
		return fmt.Sprintf("%04d", d.Year)
	}
	return ""
}

// String returns the display form: "07/05/2016", "05/2016", "2016"; "" for
// the zero Date. An estimate starts with "~" so that Parse reads it back the
// same; screens translate that to "khoảng".
func (d Date) String() string {
	var s string
	switch d.Precision {
	case Day:
		s = fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
	case Month:
		s = fmt.Sprintf("%02d/%04d", d.Month, d.Year)
	case Year:
		s = fmt.Sprintf("%04d", d.Year)
	default:
		return ""
	}
	if d.Estimated {
		s = "~" + s
	}
	return s
}

// Time returns the first possible day of d at midnight UTC: 2016-05 gives
// 2016-05-01, 2016 gives 2016-01-01. The zero Date gives the zero Time.
func (d Date) Time() time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return time.Date(d.Year, time.Month(max(d.Month, 1)), max(d.Day, 1), 0, 0, 0, 0, time.UTC)
}

// AgeOn returns the completed years from d to the calendar day of t (read in
// t's own location). A partial date counts from its first possible day, so a
// child born "2016" is taken to be as old as they could be, which errs
// towards protection when an age limit such as 16 applies. It returns -1 when
// d is unknown or t is before d.
func (d Date) AgeOn(t time.Time) int {
	if d.IsZero() {
		return -1
	}
	y, m, day := t.Date()
	b := d.Time()
	age := y - b.Year()
	if m < b.Month() || (m == b.Month() && day < b.Day()) {
		age-- // birthday not reached yet this year; 29 February counts from 1 March
	}
	if age < 0 {
		return -1
	}
	return age
}

// Compare orders dates by their first possible day, then the less precise
// first (2016 < 05/2016 < 01/05/2016), then exact before estimated; the zero
// Date comes first. It returns 0 only when d == o.
func (d Date) Compare(o Date) int {
	for _, p := range [...][2]int{
		{d.Year, o.Year},
		{max(d.Month, 1), max(o.Month, 1)},
		{max(d.Day, 1), max(o.Day, 1)},
		{-int(d.Precision), -int(o.Precision)}, // Year (3) before Month (2) before Day (1)
		{b2i(d.Estimated), b2i(o.Estimated)},
		{d.Month, o.Month}, // only differ for malformed Dates; keeps Compare==0 iff ==
		{d.Day, o.Day},
	} {
		if p[0] != p[1] {
			if p[0] < p[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// MarshalJSON writes d in the storage form as a JSON string ("2016-05-07",
// "2016-05", "2016"), or null for the zero Date. Estimated is not written.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.ISO())
}

// UnmarshalJSON reads null, "" or any form Parse accepts, so requests may
// carry what a person typed ("05/05/2016") as well as the storage form.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &Error{Reason: ErrFormat, Input: string(b)}
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// SwappedDayMonth reports whether a and b are the same exact date except that
// day and month trade places (07/05/2016 and 05/07/2016) — a common slip, so
// duplicate matching counts it as a weaker match rather than a miss. Both
// must be exact and in the same year; a day equal to its month cannot be
// swapped.
func SwappedDayMonth(a, b Date) bool {
	return a.Precision == Day && b.Precision == Day &&
		a.Year == b.Year && a.Day == b.Month && a.Month == b.Day && a.Day != a.Month
}
