package web

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"treem/internal/attachments"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/children"
	"treem/internal/errs"
	"treem/internal/forms"
	"treem/internal/referrals"
)

// The case's services page: its referrals with a form to refer, its
// attachments with a form to add one, and its forms to print. The case
// page (cases area) links here.

var referralFields = []string{"provider_id", "child_id", "service", "note"}

func (s *Server) caseServicesPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("case"))
			return
		}
		s.showCaseServices(w, r, http.StatusOK, id, &form{Values: map[string]string{}, Errors: map[string]string{}}, nil)
	})
}

func (s *Server) showCaseServices(w http.ResponseWriter, r *http.Request, status int, id int64, f *form, upload *form) {
	p := auth.From(r.Context())
	c, err := s.Cases.Authorize(r.Context(), p, id, auth.PermCaseRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	refs, err := s.Referrals.ForCase(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	atts, err := s.Attachments.List(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"Case": c, "Referrals": refs, "Attachments": atts, "Numbers": forms.Numbers, "Titles": forms.Titles,
		"CanWrite": p.Can(auth.PermCaseWrite), "Upload": upload, "MaxSize": s.Attachments.MaxBytes() >> 20}
	if p.Can(auth.PermCaseWrite) {
		active := true
		provs, err := s.Referrals.Providers(r.Context(), p, referrals.ProviderFilter{Unit: c.Commune, Active: &active})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		l := s.localizer(r)
		popts := []option{{"", l.T("children.choose")}}
		for _, pr := range provs {
			popts = append(popts, option{strconv.FormatInt(pr.ID, 10), pr.Name + " · " + l.T("referrals.kind."+pr.Kind)})
		}
		data["Providers"] = popts
		data["Kids"] = s.caseChildOptions(r, c)
		data["Services"] = s.activeOptions(r, children.ListSupportKind, true)
	}
	s.render(w, r, status, "case_services", "referrals.case_services", data, f)
}

// caseChildOptions names the case's children for a choice; a masked case
// shows numbers only.
func (s *Server) caseChildOptions(r *http.Request, c *cases.Case) []option {
	var out []option
	for _, id := range c.Children {
		label := fmt.Sprintf("#%d", id)
		if !c.Masked {
			if k, err := s.Children.Get(r.Context(), nil, id); err == nil {
				label = k.Name
			}
		}
		out = append(out, option{strconv.FormatInt(id, 10), label})
	}
	return out
}

func (s *Server) caseReferForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("case"))
			return
		}
		f := newForm(r, referralFields...)
		pid, _ := strconv.ParseInt(f.Values["provider_id"], 10, 64)
		cid, _ := strconv.ParseInt(f.Values["child_id"], 10, 64)
		ref, err := s.Referrals.Create(r.Context(), auth.From(r.Context()), id, referrals.NewReferral{ProviderID: pid, ChildID: cid,
			Service: f.Values["service"], Note: f.Values["note"]})
		if err != nil {
			if e := errs.As(err); e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			f.fail(s.localizer(r), err, referralFields...)
			s.showCaseServices(w, r, http.StatusBadRequest, id, f, nil)
			return
		}
		flash(w, "referrals.referred")
		http.Redirect(w, r, "/referrals/"+strconv.FormatInt(ref.ID, 10), http.StatusSeeOther)
	})
}

func (s *Server) uploadForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("case"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.Attachments.MaxBytes()+64<<10)
		var a attachments.Attachment
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "multipart/form-data" {
			err = errs.Validation().Field("file", "attachments.empty")
		} else {
			var part *filePart
			if part, err = s.multipartFile(r, params["boundary"]); err == nil {
				a, err = s.Attachments.Add(r.Context(), auth.From(r.Context()), id, part.FileName(), part)
			}
		}
		if err != nil {
			if e := errs.As(err); e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			up := &form{Values: map[string]string{}, Errors: map[string]string{}}
			up.fail(s.localizer(r), errs.Validation().Field("file", errs.As(err).Key, argsOf(errs.As(err).Args)...), "file")
			s.showCaseServices(w, r, errs.As(err).Status, id, &form{Values: map[string]string{}, Errors: map[string]string{}}, up)
			return
		}
		flash(w, "referrals.uploaded")
		http.Redirect(w, r, fmt.Sprintf("/cases/%d/services#a-%d", id, a.ID), http.StatusSeeOther)
	})
}

func argsOf(m map[string]any) []any {
	var out []any
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

// serviceEventText says what a timeline entry of the referrals and
// attachments areas did, for the case page's timeline.
func serviceEventText(l interface{ T(string, ...any) string }, kind string, d map[string]any) (string, bool) {
	str := func(k string) string { v, _ := d[k].(string); return v }
	switch kind {
	case "referral.requested", "referral.accepted", "referral.declined", "referral.delivered", "referral.done":
		return l.T("referrals.event", "provider", str("provider"), "state", l.T("referrals.state."+kind[len("referral."):])), true
	case "attachment.added":
		return l.T("referrals.event_attachment", "mime", str("mime")), true
	}
	return "", false
}
