package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/indicators"
)

// indicatorRequest reads dx, pe, ou and disagg, reporting every problem
// at once.
func (s *Server) indicatorRequest(r *http.Request) (indicators.Request, error) {
	q := semicolonQuery(r.URL.RawQuery)
	p := auth.From(r.Context())
	req := indicators.Request{Scope: p.Unit, Lang: s.localizer(r).Lang, Disagg: q.Get("disagg")}
	v := errs.Validation()
	for part := range strings.SplitSeq(q.Get("dx"), ";") {
		if c := strings.TrimSpace(part); c != "" {
			req.Indicators = append(req.Indicators, c)
		}
	}
	if len(req.Indicators) == 0 {
		v.Field("dx", "indicators.dx_missing")
	}
	cat := s.Indicators.Catalogue()
	var unknown []string
	for _, c := range req.Indicators {
		if _, ok := cat.Indicator(c); !ok {
			unknown = append(unknown, c)
		}
	}
	if len(unknown) > 0 {
		v.Field("dx", "indicators.unknown_indicator", "code", strings.Join(unknown, ", "))
	}
	if q.Get("pe") == "" {
		v.Field("pe", "indicators.period_missing")
	} else {
		var bad []string
		for part := range strings.SplitSeq(q.Get("pe"), ";") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			pe, err := indicators.ParsePeriod(part)
			if err != nil {
				bad = append(bad, part)
				continue
			}
			req.Periods = append(req.Periods, pe)
		}
		if len(bad) > 0 {
			// Every bad period in one message.
			v.Field("pe", "indicators.period_format", "period", strings.Join(bad, ", "))
		}
	}
	req.Units = indicators.ParseUnits(q.Get("ou"))
	if len(req.Units) == 0 {
		v.Field("ou", "indicators.ou_missing")
	}
	if len(req.Indicators)*max(len(req.Periods), 1) > 2000 {
		v.Field("dx", "indicators.too_many")
	}
	return req, v.OrNil()
}

type header struct {
	Name   string `json:"name"`
	Column string `json:"column"`
	Type   string `json:"valueType"`
}

// apiIndicators answers in DHIS2's analytics shape: headers, rows (one per
// indicator, period, unit and disaggregation value; the value last) and
// metadata with the names of every item.
func (s *Server) apiIndicators() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := s.indicatorRequest(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		a, err := s.Indicators.Query(r.Context(), req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		l := s.localizer(r)
		cat := a.Catalogue()
		headers := []header{{"dx", l.T("indicators.col_dx"), "TEXT"}, {"pe", l.T("indicators.col_pe"), "TEXT"}, {"ou", l.T("indicators.col_ou"), "TEXT"}}
		if a.Disagg != "" {
			headers = append(headers, header{a.Disagg, cat.DimName(a.Disagg, l.Lang), "TEXT"})
		}
		headers = append(headers, header{"numerator", l.T("indicators.col_numerator"), "NUMBER"},
			header{"denominator", l.T("indicators.col_denominator"), "NUMBER"}, header{"value", l.T("indicators.col_value"), "NUMBER"})
		rows := make([][]any, 0, len(a.Rows))
		for _, row := range a.Rows {
			out := []any{row.Indicator, row.Period, row.Unit}
			if a.Disagg != "" {
				dv := row.Dim
				if dv == "" {
					dv = "total"
				}
				out = append(out, dv)
			}
			out = append(out, row.Numerator, row.Denominator, row.Value)
			rows = append(rows, out)
		}
		items := map[string]any{}
		dims := map[string][]string{}
		for _, i := range a.Indicators {
			items[i.Code] = map[string]any{"name": i.Name(l.Lang), "definition": i.Definition(l.Lang), "unit": i.Unit,
				"factor": i.Factor, "version": i.Version}
			dims["dx"] = append(dims["dx"], i.Code)
		}
		for _, p := range a.Periods {
			items[p.String()] = map[string]any{"name": p.Label(l.Lang), "start": fmtDay(p.Start()), "end": fmtDay(p.End())}
			dims["pe"] = append(dims["pe"], p.String())
		}
		for _, u := range a.Units {
			name := u.FullName
			if l.Lang == "en" {
				name = u.FullNameEn
			}
			items[u.Code] = map[string]any{"name": name, "level": string(u.Level)}
			dims["ou"] = append(dims["ou"], u.Code)
		}
		if a.Disagg != "" {
			for _, dv := range a.DimValues {
				code := dv
				if dv == "" {
					code = "total"
				}
				items[a.Disagg+":"+code] = map[string]any{"name": cat.DimLabel(a.Disagg, dv, l.Lang)}
				dims[a.Disagg] = append(dims[a.Disagg], code)
			}
		}
		notes := a.Notes
		if notes == nil {
			notes = []indicators.Note{}
		}
		s.writeJSON(w, http.StatusOK, map[string]any{
			"headers": headers, "rows": rows, "height": len(rows), "width": len(headers),
			"metadata": map[string]any{"items": items, "dimensions": dims, "notes": notes, "live": a.Live,
				"as_of": a.AsOf.UTC().Format(time.RFC3339)},
		})
	})
}

// semicolonQuery parses a query string in which values hold unescaped
// semicolons (dx=a;b&pe=2026;2025, as DHIS2 clients write them), which
// net/url refuses.
func semicolonQuery(raw string) url.Values {
	v := url.Values{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			continue
		}
		v.Add(k, val)
	}
	return v
}

func fmtDay(d int32) string { return fmt.Sprintf("%04d-%02d-%02d", d/10000, d/100%100, d%100) }

// apiIndicatorExport answers the same query as a CSV or XLSX file.
func (s *Server) apiIndicatorExport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		format := semicolonQuery(r.URL.RawQuery).Get("format")
		if format != "csv" && format != "xlsx" {
			s.fail(w, r, errs.Validation().Field("format", "indicators.format"))
			return
		}
		req, err := s.indicatorRequest(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		a, err := s.Indicators.Query(r.Context(), req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		t := indicators.AnswerTable(a, s.localizer(r).Lang)
		s.sendTable(w, r, format, "chi-so", t, fmt.Sprintf("dx=%s rows=%d", strings.Join(req.Indicators, ";"), len(t.Rows)))
	})
}

// sendTable writes a table as CSV or XLSX and audits the export.
func (s *Server) sendTable(w http.ResponseWriter, r *http.Request, format, name string, t *indicators.Table, detail string) {
	var buf bytes.Buffer
	var err error
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		err = indicators.WriteXLSX(&buf, t)
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	} else {
		err = t.WriteCSV(&buf)
	}
	if err != nil {
		s.fail(w, r, errs.Internal(err))
		return
	}
	s.Audit.Record(background(r), audit.Event{Action: "indicators.export", RecordType: "indicators", RecordID: name, Detail: "format=" + format + " " + detail})
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// apiIndicatorReport answers the annual national report as XLSX or PDF.
func (s *Server) apiIndicatorReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		if !p.National() {
			s.fail(w, r, errs.NotFound("unit"))
			return
		}
		q := r.URL.Query()
		v := errs.Validation()
		year, err := strconv.Atoi(q.Get("year"))
		if err != nil || year < indicators.MinYear || year > indicators.MaxYear {
			v.Field("year", "indicators.period_year")
		}
		format := q.Get("format")
		if format != "pdf" && format != "xlsx" {
			v.Field("format", "indicators.format")
		}
		if err := v.OrNil(); err != nil {
			s.fail(w, r, err)
			return
		}
		lang := s.localizer(r).Lang
		rep, err := s.Indicators.AnnualReport(r.Context(), year, lang)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var buf bytes.Buffer
		ct := "application/pdf"
		if format == "xlsx" {
			err = indicators.WriteXLSX(&buf, rep.Tables()...)
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		} else {
			err = rep.WritePDF(&buf)
		}
		if err != nil {
			s.fail(w, r, errs.Internal(err))
			return
		}
		s.Audit.Record(background(r), audit.Event{Action: "indicators.export", RecordType: "indicators", RecordID: "report-" + strconv.Itoa(year),
			Detail: "format=" + format})
		name := fmt.Sprintf("bao-cao-chi-so-tre-em-%d.%s", year, format)
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Write(buf.Bytes())
	})
}

// apiCatalogue lists the indicators, dimensions and return forms.
func (s *Server) apiCatalogue() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cat := s.Indicators.Catalogue()
		s.data(w, http.StatusOK, map[string]any{"indicators": cat.Indicators, "dimensions": cat.Dimensions,
			"measures": cat.Measures, "forms": cat.Forms, "status": s.Indicators.Status()})
	})
}

// apiIndicatorVersions shows an indicator's definition and its history.
func (s *Server) apiIndicatorVersions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := r.PathValue("code")
		ind, ok := s.Indicators.Catalogue().Indicator(code)
		if !ok {
			s.fail(w, r, errs.NotFound("indicator"))
			return
		}
		vs, err := s.Indicators.Versions(r.Context(), "indicator", code)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, map[string]any{"indicator": ind, "versions": vs})
	})
}

// apiUpdateIndicator saves a new version of an indicator's definition.
func (s *Server) apiUpdateIndicator() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[indicators.IndicatorEdit](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ind, err := s.Indicators.UpdateIndicator(r.Context(), auth.From(r.Context()), r.PathValue("code"), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, ind)
	})
}
