package web

import (
	"net/http"
	"strconv"
	"strings"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/referrals"
)

// The directory of service providers: listed for officers choosing where
// to refer, managed by those with providers.manage within their unit.

func (s *Server) apiListProviders() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		list, err := s.Referrals.Providers(r.Context(), p, providerFilter(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, list, len(list), "")
	})
}

func providerFilter(r *http.Request) referrals.ProviderFilter {
	q := r.URL.Query()
	f := referrals.ProviderFilter{Unit: strings.TrimSpace(q.Get("unit")), Kind: strings.TrimSpace(q.Get("kind"))}
	if a := q.Get("active"); a != "" {
		b := a == "true" || a == "1"
		f.Active = &b
	}
	return f
}

func (s *Server) apiCreateProvider() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[referrals.ProviderInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		pr, err := s.Referrals.CreateProvider(r.Context(), auth.From(r.Context()), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusCreated, pr)
	})
}

func (s *Server) apiGetProvider() http.Handler {
	return apiGet(s, "provider", s.Referrals.Provider)
}

func (s *Server) apiUpdateProvider() http.Handler {
	return apiApply(s, "provider", http.StatusOK, s.Referrals.UpdateProvider)
}

// linkRequest names an account of role provider by id or user name.
type linkRequest struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

func (s *Server) linkedUser(r *http.Request, in linkRequest) (auth.User, error) {
	var u auth.User
	var err error
	switch {
	case in.UserID != 0:
		u, err = s.Auth.User(r.Context(), in.UserID)
	case strings.TrimSpace(in.Username) != "":
		u, err = s.Auth.UserByName(r.Context(), strings.TrimSpace(in.Username))
	default:
		return u, errs.Validation().Field("user_id", "referrals.required")
	}
	if err != nil {
		return u, errs.Validation().Field("user_id", "referrals.user_unknown")
	}
	return u, nil
}

func (s *Server) apiLinkProviderUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("provider"))
			return
		}
		in, err := decode[linkRequest](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := auth.From(r.Context())
		if _, err := s.Referrals.Provider(r.Context(), p, id); err != nil {
			s.fail(w, r, err)
			return
		}
		u, err := s.linkedUser(r, in)
		if err == nil {
			err = s.Referrals.LinkUser(r.Context(), p, id, u)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		pr, err := s.Referrals.Provider(r.Context(), p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, pr)
	})
}

func (s *Server) apiUnlinkProviderUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("provider"))
			return
		}
		uid, err := pathID(r, "userID")
		if err != nil {
			s.fail(w, r, errs.NotFound("user"))
			return
		}
		if err := s.Referrals.UnlinkUser(r.Context(), auth.From(r.Context()), id, uid); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// Pages.

func (s *Server) kindOptions(r *http.Request) []option {
	l := s.localizer(r)
	out := make([]option, 0, len(referrals.Kinds))
	for _, k := range referrals.Kinds {
		out = append(out, option{Value: k, Label: l.T("referrals.kind." + k)})
	}
	return out
}

func (s *Server) providersPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		list, err := s.Referrals.Providers(r.Context(), p, providerFilter(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "providers", "referrals.directory", map[string]any{
			"Providers": list, "Kinds": s.kindOptions(r), "CanManage": p.Can(auth.PermProviders)}, nil)
	})
}

var providerFields = []string{"name", "kind", "unit", "address", "services", "active",
	"contact_name", "contact_phone", "contact_email", "contact_hours", "version"}

func (s *Server) newProviderPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f := &form{Values: map[string]string{"unit": p.Unit, "active": "1"}, Errors: map[string]string{}}
		s.render(w, r, http.StatusOK, "provider_form", "referrals.new_provider", map[string]any{"Kinds": s.kindOptions(r), "Action": "/providers"}, f)
	})
}

// providerInput reads the provider form: one contact point per form (the
// API takes several).
func providerInput(f *form) referrals.ProviderInput {
	v := f.Values
	name, kind, unit, addr, svc := v["name"], v["kind"], v["unit"], v["address"], v["services"]
	active := v["active"] == "1"
	contacts := []referrals.ContactPoint{{Name: v["contact_name"], Phone: v["contact_phone"], Email: v["contact_email"], Hours: v["contact_hours"]}}
	ver, _ := strconv.Atoi(v["version"])
	return referrals.ProviderInput{Name: &name, Kind: &kind, Unit: &unit, Address: &addr, Services: &svc, Active: &active,
		Contacts: &contacts, Version: ver}
}

func (s *Server) createProviderForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := newForm(r, providerFields...)
		pr, err := s.Referrals.CreateProvider(r.Context(), auth.From(r.Context()), providerInput(f))
		if err != nil {
			f.fail(s.localizer(r), err, providerFields...)
			s.render(w, r, http.StatusBadRequest, "provider_form", "referrals.new_provider", map[string]any{"Kinds": s.kindOptions(r), "Action": "/providers"}, f)
			return
		}
		flash(w, "referrals.saved")
		http.Redirect(w, r, "/providers/"+strconv.FormatInt(pr.ID, 10), http.StatusSeeOther)
	})
}

func (s *Server) providerPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("provider"))
			return
		}
		p := auth.From(r.Context())
		pr, err := s.Referrals.Provider(r.Context(), p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.showProvider(w, r, http.StatusOK, pr, providerForm(pr))
	})
}

func providerForm(pr referrals.Provider) *form {
	f := &form{Values: map[string]string{"name": pr.Name, "kind": pr.Kind, "unit": pr.Unit, "address": pr.Address,
		"services": pr.Services, "version": strconv.Itoa(pr.Version)}, Errors: map[string]string{}}
	if pr.Active {
		f.Values["active"] = "1"
	}
	if len(pr.Contacts) > 0 {
		c := pr.Contacts[0]
		f.Values["contact_name"], f.Values["contact_phone"], f.Values["contact_email"], f.Values["contact_hours"] = c.Name, c.Phone, c.Email, c.Hours
	}
	return f
}

func (s *Server) showProvider(w http.ResponseWriter, r *http.Request, status int, pr referrals.Provider, f *form) {
	p := auth.From(r.Context())
	var users []auth.User
	for _, id := range pr.Users {
		if u, err := s.Auth.User(r.Context(), id); err == nil {
			users = append(users, u)
		}
	}
	s.render(w, r, status, "provider", "referrals.provider", map[string]any{"Provider": pr, "Kinds": s.kindOptions(r),
		"CanManage": referrals.ManageableBy(p, pr.Unit), "Users": users, "Action": "/providers/" + strconv.FormatInt(pr.ID, 10)}, f)
}

func (s *Server) updateProviderForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("provider"))
			return
		}
		p := auth.From(r.Context())
		f := newForm(r, providerFields...)
		pr, err := s.Referrals.UpdateProvider(r.Context(), p, id, providerInput(f))
		if err != nil {
			if e := errs.As(err); e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			cur, gerr := s.Referrals.Provider(r.Context(), p, id)
			if gerr != nil {
				s.fail(w, r, gerr)
				return
			}
			f.fail(s.localizer(r), err, providerFields...)
			s.showProvider(w, r, http.StatusBadRequest, cur, f)
			return
		}
		flash(w, "referrals.saved")
		http.Redirect(w, r, "/providers/"+strconv.FormatInt(pr.ID, 10), http.StatusSeeOther)
	})
}

func (s *Server) linkProviderUserForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("provider"))
			return
		}
		p := auth.From(r.Context())
		pr, err := s.Referrals.Provider(r.Context(), p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		u, err := s.linkedUser(r, linkRequest{Username: r.PostFormValue("username")})
		if err == nil {
			err = s.Referrals.LinkUser(r.Context(), p, id, u)
		}
		if err != nil {
			if e := errs.As(err); e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			f := providerForm(pr)
			f.Values["username"] = r.PostFormValue("username")
			f.fail(s.localizer(r), err, "username")
			if msg, ok := f.Errors["user_id"]; ok {
				f.Errors["username"] = msg
				delete(f.Errors, "user_id")
				f.Order = []string{"username"}
			}
			s.showProvider(w, r, http.StatusBadRequest, pr, f)
			return
		}
		flash(w, "referrals.linked")
		http.Redirect(w, r, "/providers/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
}
