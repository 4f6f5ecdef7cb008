package web

import (
	"errors"
	"net/http"
	"strconv"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

type option struct{ Value, Label string }

func (s *Server) roleOptions(r *http.Request, by *auth.Principal) []option {
	l := s.localizer(r)
	var out []option
	for _, role := range auth.Roles {
		if by.Role == auth.Admin || role == auth.CommuneOfficer || role == auth.Provider {
			out = append(out, option{string(role), l.T("role." + string(role))})
		}
	}
	return out
}

// userOut is an account as the API shows it to those who manage it.
func userOut(u auth.User) auth.User { return u }

func (s *Server) apiCreateUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[auth.NewUser](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		u, password, err := s.Auth.CreateUser(r.Context(), auth.From(r.Context()), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := map[string]any{"user": userOut(u), "id": u.ID}
		if in.Password == "" {
			out["password"] = password // generated: shown once, to hand over
		}
		s.data(w, http.StatusCreated, out)
	})
}

func (s *Server) apiListUsers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		if limit <= 0 || limit > 500 {
			limit = 100
		}
		offset, _ := strconv.Atoi(q.Get("next"))
		users, total, err := s.Auth.Users(r.Context(), auth.From(r.Context()), auth.UserFilter{
			Role: q.Get("role"), Unit: q.Get("unit"), Text: q.Get("q"), Limit: limit, Offset: offset})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		next := ""
		if offset+len(users) < total {
			next = strconv.Itoa(offset + len(users))
		}
		if users == nil {
			users = []auth.User{}
		}
		s.list(w, users, total, next)
	})
}

// managedUser loads an account the caller manages; others answer 404.
func (s *Server) managedUser(w http.ResponseWriter, r *http.Request) (auth.User, bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return auth.User{}, false
	}
	u, err := s.Auth.User(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !auth.From(r.Context()).Manages(u)) {
		s.notFound(w, r, "user", strconv.FormatInt(id, 10))
		return auth.User{}, false
	}
	if err != nil {
		s.fail(w, r, err)
		return auth.User{}, false
	}
	return u, true
}

func (s *Server) apiGetUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, ok := s.managedUser(w, r); ok {
			s.data(w, http.StatusOK, userOut(u))
		}
	})
}

func (s *Server) apiUpdateUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.managedUser(w, r)
		if !ok {
			return
		}
		in, err := decode[auth.UserUpdate](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := s.Auth.UpdateUser(r.Context(), auth.From(r.Context()), u.ID, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, userOut(out))
	})
}

func (s *Server) usersPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p := auth.From(r.Context())
		users, total, err := s.Auth.Users(r.Context(), p, auth.UserFilter{Role: q.Get("role"), Text: q.Get("q"), Limit: 200})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		now := s.Now()
		s.render(w, r, http.StatusOK, "users", "users.title", map[string]any{
			"Users": users, "Total": total, "Q": q.Get("q"), "Role": q.Get("role"), "Roles": auth.Roles,
			"UnitName": func(code string) string { return s.unitName(r, code) },
			"Locked":   func(u auth.User) bool { return u.LockedUntil.After(now) },
		}, nil)
	})
}

func (s *Server) newUserPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f := &form{Values: map[string]string{"unit": p.Unit}, Errors: map[string]string{}}
		s.render(w, r, http.StatusOK, "user_new", "users.new", map[string]any{"RoleOptions": s.roleOptions(r, p)}, f)
	})
}

func (s *Server) createUserForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f := newForm(r, "username", "name", "email", "role", "unit")
		u, password, err := s.Auth.CreateUser(r.Context(), p, auth.NewUser{
			Username: f.Values["username"], FullName: f.Values["name"], Email: f.Values["email"],
			Role: f.Values["role"], Unit: f.Values["unit"]})
		if err != nil {
			e := errs.As(err)
			if e.Status >= 500 {
				s.fail(w, r, err)
				return
			}
			f.fail(s.localizer(r), err, "username", "name", "email", "role", "unit")
			s.render(w, r, e.Status, "user_new", "users.new", map[string]any{"RoleOptions": s.roleOptions(r, p)}, f)
			return
		}
		s.render(w, r, http.StatusCreated, "user_created", "users.created", map[string]any{"User": u, "Password": password}, nil)
	})
}

func (s *Server) userPageData(r *http.Request, u auth.User, password string) map[string]any {
	l := s.localizer(r)
	now := s.Now()
	return map[string]any{
		"User": u, "Password": password, "RoleOptions": s.roleOptions(r, auth.From(r.Context())),
		"ActiveOptions": []option{{"true", l.T("users.active")}, {"false", l.T("users.inactive")}},
		"UnitName":      func(code string) string { return s.unitName(r, code) },
		"Locked":        func(u auth.User) bool { return u.LockedUntil.After(now) },
	}
}

func userForm(u auth.User) *form {
	return &form{Values: map[string]string{"name": u.FullName, "email": u.Email, "role": string(u.Role),
		"unit": u.Unit, "active": strconv.FormatBool(u.Active)}, Errors: map[string]string{}}
}

func (s *Server) userPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.managedUser(w, r)
		if !ok {
			return
		}
		s.render(w, r, http.StatusOK, "user", "", s.userPageData(r, u, ""), userForm(u))
	})
}

func (s *Server) updateUserForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.managedUser(w, r)
		if !ok {
			return
		}
		f := newForm(r, "name", "email", "role", "unit", "active")
		active := f.Values["active"] != "false"
		up := auth.UserUpdate{FullName: ptr(f.Values["name"]), Email: ptr(f.Values["email"]), Role: ptr(f.Values["role"]),
			Unit: ptr(f.Values["unit"]), Active: &active}
		if _, err := s.Auth.UpdateUser(r.Context(), auth.From(r.Context()), u.ID, up); err != nil {
			e := errs.As(err)
			if e.Status >= 500 || e.Status == http.StatusNotFound {
				s.fail(w, r, err)
				return
			}
			f.fail(s.localizer(r), err, "name", "email", "role", "unit", "active")
			s.render(w, r, e.Status, "user", "", s.userPageData(r, u, ""), f)
			return
		}
		flash(w, "form.saved")
		http.Redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
	})
}

func ptr[T any](v T) *T { return &v }

func (s *Server) resetPasswordForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.managedUser(w, r)
		if !ok {
			return
		}
		password, err := s.Auth.ResetPassword(r.Context(), auth.From(r.Context()), u.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		u, _ = s.Auth.User(r.Context(), u.ID)
		s.render(w, r, http.StatusOK, "user", "", s.userPageData(r, u, password), userForm(u))
	})
}

func (s *Server) unlockForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.managedUser(w, r)
		if !ok {
			return
		}
		if err := s.Auth.Unlock(r.Context(), auth.From(r.Context()), u.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "users.unlocked")
		http.Redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
	})
}

func (s *Server) totpResetForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.managedUser(w, r)
		if !ok {
			return
		}
		if err := s.Auth.DisableTOTP(r.Context(), auth.From(r.Context()), u.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "users.totp_was_reset")
		http.Redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), http.StatusSeeOther)
	})
}
