package web

import (
	"net/http"
	"strconv"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/privacy"
)

// Personal data (Nghị định 13/2023): a child's legal basis and consents,
// the subject-access export, anonymisation.

func (s *Server) apiConsents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cs, err := s.Privacy.Consents(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, cs, len(cs), "")
	})
}

func (s *Server) apiRecordConsent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[privacy.ConsentInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Privacy.RecordConsent(r.Context(), auth.From(r.Context()), id, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusCreated, c)
	})
}

func (s *Server) apiPersonalData() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ex, err := s.Privacy.ExportChild(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="child-`+strconv.FormatInt(id, 10)+`-personal-data.json"`)
		s.data(w, http.StatusOK, ex)
	})
}

func (s *Server) apiAnonymise() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[privacy.EraseInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		e, err := s.Privacy.AnonymiseChild(r.Context(), auth.From(r.Context()), id, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, e)
	})
}

// privacyPage shows a child's legal basis and consents with the form to
// record a new version, and (for those who may) the links to the export
// and the anonymisation form.
func (s *Server) privacyPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderPrivacy(w, r, http.StatusOK, nil)
	})
}

// renderPrivacy shows the page with f, the form sent back with problems
// (the consent and anonymisation forms have distinct field names).
func (s *Server) renderPrivacy(w http.ResponseWriter, r *http.Request, status int, f *form) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	c, err := s.Children.Visible(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cs, err := s.Privacy.Consents(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	anon, err := s.Children.Anonymised(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := s.localizer(r)
	if f == nil {
		f = &form{Values: map[string]string{"basis": privacy.BasisLegalObligation}, Errors: map[string]string{}}
	}
	version := 0
	if len(cs) > 0 {
		version = cs[0].Version
	}
	f.Values["version"] = strconv.Itoa(version)
	var bases, reasons, scopes []option
	for _, b := range privacy.Bases {
		bases = append(bases, option{b, l.T("privacy.basis." + b)})
	}
	for _, x := range privacy.Reasons {
		reasons = append(reasons, option{x, l.T("privacy.reason." + x)})
	}
	for _, x := range privacy.Scopes {
		scopes = append(scopes, option{x, l.T("privacy.scope." + x)})
	}
	relations := []option{{"", ""}, {"child", l.T("privacy.relation.child")}}
	relations = append(relations, s.activeOptions(r, "relation", false)...)
	checked := map[string]bool{}
	for _, sc := range r.PostForm["scope"] {
		checked[sc] = true
	}
	s.render(w, r, status, "child_privacy", "privacy.title", withHelpers(s.childPageHelpers(r), map[string]any{
		"Child": c, "Consents": cs, "Anonymised": anon, "Bases": bases, "Reasons": reasons, "Scopes": scopes,
		"Relations": relations, "Checked": checked,
	}), f)
}

func (s *Server) consentForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := newForm(r, "basis", "given_by", "relation", "given_on", "version")
		version, _ := strconv.Atoi(f.Values["version"])
		in := privacy.ConsentInput{Basis: f.Values["basis"], GivenBy: f.Values["given_by"], Relation: f.Values["relation"],
			GivenOn: f.Values["given_on"], Scope: r.PostForm["scope"], Withdrawn: r.PostFormValue("withdrawn") != "",
			Version: version}
		_, err = s.Privacy.RecordConsent(r.Context(), auth.From(r.Context()), id, in)
		if err != nil {
			e := errs.As(err)
			if e.Status >= 500 || e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			f.fail(s.localizer(r), err, "basis", "given_by", "relation", "given_on", "scope", "withdrawn")
			s.renderPrivacy(w, r, e.Status, f)
			return
		}
		flash(w, "privacy.consent_saved")
		http.Redirect(w, r, "/children/"+strconv.FormatInt(id, 10)+"/privacy", http.StatusSeeOther)
	})
}

func (s *Server) anonymiseForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := newForm(r, "reason", "note")
		in := privacy.EraseInput{Reason: f.Values["reason"], Note: f.Values["note"], Confirm: r.PostFormValue("confirm") != ""}
		_, err = s.Privacy.AnonymiseChild(r.Context(), auth.From(r.Context()), id, in)
		if err != nil {
			e := errs.As(err)
			if e.Status >= 500 || e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			f.fail(s.localizer(r), err, "reason", "note", "confirm")
			s.renderPrivacy(w, r, e.Status, f)
			return
		}
		flash(w, "privacy.anonymised_done")
		http.Redirect(w, r, "/children/"+strconv.FormatInt(id, 10)+"/privacy", http.StatusSeeOther)
	})
}

// personalDataPage is the subject-access export as a readable page (to
// print or save), audited as an export like the JSON.
func (s *Server) personalDataPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ex, err := s.Privacy.ExportChild(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		l := s.localizer(r)
		s.render(w, r, http.StatusOK, "child_personal_data", "privacy.export_title", withHelpers(s.childPageHelpers(r), map[string]any{
			"Export": ex, "Child": ex.Child, "FieldLabel": func(name string) string { return l.T("children.field." + name) },
			"Val": changeText,
		}), nil)
	})
}
