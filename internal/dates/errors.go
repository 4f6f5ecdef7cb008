package dates

import (
	"fmt"
	"time"
)

// Reason is the stable, machine-readable cause of a parse failure. Callers
// translate it for people ("dates."+reason is a natural i18n key); Error gives
// a plain English sentence for logs and tests. A Reason is itself an error, so
// errors.Is(err, dates.ErrDayOutOfRange) works on any error this package
// returns.
type Reason string

// The reasons a date is rejected.
const (
	ErrFormat          Reason = "format"             // not one of the accepted shapes
	ErrDayOutOfRange   Reason = "day_out_of_range"   // no such day in that month (31/02, 29/02 of a common year, day 0)
	ErrMonthOutOfRange Reason = "month_out_of_range" // month 0 or above 12
	ErrYear            Reason = "year"               // before MinYear or after MaxYear
	ErrEmpty           Reason = "empty"              // nothing given where a day is required (ParseDay)
	ErrNotExact        Reason = "not_exact"          // a month, a year or an estimate where an exact day is required (ParseDay)
)

var reasonText = map[Reason]string{
	ErrFormat:          "not a date",
	ErrDayOutOfRange:   "day out of range",
	ErrMonthOutOfRange: "month out of range",
	ErrYear:            "year out of range",
	ErrEmpty:           "no date given",
	ErrNotExact:        "not an exact day",
}

func (r Reason) Error() string {
	if t, ok := reasonText[r]; ok {
		return "dates: " + t
	}
	return "dates: " + string(r)
}

// Error reports what is wrong with one input. It unwraps to its Reason.
type Error struct {
	Reason Reason
	Input  string // the text given, trimmed
	// The parts read before the problem was found; zero when not reached.
	Year, Month, Day int
	MaxDay           int // for ErrDayOutOfRange: the number of days in that month
}

func (e *Error) Unwrap() error { return e.Reason }

// Args returns the details of e by name, for a translated message.
func (e *Error) Args() map[string]any {
	a := map[string]any{"input": e.Input}
	if e.Year != 0 {
		a["year"] = e.Year
	}
	if e.Month != 0 {
		a["month"] = e.Month
	}
	if e.Day != 0 {
		a["day"] = e.Day
	}
	if e.MaxDay != 0 {
		a["max_day"] = e.MaxDay
	}
	return a
}

func (e *Error) Error() string {
	in := e.Input
	if r := []rune(in); len(r) > 40 { // a pasted paragraph should not flood a log line
		in = string(r[:40]) + "…"
	}
	switch e.Reason {
	case ErrFormat:
		return fmt.Sprintf("%q is not a date: write dd/mm/yyyy, mm/yyyy or yyyy", in)
	case ErrMonthOutOfRange:
		return fmt.Sprintf("%q: month %d does not exist, months run from 1 to 12", in, e.Month)
	case ErrDayOutOfRange:
		if e.Day < 1 {
			return fmt.Sprintf("%q: day %d does not exist", in, e.Day)
		}
		if e.Month == 2 && e.Day == 29 {
			return fmt.Sprintf("%q: %d is not a leap year, so February has 28 days", in, e.Year)
		}
		return fmt.Sprintf("%q: %s %d has %d days, not %d", in, time.Month(e.Month), e.Year, e.MaxDay, e.Day)
	case ErrYear:
		return fmt.Sprintf("%q: year %d is out of range, years run from %d to %d", in, e.Year, MinYear, MaxYear)
	case ErrEmpty:
		return "no date given"
	case ErrNotExact:
		return fmt.Sprintf("%q is not an exact day: write dd/mm/yyyy", in)
	}
	return fmt.Sprintf("%q: %s", in, e.Reason.Error())
}
