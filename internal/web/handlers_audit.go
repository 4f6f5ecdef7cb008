package web

import (
	"net/http"
	"strconv"
	"time"

	"treem/internal/audit"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/i18n"
)

// auditFilter reads the audit filters; from and to are days (dd/mm/yyyy or
// yyyy-mm-dd) in Vietnam's time zone, to inclusive.
func auditFilter(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), RecordType: q.Get("record_type"),
		RecordID: q.Get("record_id"), Outcome: q.Get("outcome")}
	v := errs.Validation()
	day := func(name string) time.Time {
		s := q.Get(name)
		if s == "" {
			return time.Time{}
		}
		d, err := dates.ParseDay(s)
		if err != nil {
			v.Field(name, "date.invalid")
			return time.Time{}
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, i18n.Vietnam)
	}
	f.From = day("from")
	if to := day("to"); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			v.Field("before", "list.cursor_invalid")
		}
		f.Before = n
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			v.Field("limit", "list.limit_range", "max", 500)
		}
		f.Limit = n
	}
	return f, v.OrNil()
}

func nextCursor(entries []audit.Entry, limit int) string {
	if limit <= 0 {
		limit = 100
	}
	if len(entries) < limit || len(entries) == 0 {
		return ""
	}
	return strconv.FormatInt(entries[len(entries)-1].ID, 10)
}

func (s *Server) apiAudit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := auditFilter(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		entries, total, err := s.Audit.List(r.Context(), f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if entries == nil {
			entries = []audit.Entry{}
		}
		s.list(w, entries, total, nextCursor(entries, f.Limit))
	})
}

func (s *Server) auditPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data := map[string]any{"Outcomes": []string{audit.OK, audit.Denied, audit.NotFound, audit.Failed},
			"From": r.URL.Query().Get("from"), "To": r.URL.Query().Get("to")}
		f, err := auditFilter(r)
		if err != nil {
			data["Error"] = s.localizer(r).T("audit.filter_invalid")
			f = audit.Filter{}
		}
		data["F"] = f
		f.Limit = 100
		entries, total, err := s.Audit.List(r.Context(), f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data["Entries"], data["Total"], data["Next"] = entries, total, nextCursor(entries, f.Limit)
		s.render(w, r, http.StatusOK, "audit", "audit.title", data, nil)
	})
}
