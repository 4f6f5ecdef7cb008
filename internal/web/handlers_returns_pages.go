package web

import (
	"net/http"
	"strconv"
	"strings"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/indicators"
)

// defaultPeriod is the last period of a form's type that has ended.
func (s *Server) defaultPeriod(f *indicators.Form) indicators.Period {
	now := s.Now()
	if f.PeriodType() == indicators.Yearly {
		return indicators.Period{Type: indicators.Yearly, Year: now.Year() - 1}
	}
	q := (int(now.Month())-1)/3 + 1
	if q == 1 {
		return indicators.Period{Type: indicators.Quarterly, Year: now.Year() - 1, N: 4}
	}
	return indicators.Period{Type: indicators.Quarterly, Year: now.Year(), N: q - 1}
}

func (s *Server) returnsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		q := r.URL.Query()
		cat := s.Indicators.Catalogue()
		f, ok := cat.Form(q.Get("form"))
		if !ok {
			f = cat.Forms[0]
		}
		period := q.Get("period")
		if period == "" {
			period = s.defaultPeriod(f).String()
		}
		comp, err := s.Indicators.Completeness(r.Context(), p, f.Code, period, q.Get("ou"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		list, err := s.Indicators.ListReturns(r.Context(), p, indicators.ReturnFilter{Form: f.Code, Period: period, Unit: q.Get("ou")})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		newHref := ""
		if p.Can(auth.PermReturnsEnter) {
			newHref = "/returns/new?form=" + f.Code + "&period=" + period
			if sc := p.Scope(); sc.Commune != "" {
				newHref += "&commune=" + sc.Commune
			}
		}
		s.render(w, r, http.StatusOK, "returns", "returns.title", map[string]any{
			"Forms": cat.Forms, "Form": f, "Period": period, "Completeness": comp, "Returns": list, "New": newHref,
			"Lang": s.localizer(r).Lang}, nil)
	})
}

// returnView is what the return form page shows.
type returnView struct {
	Form     *indicators.Form
	Return   indicators.Return
	Editable bool
	CanAppr  bool
	Lang     string
	Classes  []string
}

func (s *Server) returnFormPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		q := r.URL.Query()
		cat := s.Indicators.Catalogue()
		f, ok := cat.Form(q.Get("form"))
		if !ok {
			s.fail(w, r, errs.NotFound("form"))
			return
		}
		commune := q.Get("commune")
		if sc := p.Scope(); sc.Commune != "" {
			commune = sc.Commune
		}
		period := q.Get("period")
		if period == "" {
			period = s.defaultPeriod(f).String()
		}
		// An existing return opens as itself.
		if commune != "" {
			list, err := s.Indicators.ListReturns(r.Context(), p, indicators.ReturnFilter{Form: f.Code, Period: period, Unit: commune})
			if err == nil && len(list) == 1 {
				http.Redirect(w, r, "/returns/"+strconv.FormatInt(list[0].ID, 10), http.StatusSeeOther)
				return
			}
		}
		ret := indicators.Return{Form: f.Code, Commune: commune, Period: period, Values: map[string]int64{}}
		if u, ok := s.Units.Get(commune); ok {
			ret.Class = indicators.DefaultClass(u)
		}
		fm := newForm(r)
		fm.Values["commune"], fm.Values["period"], fm.Values["class"] = commune, period, ret.Class
		s.render(w, r, http.StatusOK, "return", "returns.new_title", s.returnView(p, f, ret), fm)
	})
}

func (s *Server) returnView(p *auth.Principal, f *indicators.Form, ret indicators.Return) returnView {
	return returnView{Form: f, Return: ret, Editable: p.Can(auth.PermReturnsEnter) && !ret.Locked(),
		CanAppr: p.Can(auth.PermReturnsAppr) && ret.ID != 0, Classes: []string{indicators.ClassUrban, indicators.ClassOther, indicators.ClassDifficult}}
}

func (s *Server) returnPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ret, err := s.Indicators.GetReturn(r.Context(), p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f, ok := s.Indicators.Catalogue().Form(ret.Form)
		if !ok {
			s.fail(w, r, errs.NotFound("form"))
			return
		}
		fm := newForm(r)
		fm.Values["commune"], fm.Values["period"], fm.Values["class"] = ret.Commune, ret.Period, ret.Class
		for k, v := range ret.Values {
			fm.Values["v_"+k] = strconv.FormatInt(v, 10)
		}
		s.render(w, r, http.StatusOK, "return", "returns.title_one", s.returnView(p, f, ret), fm)
	})
}

func (s *Server) returnFormPost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		l := s.localizer(r)
		cat := s.Indicators.Catalogue()
		f, ok := cat.Form(r.PostFormValue("form"))
		if !ok {
			s.fail(w, r, errs.NotFound("form"))
			return
		}
		fields := []string{"commune", "period", "class", "version"}
		for _, c := range f.FieldCodes() {
			fields = append(fields, "v_"+c)
		}
		fm := newForm(r, fields...)
		in := indicators.ReturnInput{Form: f.Code, Commune: fm.Values["commune"], Period: fm.Values["period"], Class: fm.Values["class"],
			OldUnit: r.PostFormValue("old_unit") == "1", Values: map[string]int64{}}
		in.Version, _ = strconv.Atoi(fm.Values["version"])
		v := errs.Validation()
		for _, c := range f.FieldCodes() {
			raw := strings.ReplaceAll(strings.ReplaceAll(fm.Values["v_"+c], ".", ""), " ", "")
			if raw == "" {
				continue
			}
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				v.Field("values."+c, "returns.not_number")
				continue
			}
			in.Values[c] = n
		}
		var ret indicators.Return
		err := v.OrNil()
		if err == nil {
			if r.PostFormValue("action") == "submit" {
				ret, err = s.Indicators.SubmitReturn(r.Context(), p, in)
			} else {
				ret, err = s.Indicators.SaveReturn(r.Context(), p, in)
			}
		}
		if err != nil {
			e := errs.As(err)
			if e.Status >= 500 || e.Status == http.StatusNotFound {
				s.fail(w, r, err)
				return
			}
			// Field names on the page are v_<field>.
			for name, fe := range e.Fields {
				if strings.HasPrefix(name, "values.") {
					delete(e.Fields, name)
					e.Field("v_"+strings.TrimPrefix(name, "values."), fe.Key, flattenArgs(fe.Args)...)
				}
			}
			fm.fail(l, e, fields...)
			ret := indicators.Return{Form: f.Code, Commune: in.Commune, Period: in.Period, Class: in.Class, Values: in.Values, Version: in.Version}
			s.render(w, r, http.StatusUnprocessableEntity, "return", "returns.title_one", s.returnView(p, f, ret), fm)
			return
		}
		if r.PostFormValue("action") == "submit" {
			flash(w, "returns.submitted")
		} else {
			flash(w, "returns.saved")
		}
		http.Redirect(w, r, "/returns/"+strconv.FormatInt(ret.ID, 10), http.StatusSeeOther)
	})
}

func flattenArgs(m map[string]any) []any {
	var out []any
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

func (s *Server) returnApprovePost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := s.Indicators.ApproveReturn(r.Context(), auth.From(r.Context()), id); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "returns.approved")
		http.Redirect(w, r, "/returns/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
}

func (s *Server) returnReopenPost() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := s.Indicators.ReopenReturn(r.Context(), auth.From(r.Context()), id, r.PostFormValue("note")); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "returns.reopened")
		http.Redirect(w, r, "/returns/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
}
