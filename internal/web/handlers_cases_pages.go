package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/children"
	"treem/internal/errs"
	"treem/internal/i18n"
)

// The case pages: the list (with the overdue filter), the new-case form
// (search before create for new children), the case page with its
// timeline and a form for each action the step allows, the break-glass
// log and the holiday calendar.

// codeOptions are codes with their labels (i18n prefix + code).
func (s *Server) codeOptions(r *http.Request, prefix string, codes []string, blank bool) []option {
	l := s.localizer(r)
	var out []option
	if blank {
		out = append(out, option{"", l.T("cases.choose")})
	}
	for _, c := range codes {
		out = append(out, option{c, l.T(prefix + c)})
	}
	return out
}

func (s *Server) casePageHelpers(r *http.Request) map[string]any {
	return map[string]any{
		"UnitName": func(code string) string { return s.unitName(r, code) },
		"Steps":    s.codeOptions(r, "cases.step.", cases.Steps, false),
	}
}

func (s *Server) casesPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := caseFilter(r)
		page, err := s.Cases.List(r.Context(), auth.From(r.Context()), f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "cases", "cases.title", withHelpers(s.casePageHelpers(r), map[string]any{
			"Page": page, "Filter": f}), nil)
	})
}

// caseFormFields are the new-case form's fields, in page order.
var caseFormFields = []string{"commune", "received_at", "source", "abuse_forms", "risk", "summary", "child_ids",
	"child_name", "child_dob", "child_sex", "reporter_name", "reporter_phone", "reporter_relation",
	"incident_date", "incident_setting", "incident_place", "contact_id"}

func (s *Server) caseFormData(r *http.Request, matches *children.MatchResult, checked map[string]bool) map[string]any {
	l := s.localizer(r)
	type check struct {
		Code, Label string
		Checked     bool
	}
	var forms []check
	for _, c := range cases.AbuseForms {
		forms = append(forms, check{c, l.T("cases.form." + c), checked[c]})
	}
	return map[string]any{
		"Sources":  s.codeOptions(r, "cases.source.", cases.Sources, true),
		"Forms":    forms,
		"Risks":    append([]option{{"", l.T("cases.risk.")}}, s.codeOptions(r, "cases.risk.", cases.Risks, false)...),
		"Settings": s.codeOptions(r, "cases.setting.", cases.Settings, true),
		"Sexes":    []option{{"", l.T("cases.choose")}, {"Nam", l.T("children.sex.male")}, {"Nữ", l.T("children.sex.female")}},
		"Matches":  matches,
	}
}

func (s *Server) newCasePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f := &form{Values: map[string]string{}, Errors: map[string]string{}}
		if len(p.Unit) == 5 {
			f.Values["commune"] = p.Unit
		}
		if c := r.URL.Query().Get("child"); c != "" {
			f.Values["child_ids"] = c
		}
		f.Values["received_at"] = s.Now().In(i18n.Vietnam).Format("2006-01-02T15:04")
		s.render(w, r, http.StatusOK, "case_form", "cases.new_title", s.caseFormData(r, nil, nil), f)
	})
}

// caseFormField names the form field an API field's problem belongs to.
func caseFormField(name string) string {
	switch {
	case strings.HasPrefix(name, "children.") && strings.Count(name, ".") == 2:
		_, rest, _ := strings.Cut(strings.TrimPrefix(name, "children."), ".")
		return "child_" + rest
	case strings.HasPrefix(name, "children."):
		return "child_ids"
	case strings.HasPrefix(name, "incidents."):
		parts := strings.Split(name, ".")
		return "incident_" + parts[len(parts)-1]
	}
	return name
}

// createCaseForm opens a case from the form. Search before create: a new
// child is first looked for in the registry, and the officer picks a match
// or confirms the child is new.
func (s *Server) createCaseForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f := newForm(r, append(caseFormFields, "confirmed", "use_child")...)
		checked := map[string]bool{}
		in := cases.NewCase{Commune: f.Values["commune"], Source: f.Values["source"], Summary: f.Values["summary"],
			Risk: f.Values["risk"], ReceivedAt: f.Values["received_at"]}
		for _, c := range r.PostForm["abuse_forms"] {
			checked[c] = true
			in.AbuseForms = append(in.AbuseForms, c)
		}
		bad := errs.Validation()
		for _, x := range strings.FieldsFunc(f.Values["child_ids"]+","+f.Values["use_child"], func(r rune) bool { return r == ',' || r == ' ' }) {
			id, err := strconv.ParseInt(strings.TrimPrefix(x, "#"), 10, 64)
			if err != nil || id <= 0 {
				bad.Field("child_ids", "cases.child_ids_invalid")
				continue
			}
			in.Children = append(in.Children, cases.ChildRef{ID: id})
		}
		newChild := f.Values["child_name"] != "" && f.Values["use_child"] == ""
		if newChild {
			in.Children = append(in.Children, cases.ChildRef{Name: f.Values["child_name"], DOB: f.Values["child_dob"], Sex: f.Values["child_sex"]})
		}
		if f.Values["reporter_name"] != "" || f.Values["reporter_phone"] != "" || f.Values["reporter_relation"] != "" {
			in.Reporter = &cases.Reporter{Name: f.Values["reporter_name"], Phone: f.Values["reporter_phone"], Relation: f.Values["reporter_relation"]}
		}
		if f.Values["incident_date"] != "" || f.Values["incident_setting"] != "" || f.Values["incident_place"] != "" {
			form := ""
			if len(in.AbuseForms) > 0 {
				form = in.AbuseForms[0]
			}
			in.Incidents = []cases.Incident{{Form: form, Date: f.Values["incident_date"], Setting: f.Values["incident_setting"], Place: f.Values["incident_place"]}}
		}
		if v := f.Values["contact_id"]; v != "" {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				in.ContactID = id
			} else {
				bad.Field("contact_id", "cases.contact_unknown")
			}
		}
		show := func(status int, err error, matches *children.MatchResult) {
			if err != nil {
				e := errs.As(err)
				if len(e.Fields) > 0 {
					c := *e
					c.Fields = map[string]errs.FieldError{}
					for name, fe := range e.Fields {
						c.Fields[caseFormField(name)] = fe
					}
					e = &c
				}
				f.fail(s.localizer(r), e, caseFormFields...)
			}
			s.render(w, r, status, "case_form", "cases.new_title", s.caseFormData(r, matches, checked), f)
		}
		if err := bad.OrNil(); err != nil {
			show(http.StatusBadRequest, err, nil)
			return
		}
		if newChild && f.Values["confirmed"] == "" {
			res, err := s.Children.Match(r.Context(), p, children.MatchInput{Name: f.Values["child_name"], DOB: f.Values["child_dob"],
				Sex: f.Values["child_sex"], Commune: f.Values["commune"]})
			if err == nil && len(res.Hits) > 0 {
				show(http.StatusOK, nil, &res)
				return
			}
		}
		c, err := s.Cases.Create(r.Context(), p, in)
		if err != nil {
			if errs.As(err).Status >= 500 {
				s.fail(w, r, err)
				return
			}
			show(errs.As(err).Status, err, nil)
			return
		}
		flash(w, "cases.created")
		http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	})
}

func (s *Server) casePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Cases.Get(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.renderCase(w, r, http.StatusOK, c, nil, "", nil)
	})
}

// renderCase shows a case page; f is a form sent back with problems (which
// is named by which), changed what a stale writer missed.
func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, c *cases.Case, f *form, which string, changed any) {
	p := auth.From(r.Context())
	v, err := s.caseView(r, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tl, err := s.Cases.Timeline(r.Context(), p, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f == nil {
		f = &form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	l := s.localizer(r)
	var allowed []option
	for _, st := range v.Allowed {
		allowed = append(allowed, option{st, l.T("cases.step." + st)})
	}
	officers, err := s.Cases.Officers(r.Context(), c.Commune)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	assignees := []option{{"0", l.T("cases.unassigned")}}
	assignedName := ""
	for _, u := range officers {
		id := strconv.FormatInt(u.ID, 10)
		assignees = append(assignees, option{id, u.FullName})
		if u.ID == c.AssignedTo {
			assignedName = u.FullName
		}
	}
	if _, ok := f.Values["assigned_to"]; !ok {
		f.Values["assigned_to"] = strconv.FormatInt(c.AssignedTo, 10)
	}
	var factors []option
	for _, fc := range cases.Factors {
		factors = append(factors, option{fc, l.T("cases.factor." + fc)})
	}
	s.render(w, r, status, "case", "", withHelpers(s.casePageHelpers(r), map[string]any{
		"Case": v, "Timeline": tl, "Which": which, "Changed": changed,
		"Allowed":      allowed,
		"CloseReasons": s.codeOptions(r, "cases.close.", cases.CloseReasons, true),
		"Risks":        s.codeOptions(r, "cases.risk.", cases.Risks, true),
		"Factors":      factors,
		"Measures":     s.codeOptions(r, "cases.measure.", cases.EmergencyMeasures, true),
		"Outcomes":     s.codeOptions(r, "cases.outcome.", cases.ReviewOutcomes, true),
		"SeesPerp":     cases.SeesPerpetrator(p, c) && !c.Masked,
		"CanWrite":     p.Can(auth.PermCaseWrite) && !c.Masked,
		"PlanRows":     []int{0, 1, 2},
		"DetailText":   func(e cases.Entry) string { return entryText(l, e) },
		"MaskedName":   maskedName, "Assignees": assignees, "AssignedName": assignedName,
	}), f)
}

// entryText says what a timeline entry did, in the reader's language.
func entryText(l interface{ T(string, ...any) string }, e cases.Entry) string {
	d := e.Detail
	str := func(k string) string { v, _ := d[k].(string); return v }
	switch e.Kind {
	case "step":
		t := l.T("cases.event.step", "from", l.T("cases.step."+str("from")), "to", l.T("cases.step."+str("to")))
		if cr := str("close_reason"); cr != "" {
			t += " (" + l.T("cases.close."+cr) + ")"
		}
		if cm := str("commune"); cm != "" {
			t += " → " + cm
		}
		return t
	case "assessment":
		return l.T("cases.event.assessment", "kind", l.T("cases.kind."+str("kind")), "risk", l.T("cases.risk."+str("risk")))
	case "emergency":
		return l.T("cases.event.emergency", "measure", l.T("cases.measure."+str("measure")))
	case "review":
		return l.T("cases.event.review", "outcome", l.T("cases.outcome."+str("outcome")))
	case "created", "plan", "note", "perpetrator", "break_glass", "updated", "report", "incident", "child":
		return l.T("cases.event." + e.Kind)
	}
	if t, ok := serviceEventText(l, e.Kind, e.Detail); ok {
		return t
	}
	return e.Kind
}

// casePost handles a form on the case page: read it, act, and go back to
// the case, or show the page again with the problems (a stale version
// shows what changed since).
func (s *Server) casePost(which string, fields []string, act func(r *http.Request, p *auth.Principal, id int64, f *form) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := auth.From(r.Context())
		f := newForm(r, append(fields, "version")...)
		err = act(r, p, id, f)
		if err == nil {
			flash(w, "cases.saved")
			http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"#timeline", http.StatusSeeOther)
			return
		}
		e := errs.As(err)
		if e.Status >= 500 || e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
			s.fail(w, r, err)
			return
		}
		c, gerr := s.Cases.Get(r.Context(), p, id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		f.fail(s.localizer(r), e, fields...)
		s.renderCase(w, r, e.Status, c, f, which, e.Extra["changed"])
	})
}

func formVersion(f *form) int { v, _ := strconv.Atoi(f.Values["version"]); return v }

func (s *Server) caseTransitionForm() http.Handler {
	return s.casePost("transition", []string{"to", "reason", "close_reason", "commune", "decision_no", "decline"},
		func(r *http.Request, p *auth.Principal, id int64, f *form) error {
			_, err := s.Cases.Transition(r.Context(), p, id, cases.TransitionInput{To: f.Values["to"], Reason: f.Values["reason"],
				Version: formVersion(f), CloseReason: f.Values["close_reason"], Commune: f.Values["commune"],
				DecisionNo: f.Values["decision_no"], Decline: f.Values["decline"] != ""})
			return err
		})
}

func (s *Server) caseAssignForm() http.Handler {
	return s.casePost("assign", []string{"assigned_to"}, func(r *http.Request, p *auth.Principal, id int64, f *form) error {
		to, err := strconv.ParseInt(f.Values["assigned_to"], 10, 64)
		if err != nil || to < 0 {
			return errs.Validation().Field("assigned_to", "cases.worker_invalid")
		}
		_, err = s.Cases.Update(r.Context(), p, id, cases.Update{Version: formVersion(f), AssignedTo: &to})
		return err
	})
}

func (s *Server) caseNoteForm() http.Handler {
	return s.casePost("note", []string{"text"}, func(r *http.Request, p *auth.Principal, id int64, f *form) error {
		_, err := s.Cases.AddNote(r.Context(), p, id, cases.NoteInput{Version: formVersion(f), Text: f.Values["text"]})
		return err
	})
}

func (s *Server) caseAssessmentForm() http.Handler {
	fields := []string{"kind", "risk", "findings", "needs"}
	for _, fc := range cases.Factors {
		fields = append(fields, "factor_"+fc)
	}
	return s.casePost("assessment", fields, func(r *http.Request, p *auth.Principal, id int64, f *form) error {
		in := cases.AssessmentInput{Version: formVersion(f), Kind: f.Values["kind"], Risk: f.Values["risk"],
			Findings: f.Values["findings"], Needs: f.Values["needs"], Factors: map[string]string{}}
		for _, fc := range cases.Factors {
			if v := f.Values["factor_"+fc]; v != "" {
				in.Factors[fc] = v
			}
		}
		_, err := s.Cases.AddAssessment(r.Context(), p, id, in)
		return renameFields(err, func(n string) string { return strings.Replace(n, "factors.", "factor_", 1) })
	})
}

// renameFields moves an error's field problems to the form's names.
func renameFields(err error, name func(string) string) error {
	if err == nil {
		return nil
	}
	e := errs.As(err)
	if len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = map[string]errs.FieldError{}
	for n, fe := range e.Fields {
		c.Fields[name(n)] = fe
	}
	return &c
}

func (s *Server) caseEmergencyForm() http.Handler {
	return s.casePost("emergency", []string{"measure", "decided_at", "decision_no", "decided_by", "place", "until", "reason"},
		func(r *http.Request, p *auth.Principal, id int64, f *form) error {
			_, err := s.Cases.AddEmergency(r.Context(), p, id, cases.EmergencyInput{Version: formVersion(f), Measure: f.Values["measure"],
				DecidedAt: f.Values["decided_at"], DecisionNo: f.Values["decision_no"], DecidedBy: f.Values["decided_by"],
				Place: f.Values["place"], Until: f.Values["until"], Reason: f.Values["reason"]})
			return err
		})
}

func (s *Server) casePlanForm() http.Handler {
	fields := []string{"goals", "starts_on", "ends_on"}
	for i := range 3 {
		for _, k := range []string{"action", "responsible", "organisation", "from", "to"} {
			fields = append(fields, "m"+strconv.Itoa(i)+"_"+k)
		}
	}
	return s.casePost("plan", fields, func(r *http.Request, p *auth.Principal, id int64, f *form) error {
		in := cases.PlanInput{Version: formVersion(f), StartsOn: f.Values["starts_on"], EndsOn: f.Values["ends_on"]}
		for _, g := range strings.Split(f.Values["goals"], "\n") {
			in.Goals = append(in.Goals, strings.TrimSpace(g))
		}
		for i := range 3 {
			k := "m" + strconv.Itoa(i) + "_"
			in.Measures = append(in.Measures, cases.Measure{Action: f.Values[k+"action"], Responsible: f.Values[k+"responsible"],
				Organisation: f.Values[k+"organisation"], From: f.Values[k+"from"], To: f.Values[k+"to"]})
		}
		_, err := s.Cases.SavePlan(r.Context(), p, id, in)
		return renameFields(err, func(n string) string {
			if strings.HasPrefix(n, "measures.") {
				parts := strings.Split(n, ".")
				if len(parts) == 3 {
					return "m" + parts[1] + "_" + parts[2]
				}
				return "m0_action"
			}
			return n
		})
	})
}

func (s *Server) caseReviewForm() http.Handler {
	return s.casePost("review", []string{"outcome", "findings", "close_reason"}, func(r *http.Request, p *auth.Principal, id int64, f *form) error {
		_, err := s.Cases.AddReview(r.Context(), p, id, cases.ReviewInput{Version: formVersion(f), Outcome: f.Values["outcome"],
			Findings: f.Values["findings"], CloseReason: f.Values["close_reason"]})
		return err
	})
}

func (s *Server) casePerpetratorForm() http.Handler {
	return s.casePost("perpetrator", []string{"p_name", "p_relation", "p_age", "p_sex", "p_address", "p_access", "p_notes", "p_lives"},
		func(r *http.Request, p *auth.Principal, id int64, f *form) error {
			age, _ := strconv.Atoi(f.Values["p_age"])
			_, err := s.Cases.SetPerpetrator(r.Context(), p, id, cases.PerpetratorInput{Version: formVersion(f), Perpetrator: cases.Perpetrator{
				Name: f.Values["p_name"], Relation: f.Values["p_relation"], Age: age, Sex: f.Values["p_sex"], Address: f.Values["p_address"],
				AccessToChild: f.Values["p_access"], Notes: f.Values["p_notes"], LivesWith: f.Values["p_lives"] != ""}})
			return err
		})
}

func (s *Server) caseAccessForm() http.Handler {
	return s.casePost("access", []string{"reason"}, func(r *http.Request, p *auth.Principal, id int64, f *form) error {
		_, err := s.Cases.BreakGlass(r.Context(), p, id, f.Values["reason"])
		return err
	})
}

func (s *Server) caseAccessLogPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log, err := s.Cases.AccessLog(r.Context(), auth.From(r.Context()), 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "case_access", "cases.access_title", withHelpers(s.casePageHelpers(r), map[string]any{"Log": log}), nil)
	})
}

func (s *Server) holidaysPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderHolidays(w, r, http.StatusOK, nil)
	})
}

func (s *Server) renderHolidays(w http.ResponseWriter, r *http.Request, status int, f *form) {
	year, err := strconv.Atoi(r.URL.Query().Get("year"))
	if err != nil || year < 2000 || year > 2100 {
		year = s.Now().In(i18n.Vietnam).Year()
	}
	hs, err := s.Cases.Holidays(r.Context(), year)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rules, err := s.Cases.Rules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f == nil {
		f = &form{Values: map[string]string{}, Errors: map[string]string{}}
	}
	s.render(w, r, status, "holidays", "cases.holidays_title", map[string]any{"Year": year, "Holidays": hs, "Rules": rules,
		"Prev": year - 1, "Next": year + 1}, f)
}

func (s *Server) saveHolidayForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := newForm(r, "day", "name_vi", "name_en", "working", "confirmed")
		_, err := s.Cases.SaveHoliday(r.Context(), auth.From(r.Context()), cases.Holiday{Day: f.Values["day"], NameVI: f.Values["name_vi"],
			NameEN: f.Values["name_en"], Working: f.Values["working"] != "", Confirmed: f.Values["confirmed"] != ""})
		if err != nil {
			if e := errs.As(err); e.Status == http.StatusBadRequest {
				f.fail(s.localizer(r), e, "day", "name_vi", "name_en")
				s.renderHolidays(w, r, http.StatusBadRequest, f)
				return
			}
			s.fail(w, r, err)
			return
		}
		flash(w, "cases.saved")
		http.Redirect(w, r, "/holidays?year="+url.QueryEscape(f.Values["day"][:min(4, len(f.Values["day"]))]), http.StatusSeeOther)
	})
}

func (s *Server) deleteHolidayForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		day := r.PathValue("day")
		if err := s.Cases.DeleteHoliday(r.Context(), auth.From(r.Context()), day); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "cases.saved")
		http.Redirect(w, r, "/holidays?year="+url.QueryEscape(day[:min(4, len(day))]), http.StatusSeeOther)
	})
}
