package cases

import (
	"context"
	"fmt"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/i18n"
	"treem/internal/store"
)

// Holiday is a day of the calendar that is not as its weekday says: a
// public holiday (or bridge day) off, or a weekend day worked in exchange.
type Holiday struct {
	Day       string `json:"day"` // yyyy-mm-dd
	Working   bool   `json:"working"`
	NameVI    string `json:"name_vi"`
	NameEN    string `json:"name_en"`
	Confirmed bool   `json:"confirmed"`
}

func dayNum(t time.Time) int {
	t = t.In(i18n.Vietnam)
	return t.Year()*10000 + int(t.Month())*100 + t.Day()
}

func numDay(n int) time.Time {
	return time.Date(n/10000, time.Month(n/100%100), n%100, 0, 0, 0, 0, i18n.Vietnam)
}

// exceptions reads the calendar's exceptions between two days (yyyymmdd).
func exceptions(ctx context.Context, q store.Queryer, from, to int) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT day, working FROM holidays WHERE day >= $1 AND day <= $2`, from, to)
	if err != nil {
		return nil, fmt.Errorf("read holidays: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var d int
		var w bool
		if err := rows.Scan(&d, &w); err != nil {
			return nil, err
		}
		out[d] = w
	}
	return out, rows.Err()
}

// AddWorkingDays returns the end (23:59:59.999 Vietnam time) of the n-th
// working day after the day of start: weekends and public holidays do not
// count, a weekend day worked in exchange does (Bộ luật Lao động 2019
// Điều 111–112; the calendar is the holidays table).
func AddWorkingDays(ctx context.Context, q store.Queryer, start time.Time, n int) (time.Time, error) {
	day := numDay(dayNum(start))
	// n working days never take more than n*2 + 30 calendar days (Tết).
	ex, err := exceptions(ctx, q, dayNum(day), dayNum(day.AddDate(0, 0, n*2+30)))
	if err != nil {
		return time.Time{}, err
	}
	return workingDaysAfter(start, n, ex), nil
}

// workingDaysAfter is AddWorkingDays with the calendar's exceptions read.
func workingDaysAfter(start time.Time, n int, ex map[int]bool) time.Time {
	day := numDay(dayNum(start))
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if working(day, ex) {
			n--
		}
	}
	return day.AddDate(0, 0, 1).Add(-time.Millisecond)
}

func working(day time.Time, ex map[int]bool) bool {
	if w, ok := ex[dayNum(day)]; ok {
		return w
	}
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Holidays lists the calendar's exceptions of a year.
func (s *Service) Holidays(ctx context.Context, year int) ([]Holiday, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT day, working, name_vi, name_en, confirmed FROM holidays
		WHERE day >= $1 AND day <= $2 ORDER BY day`, year*10000, year*10000+1231)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Holiday{}
	for rows.Next() {
		var h Holiday
		var d int
		if err := rows.Scan(&d, &h.Working, &h.NameVI, &h.NameEN, &h.Confirmed); err != nil {
			return nil, err
		}
		h.Day = numDay(d).Format("2006-01-02")
		out = append(out, h)
	}
	return out, rows.Err()
}

// SaveHoliday adds or changes a day of the calendar (settings.edit).
// Deadlines already set keep their dates; new ones use the change.
func (s *Service) SaveHoliday(ctx context.Context, p *auth.Principal, h Holiday) (Holiday, error) {
	if p != nil && !p.Can(auth.PermSettings) {
		return h, errs.Forbidden()
	}
	d, err := dates.ParseDay(h.Day)
	v := errs.Validation()
	if err != nil {
		v.Field("day", "cases.holiday_day_invalid")
	}
	if h.NameVI == "" {
		v.Field("name_vi", "cases.required")
	}
	if h.NameEN == "" {
		h.NameEN = h.NameVI
	}
	if err := v.OrNil(); err != nil {
		return h, err
	}
	n := d.Year()*10000 + int(d.Month())*100 + d.Day()
	h.Day = numDay(n).Format("2006-01-02")
	by := int64(0)
	if p != nil {
		by = p.UserID
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO holidays (day, working, name_vi, name_en, confirmed, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (day) DO UPDATE SET working = excluded.working, name_vi = excluded.name_vi,
				name_en = excluded.name_en, confirmed = excluded.confirmed, updated_at = excluded.updated_at,
				updated_by = excluded.updated_by`,
			n, h.Working, h.NameVI, h.NameEN, h.Confirmed, store.Millis(s.Now()), by)
		if err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "holiday.save", RecordType: "holiday", RecordID: h.Day})
	})
	return h, err
}

// DeleteHoliday removes a day from the calendar (settings.edit).
func (s *Service) DeleteHoliday(ctx context.Context, p *auth.Principal, day string) error {
	if p != nil && !p.Can(auth.PermSettings) {
		return errs.Forbidden()
	}
	d, err := dates.ParseDay(day)
	if err != nil {
		return errs.Validation().Field("day", "cases.holiday_day_invalid")
	}
	n := d.Year()*10000 + int(d.Month())*100 + d.Day()
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM holidays WHERE day = $1`, n)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errs.NotFound("holiday")
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "holiday.delete", RecordType: "holiday", RecordID: numDay(n).Format("2006-01-02")})
	})
}
