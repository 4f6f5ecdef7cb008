package indicators

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"treem/internal/errs"
)

// PeriodType is how long a period lasts.
type PeriodType uint8

// The period types, as DHIS2 names them.
const (
	Yearly PeriodType = iota
	Quarterly
	Monthly
)

var periodTypeNames = [...]string{"year", "quarter", "month"}

func (t PeriodType) String() string { return periodTypeNames[t] }

// ParsePeriodType reads "year", "quarter" or "month".
func ParsePeriodType(s string) (PeriodType, bool) {
	for i, n := range periodTypeNames {
		if n == s {
			return PeriodType(i), true
		}
	}
	return 0, false
}

// Period is a calendar year, quarter or month: written 2026, 2026Q1, 202603.
type Period struct {
	Type PeriodType
	Year int
	N    int // quarter 1–4 or month 1–12; 0 for a year
}

// Years inside which periods are accepted.
const (
	MinYear = 1990
	MaxYear = 2100
)

// ParsePeriod reads a period as the API writes it. Errors are user-safe
// and say what was expected.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	bad := func(key string) (Period, error) {
		return Period{}, errs.Invalid(key).With("period", s)
	}
	year := func(ys string) (int, bool) {
		y, err := strconv.Atoi(ys)
		return y, err == nil && len(ys) == 4 && y >= MinYear && y <= MaxYear
	}
	switch {
	case len(s) == 4:
		y, ok := year(s)
		if !ok {
			return bad("indicators.period_year")
		}
		return Period{Type: Yearly, Year: y}, nil
	case len(s) == 6 && (s[4] == 'Q' || s[4] == 'q'):
		y, ok := year(s[:4])
		q := int(s[5] - '0')
		if !ok {
			return bad("indicators.period_year")
		}
		if q < 1 || q > 4 {
			return bad("indicators.period_quarter")
		}
		return Period{Type: Quarterly, Year: y, N: q}, nil
	case len(s) == 6:
		y, ok := year(s[:4])
		m, err := strconv.Atoi(s[4:])
		if !ok {
			return bad("indicators.period_year")
		}
		if err != nil || m < 1 || m > 12 || s[4] == '+' || s[4] == '-' {
			return bad("indicators.period_month")
		}
		return Period{Type: Monthly, Year: y, N: m}, nil
	}
	return bad("indicators.period_format")
}

// ParsePeriods reads a ;-separated list, reporting every bad one.
func ParsePeriods(s string) ([]Period, error) {
	var out []Period
	for part := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		p, err := ParsePeriod(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errs.Validation().Field("pe", "indicators.period_missing")
	}
	return out, nil
}

func (p Period) String() string {
	switch p.Type {
	case Quarterly:
		return fmt.Sprintf("%04dQ%d", p.Year, p.N)
	case Monthly:
		return fmt.Sprintf("%04d%02d", p.Year, p.N)
	}
	return fmt.Sprintf("%04d", p.Year)
}

// Start is the first day, yyyymmdd.
func (p Period) Start() int32 {
	switch p.Type {
	case Quarterly:
		return int32(p.Year*10000 + (3*(p.N-1)+1)*100 + 1)
	case Monthly:
		return int32(p.Year*10000 + p.N*100 + 1)
	}
	return int32(p.Year*10000 + 101)
}

// End is the last day, yyyymmdd.
func (p Period) End() int32 {
	switch p.Type {
	case Quarterly:
		m := 3 * p.N
		return int32(p.Year*10000 + m*100 + daysIn(p.Year, m))
	case Monthly:
		return int32(p.Year*10000 + p.N*100 + daysIn(p.Year, p.N))
	}
	return int32(p.Year*10000 + 1231)
}

// Previous is the same period a year earlier.
func (p Period) LastYear() Period { p.Year--; return p }

// Label is the period as people write it in Vietnamese or English.
func (p Period) Label(lang string) string {
	switch p.Type {
	case Quarterly:
		if lang == "en" {
			return fmt.Sprintf("Q%d %d", p.N, p.Year)
		}
		return fmt.Sprintf("Quý %d/%d", p.N, p.Year)
	case Monthly:
		if lang == "en" {
			return time.Month(p.N).String()[:3] + " " + strconv.Itoa(p.Year)
		}
		return fmt.Sprintf("Tháng %02d/%d", p.N, p.Year)
	}
	if lang == "en" {
		return strconv.Itoa(p.Year)
	}
	return "Năm " + strconv.Itoa(p.Year)
}

// Within reports whether q lies inside p (a month inside its quarter or year).
func (p Period) Within(q Period) bool { return p.Start() >= q.Start() && p.End() <= q.End() }

// PeriodsOf lists the periods of a type within [from, to] years.
func PeriodsOf(t PeriodType, fromYear, toYear int) []Period {
	var out []Period
	for y := fromYear; y <= toYear; y++ {
		switch t {
		case Yearly:
			out = append(out, Period{Type: Yearly, Year: y})
		case Quarterly:
			for q := 1; q <= 4; q++ {
				out = append(out, Period{Type: Quarterly, Year: y, N: q})
			}
		case Monthly:
			for m := 1; m <= 12; m++ {
				out = append(out, Period{Type: Monthly, Year: y, N: m})
			}
		}
	}
	return out
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// vnZone is Vietnam's time (UTC+7, no daylight saving).
var vnZone = time.FixedZone("ICT", 7*3600)

// Day is t's date in Vietnam, yyyymmdd.
func Day(t time.Time) int32 {
	t = t.In(vnZone)
	return int32(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

// periodOf returns the period of type t containing day (yyyymmdd).
func periodOf(t PeriodType, day int32) Period {
	y, m := int(day/10000), int(day/100%100)
	if m == 0 {
		m = 1
	}
	switch t {
	case Quarterly:
		return Period{Type: Quarterly, Year: y, N: (m-1)/3 + 1}
	case Monthly:
		return Period{Type: Monthly, Year: y, N: m}
	}
	return Period{Type: Yearly, Year: y}
}
