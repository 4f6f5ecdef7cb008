package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"treem/internal/auth"
	"treem/internal/children"
	"treem/internal/errs"
	"treem/internal/ident"
)

// The registry's pages: the list, a child's page with its timeline, the
// create and edit forms (with search before create), and imports.

// childPageHelpers are what every registry template uses to name things.
func (s *Server) childPageHelpers(r *http.Request) map[string]any {
	l := s.localizer(r)
	o := s.Children.Options()
	return map[string]any{
		"UnitName": func(code string) string { return s.unitName(r, code) },
		"Opt":      func(list, code string) string { return o.Label(list, code, l.Lang) },
		"Ethnicity": func(code string) string {
			if e, ok := ident.EthnicityByCode(code); ok {
				return e.Name
			}
			return ""
		},
	}
}

func withHelpers(h map[string]any, kv map[string]any) map[string]any {
	for k, v := range kv {
		h[k] = v
	}
	return h
}

// activeOptions are a list's options for a form, in the reader's language.
func (s *Server) activeOptions(r *http.Request, list string, blank bool) []option {
	l := s.localizer(r)
	var out []option
	if blank {
		out = append(out, option{"", l.T("children.choose")})
	}
	for _, o := range s.Children.Options().List(list) {
		if o.Active {
			out = append(out, option{o.Code, o.Label(l.Lang)})
		}
	}
	return out
}

func (s *Server) childrenPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := childFilter(r)
		p := auth.From(r.Context())
		page, err := s.Children.List(r.Context(), p, f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		exportQuery := url.Values{}
		for _, k := range []string{"q", "unit", "group", "helped", "age", "year"} {
			if v := r.URL.Query().Get(k); v != "" {
				exportQuery.Set(k, v)
			}
		}
		s.render(w, r, http.StatusOK, "children", "children.title", withHelpers(s.childPageHelpers(r), map[string]any{
			"Page": page, "Filter": f, "Groups": s.activeOptions(r, children.ListGroup, false), "AgeBands": children.AgeBands,
			"ExportQuery": exportQuery.Encode(),
		}), nil)
	})
}

func (s *Server) childPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := auth.From(r.Context())
		c, err := s.Children.Get(r.Context(), p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.renderChild(w, r, http.StatusOK, c, nil)
	})
}

// renderChild shows a child's page, with the support form f when it was
// sent back with problems.
func (s *Server) renderChild(w http.ResponseWriter, r *http.Request, status int, c children.Child, f *form) {
	p := auth.From(r.Context())
	sups, err := s.Children.Supports(r.Context(), c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := s.Children.Timeline(r.Context(), p, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f == nil {
		f = &form{Values: map[string]string{"status": children.StatusDelivered}, Errors: map[string]string{}}
	}
	l := s.localizer(r)
	statuses := []option{{children.StatusDelivered, l.T("children.status.delivered")},
		{children.StatusPlanned, l.T("children.status.planned")}, {children.StatusCancelled, l.T("children.status.cancelled")}}
	s.render(w, r, status, "child", "", withHelpers(s.childPageHelpers(r), map[string]any{
		"Child": c, "Supports": sups, "Events": events, "Kinds": s.activeOptions(r, children.ListSupportKind, true),
		"Statuses": statuses, "FieldLabel": func(name string) string { return l.T("children.field." + name) },
		"Other": eventOther, "Val": changeText,
	}), f)
}

// changeText writes a value of the history (a string, a list, a
// caregiver) for people.
func changeText(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = changeText(e)
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		var parts []string
		for _, k := range []string{"name", "relation", "phone"} {
			if s, ok := x[k].(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// eventOther reads the other record of a merge from an event's fields.
func eventOther(e children.Event) string {
	for _, f := range e.Fields {
		if _, id, ok := strings.Cut(f, "="); ok {
			return id
		}
	}
	return ""
}

// childFormFields are the create and edit forms' fields, in page order.
var childFormFields = []string{"name", "dob", "sex", "ethnicity", "pid", "commune", "old_commune", "address", "phone",
	"cg0_name", "cg0_relation", "cg0_phone", "cg1_name", "cg1_relation", "cg1_phone", "groups", "risks",
	"disability_type", "disability_level", "school_status", "insurance_card", "notes"}

// formField names the form field an API field's problem belongs to.
func formField(name string) string {
	switch {
	case strings.HasPrefix(name, "caregivers."):
		parts := strings.Split(name, ".")
		if len(parts) == 3 {
			return "cg" + parts[1] + "_" + parts[2]
		}
	case strings.HasPrefix(name, "groups."):
		return "groups"
	case strings.HasPrefix(name, "risks."):
		return "risks"
	}
	return name
}

// childForm reads the create or edit form into an Input, keeping what was
// typed for the page.
func childForm(r *http.Request) (children.Input, *form, map[string]bool, map[string]string) {
	f := newForm(r, append(childFormFields, "version", "confirmed", "dob_estimated")...)
	v := func(name string) *string { x := f.Values[name]; return &x }
	in := children.Input{Name: v("name"), DOB: v("dob"), Sex: v("sex"), Ethnicity: v("ethnicity"), PID: v("pid"),
		Commune: v("commune"), OldCommune: v("old_commune"), Address: v("address"), Phone: v("phone"),
		DisabilityType: v("disability_type"), DisabilityLevel: v("disability_level"), SchoolStatus: v("school_status"),
		InsuranceCard: v("insurance_card"), Notes: v("notes")}
	est := f.Values["dob_estimated"] != ""
	in.DOBEstimated = &est
	in.Version, _ = strconv.Atoi(f.Values["version"])
	checked := map[string]bool{}
	subs := map[string]string{}
	groups := []children.GroupInput{}
	for _, g := range r.PostForm["groups"] {
		checked["g:"+g] = true
		sub := strings.TrimSpace(r.PostFormValue("subgroup_" + g))
		subs[g] = sub
		groups = append(groups, children.GroupInput{Code: g, Subgroup: sub})
	}
	in.Groups = &groups
	risks := []string{}
	for _, x := range r.PostForm["risks"] {
		checked["r:"+x] = true
		risks = append(risks, x)
	}
	in.Risks = &risks
	cgs := []children.CaregiverInput{}
	for i := 0; i < 2; i++ {
		k := "cg" + strconv.Itoa(i) + "_"
		if f.Values[k+"name"] != "" || f.Values[k+"phone"] != "" || f.Values[k+"relation"] != "" {
			cgs = append(cgs, children.CaregiverInput{Name: f.Values[k+"name"], Relation: f.Values[k+"relation"], Phone: f.Values[k+"phone"]})
		}
	}
	in.Caregivers = &cgs
	return in, f, checked, subs
}

// failForm puts an error's field problems on the form, under its names.
func (s *Server) failForm(r *http.Request, f *form, err error) {
	e := errs.As(err)
	if len(e.Fields) > 0 {
		fields := map[string]errs.FieldError{}
		for name, fe := range e.Fields {
			if _, seen := fields[formField(name)]; !seen {
				fields[formField(name)] = fe
			}
		}
		c := *e
		c.Fields = fields
		e = &c
	}
	f.fail(s.localizer(r), e, childFormFields...)
}

// childFormData is what the create and edit pages show besides the form.
func (s *Server) childFormData(r *http.Request, c *children.Child, checked map[string]bool, subs map[string]string, matches *children.MatchResult) map[string]any {
	l := s.localizer(r)
	ethnicities := []option{{"", l.T("children.choose")}}
	for _, e := range ident.Ethnicities() {
		ethnicities = append(ethnicities, option{e.Code, e.Name})
	}
	o := s.Children.Options()
	type groupRow struct {
		Code, Label, Subgroup string
		Checked               bool
		Subgroups             []option
	}
	var groups []groupRow
	for _, g := range o.List(children.ListGroup) {
		if !g.Active {
			continue
		}
		row := groupRow{Code: g.Code, Label: g.Label(l.Lang), Checked: checked["g:"+g.Code], Subgroup: subs[g.Code]}
		for _, sg := range o.List(children.ListSubgroup) {
			if sg.Parent == g.Code && sg.Active {
				if row.Subgroups == nil {
					row.Subgroups = []option{{"", l.T("children.choose")}}
				}
				row.Subgroups = append(row.Subgroups, option{sg.Code, sg.Label(l.Lang)})
			}
		}
		groups = append(groups, row)
	}
	type check struct {
		Code, Label string
		Checked     bool
	}
	var risks []check
	for _, x := range o.List(children.ListRisk) {
		if x.Active {
			risks = append(risks, check{x.Code, x.Label(l.Lang), checked["r:"+x.Code]})
		}
	}
	return withHelpers(s.childPageHelpers(r), map[string]any{
		"Child": c, "Sexes": []option{{"", l.T("children.choose")}, {"Nam", l.T("children.sex.male")}, {"Nữ", l.T("children.sex.female")}},
		"Ethnicities": ethnicities, "GroupRows": groups, "RiskRows": risks,
		"Relations":       s.activeOptions(r, children.ListRelation, true),
		"SchoolStatuses":  s.activeOptions(r, children.ListSchoolStatus, true),
		"DisabilityTypes": s.activeOptions(r, children.ListDisabilityType, true), "DisabilityLevels": s.activeOptions(r, children.ListDisabilityLevel, true),
		"Matches": matches,
	})
}

func (s *Server) newChildPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f := &form{Values: map[string]string{}, Errors: map[string]string{}}
		if len(p.Unit) == 5 {
			f.Values["commune"] = p.Unit
		}
		s.render(w, r, http.StatusOK, "child_form", "children.new_title", s.childFormData(r, nil, nil, nil, nil), f)
	})
}

// createChildForm saves a new child. Search before create: unless the
// officer has confirmed it is a new child, a first submit that finds
// possible matches shows them and asks to confirm.
func (s *Server) createChildForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		in, f, checked, subs := childForm(r)
		if err := s.Children.Check(p, in); err != nil {
			if errs.As(err).Status >= 500 {
				s.fail(w, r, err)
				return
			}
			s.failForm(r, f, err)
			s.render(w, r, errs.As(err).Status, "child_form", "children.new_title", s.childFormData(r, nil, checked, subs, nil), f)
			return
		}
		if f.Values["confirmed"] == "" {
			res, err := s.Children.Match(r.Context(), p, matchInput(f.Values))
			if err == nil && (len(res.Hits) > 0 || len(res.Elsewhere) > 0) {
				s.render(w, r, http.StatusOK, "child_form", "children.new_title", s.childFormData(r, nil, checked, subs, &res), f)
				return
			}
		}
		c, err := s.Children.Create(r.Context(), p, in)
		if err != nil {
			if errs.As(err).Status >= 500 {
				s.fail(w, r, err)
				return
			}
			s.failForm(r, f, err)
			s.render(w, r, errs.As(err).Status, "child_form", "children.new_title", s.childFormData(r, nil, checked, subs, nil), f)
			return
		}
		flash(w, "children.saved")
		http.Redirect(w, r, "/children/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	})
}

func matchInput(v map[string]string) children.MatchInput {
	return children.MatchInput{Name: v["name"], DOB: v["dob"], Sex: v["sex"], Commune: v["commune"],
		OldCommune: v["old_commune"], PID: v["pid"], Phone: v["phone"]}
}

// matchFragment answers the create form's script with the possible
// matches of what has been typed so far, as a piece of HTML.
func (s *Server) matchFragment() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := newForm(r, "name", "dob", "sex", "commune", "old_commune", "pid", "phone")
		data := withHelpers(s.childPageHelpers(r), map[string]any{"L": s.localizer(r), "Live": true})
		res, err := s.Children.Match(r.Context(), auth.From(r.Context()), matchInput(f.Values))
		if err != nil && errs.As(err).Status >= 500 {
			s.fail(w, r, err)
			return
		}
		if err == nil {
			data["Matches"] = &res
		}
		s.renderPartial(w, r, "child_matches", data)
	})
}

// editForm fills the edit form with a child's record.
func editForm(c children.Child) (*form, map[string]bool, map[string]string) {
	v := map[string]string{"name": c.Name, "dob": dayText(c), "sex": map[ident.Sex]string{ident.Male: "Nam", ident.Female: "Nữ"}[c.Sex],
		"ethnicity": c.Ethnicity, "pid": c.PID, "commune": c.Commune, "old_commune": c.OldCommune, "address": c.Address,
		"phone": c.Phone, "disability_type": c.DisabilityType, "disability_level": c.DisabilityLevel,
		"school_status": c.SchoolStatus, "insurance_card": c.InsuranceCard, "notes": c.Notes, "version": strconv.Itoa(c.Version)}
	if c.DOB.Estimated {
		v["dob_estimated"] = "1"
	}
	for i, cg := range c.Caregivers {
		if i > 1 {
			break
		}
		k := "cg" + strconv.Itoa(i) + "_"
		v[k+"name"], v[k+"relation"], v[k+"phone"] = cg.Name, cg.Relation, cg.Phone
	}
	checked := map[string]bool{}
	subs := map[string]string{}
	for _, g := range c.Groups {
		checked["g:"+g] = true
	}
	for _, p := range c.Periods {
		if checked["g:"+p.Code] && p.Subgroup != "" {
			subs[p.Code] = p.Subgroup
		}
	}
	for _, x := range c.Risks {
		checked["r:"+x] = true
	}
	return &form{Values: v, Errors: map[string]string{}}, checked, subs
}

func dayText(c children.Child) string {
	d := c.DOB
	d.Estimated = false
	return d.String()
}

func (s *Server) editChildPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Children.Get(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f, checked, subs := editForm(c)
		s.render(w, r, http.StatusOK, "child_form", "children.edit_title", s.childFormData(r, &c, checked, subs, nil), f)
	})
}

func (s *Server) updateChildForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := auth.From(r.Context())
		in, f, checked, subs := childForm(r)
		c, err := s.Children.Update(r.Context(), p, id, in)
		if err != nil {
			e := errs.As(err)
			if e.Status >= 500 || e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			cur, _ := s.Children.Get(r.Context(), p, id)
			s.failForm(r, f, err)
			s.render(w, r, e.Status, "child_form", "children.edit_title", s.childFormData(r, &cur, checked, subs, nil), f)
			return
		}
		flash(w, "children.saved")
		http.Redirect(w, r, "/children/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	})
}

func (s *Server) addSupportForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := auth.From(r.Context())
		f := newForm(r, "kind", "date", "amount_vnd", "provider", "status", "note")
		in := children.SupportInput{Kind: f.Values["kind"], Date: f.Values["date"], Provider: f.Values["provider"],
			Status: f.Values["status"], Note: f.Values["note"]}
		amountErr := false
		if a := strings.NewReplacer(".", "", " ", "", ",", "").Replace(f.Values["amount_vnd"]); a != "" {
			n, err := strconv.ParseInt(a, 10, 64)
			amountErr = err != nil
			in.AmountVND = &n
		}
		if amountErr {
			// Report the amount with the form's other problems; save nothing.
			v := errs.Validation()
			if cerr := s.Children.CheckSupport(in); cerr != nil && errs.As(cerr).Fields != nil {
				v = errs.As(cerr)
			}
			err = v.Field("amount_vnd", "children.amount_format")
		} else {
			_, err = s.Children.AddSupport(r.Context(), p, id, in)
		}
		if err != nil {
			e := errs.As(err)
			if e.Status >= 500 || e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			c, gerr := s.Children.Get(r.Context(), p, id)
			if gerr != nil {
				s.fail(w, r, gerr)
				return
			}
			f.fail(s.localizer(r), err, "kind", "date", "amount_vnd", "provider", "status", "note")
			s.renderChild(w, r, e.Status, c, f)
			return
		}
		flash(w, "children.support.added")
		http.Redirect(w, r, "/children/"+strconv.FormatInt(id, 10)+"#supports", http.StatusSeeOther)
	})
}

func (s *Server) mergeChildForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		dup, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("duplicate")), 10, 64)
		if _, err := s.Children.Merge(r.Context(), auth.From(r.Context()), id, dup); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "children.merged_ok")
		http.Redirect(w, r, "/children/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
}

func (s *Server) unmergeChildForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, err := s.Children.Unmerge(r.Context(), auth.From(r.Context()), id); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "children.unmerged_ok")
		http.Redirect(w, r, "/children/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
}

// Imports.

// maxImportBytes bounds an uploaded file (a national list of two million
// rows is about 200 MB of CSV; communes send far less).
const maxImportBytes = 256 << 20

func (s *Server) importPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		if id := r.URL.Query().Get("id"); id != "" {
			s.importStatusPage(w, r, id)
			return
		}
		recent, err := s.Children.Imports(r.Context(), p, 20)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "child_import", "children.import_title", map[string]any{
			"Recent": recent, "Columns": children.ImportColumns}, &form{Values: map[string]string{}, Errors: map[string]string{}})
	})
}

func (s *Server) importStatusPage(w http.ResponseWriter, r *http.Request, idText string) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		s.fail(w, r, errs.NotFound("child_import"))
		return
	}
	rep, err := s.Children.ImportStatus(r.Context(), auth.From(r.Context()), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"Import": rep, "L": s.localizer(r),
		"Refresh": "/children/import?id=" + idText}
	if r.Header.Get("X-Partial") != "" {
		s.renderPartial(w, r, "child_import_status", data)
		return
	}
	s.render(w, r, http.StatusOK, "child_import_status", "children.import_title", data, nil)
}

// upload is an import file received.
type upload struct {
	name string
	data []byte
	skip bool // skip_invalid was asked for
}

// readUpload reads the file of a multipart form (streamed into memory: a
// list of children never lands in a temporary file), or a raw body.
func readUpload(w http.ResponseWriter, r *http.Request) (upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes)
	tooLarge := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.TooLarge(maxImportBytes)
		}
		return errs.Invalid("children.import.no_file").Wrap(err)
	}
	var u upload
	if mr, err := r.MultipartReader(); err == nil {
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return u, tooLarge(err)
			}
			switch part.FormName() {
			case "file":
				u.name = strings.ReplaceAll(strings.ToValidUTF8(part.FileName(), "\uFFFD"), "\x00", "")
				if u.data, err = io.ReadAll(part); err != nil {
					return u, tooLarge(err)
				}
			case "skip_invalid":
				v, _ := io.ReadAll(io.LimitReader(part, 10))
				u.skip = len(v) > 0
			}
		}
	} else {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return u, tooLarge(err)
		}
		u.data, u.name = data, r.URL.Query().Get("name")
		if u.name == "" {
			u.name = "upload.csv"
			if strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
				u.name = "upload.xlsx"
			}
		}
		skip := r.URL.Query().Get("skip_invalid")
		u.skip = skip == "1" || skip == "true"
	}
	if len(u.data) == 0 {
		return u, errs.Validation().Field("file", "children.import.no_file")
	}
	return u, nil
}

func (s *Server) importForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		up, err := readUpload(w, r)
		if err != nil {
			if errs.As(err).Status != http.StatusBadRequest {
				s.fail(w, r, err)
				return
			}
			f := &form{Values: map[string]string{}, Errors: map[string]string{}}
			f.fail(s.localizer(r), err, "file")
			recent, _ := s.Children.Imports(r.Context(), p, 20)
			s.render(w, r, http.StatusBadRequest, "child_import", "children.import_title", map[string]any{
				"Recent": recent, "Columns": children.ImportColumns}, f)
			return
		}
		id, err := s.Children.StartImport(r.Context(), p, up.data, children.ImportOptions{FileName: up.name,
			SkipInvalid: up.skip, Lang: s.localizer(r).Lang, I18n: s.I18n})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/children/import?id="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
}

func (s *Server) importRejects() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
		if err != nil {
			s.fail(w, r, errs.NotFound("child_import"))
			return
		}
		data, err := s.Children.ImportRejects(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="import-%d-rejects.csv"`, id))
		w.Write(data)
	})
}

func (s *Server) apiStartImport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up, err := readUpload(w, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		id, err := s.Children.StartImport(r.Context(), auth.From(r.Context()), up.data, children.ImportOptions{FileName: up.name,
			SkipInvalid: up.skip, Lang: s.localizer(r).Lang, I18n: s.I18n})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusAccepted, map[string]any{"id": id, "status": "/api/v1/children/imports/" + strconv.FormatInt(id, 10)})
	})
}

func (s *Server) apiImportStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rep, err := s.Children.ImportStatus(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, rep)
	})
}

// apiExportChildren downloads a filtered list as CSV or XLSX.
func (s *Server) apiExportChildren() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := childFilter(r)
		format := r.URL.Query().Get("format")
		if format == "" {
			format = children.FormatCSV
		}
		data, _, err := s.Children.Export(r.Context(), auth.From(r.Context()), f, format, s.localizer(r).Lang)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ct := "text/csv; charset=utf-8"
		if format == children.FormatXLSX {
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="tre-em-%s.%s"`,
			s.Now().Format("20060102"), format))
		w.Write(data)
	})
}
