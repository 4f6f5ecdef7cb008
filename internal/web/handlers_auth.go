package web

import (
	"bytes"
	"errors"
	"image/png"
	"net/http"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/i18n"
	"treem/internal/store"
)

const sessionCookie = "treem_session"

func (s *Server) setSession(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.cookieSecure(r), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) cookieSecure(r *http.Request) bool {
	switch s.SecureCookies {
	case "always":
		return true
	case "never":
		return false
	}
	return s.isTLS(r)
}

func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true})
}

func (s *Server) loginPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth.From(r.Context()) != nil {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		f := &form{Values: map[string]string{"next": safeNext(r.URL.Query().Get("next"))}, Errors: map[string]string{}}
		s.render(w, r, http.StatusOK, "login", "login.title", nil, f)
	})
}

func (s *Server) login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := newForm(r, "username", "next")
		password := r.PostFormValue("password")
		l := s.localizer(r)
		v := errs.Validation()
		if f.Values["username"] == "" {
			v.Field("username", "login.username_missing")
		}
		if password == "" {
			v.Field("password", "login.password_missing")
		}
		if !v.Empty() {
			f.fail(l, v, "username", "password")
			s.render(w, r, http.StatusBadRequest, "login", "login.title", nil, f)
			return
		}
		res, err := s.Auth.Login(r.Context(), f.Values["username"], password, s.clientAddr(r), r.UserAgent())
		if err != nil {
			e := errs.As(err)
			if e.Status >= 500 {
				s.fail(w, r, err)
				return
			}
			f.fail(l, err)
			s.render(w, r, e.Status, "login", "login.title", nil, f)
			return
		}
		s.setSession(w, r, res.Token)
		next := safeNext(f.Values["next"])
		switch {
		case res.NeedsTOTP:
			http.Redirect(w, r, "/login/totp?next="+next, http.StatusSeeOther)
		case res.User.MustChangePassword:
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
		case res.EnrollTOTP:
			http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
		default:
			http.Redirect(w, r, next, http.StatusSeeOther)
		}
	})
}

func (s *Server) totpPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := &form{Values: map[string]string{"next": safeNext(r.URL.Query().Get("next"))}, Errors: map[string]string{}}
		s.render(w, r, http.StatusOK, "login_totp", "totp.title", nil, f)
	})
}

func (s *Server) totpLogin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := newForm(r, "code", "next")
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err := s.Auth.VerifyTOTP(r.Context(), c.Value, f.Values["code"], s.clientAddr(r)); err != nil {
			e := errs.As(err)
			if e.Status == http.StatusUnauthorized {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			if e.Status >= 500 {
				s.fail(w, r, err)
				return
			}
			f.fail(s.localizer(r), err, "code")
			s.render(w, r, e.Status, "login_totp", "totp.title", nil, f)
			return
		}
		http.Redirect(w, r, safeNext(f.Values["next"]), http.StatusSeeOther)
	})
}

func (s *Server) logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil {
			if err := s.Auth.Logout(r.Context(), c.Value); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		clearSession(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
}

// setLang switches the interface language; it is a cookie, and the
// account's preference when signed in.
func (s *Server) setLang() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := i18n.Match(r.PostFormValue("lang"))
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			SameSite: http.SameSiteLaxMode, Secure: s.cookieSecure(r)})
		if p := auth.From(r.Context()); p != nil {
			if err := s.Auth.SetLang(r.Context(), p, lang); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	})
}

func (s *Server) home() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			s.fail(w, r, errs.NotFound("page"))
			return
		}
		p := auth.From(r.Context())
		data := map[string]any{}
		if u, ok := s.Units.Get(p.Unit); ok {
			data["Unit"] = u
			if u.Level == "commune" {
				prov, _ := s.Units.Get(u.Province)
				data["Province"] = prov
			}
		}
		s.render(w, r, http.StatusOK, "home", "nav.home", data, nil)
	})
}

func (s *Server) accountPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		s.render(w, r, http.StatusOK, "account", "account.title", map[string]any{"UnitName": s.unitName(r, p.Unit)}, nil)
	})
}

func (s *Server) passwordPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "password", "account.change_password", nil, &form{Values: map[string]string{}, Errors: map[string]string{}})
	})
}

func (s *Server) changePassword() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f := newForm(r)
		err := s.Auth.ChangePassword(r.Context(), p, r.PostFormValue("old_password"), r.PostFormValue("new_password"))
		if err != nil {
			e := errs.As(err)
			if e.Status >= 500 {
				s.fail(w, r, err)
				return
			}
			f.fail(s.localizer(r), err, "old_password", "new_password")
			s.render(w, r, e.Status, "password", "account.change_password", nil, f)
			return
		}
		flash(w, "password.changed")
		if p.NeedsEnrolment(s.Auth) {
			http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
}

func (s *Server) totpSetupPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		if p.TOTPEnabled {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
			return
		}
		secret, _, err := s.Auth.PendingTOTP(r.Context(), p)
		if errors.Is(err, store.ErrNotFound) {
			secret, _, err = s.Auth.BeginTOTP(r.Context(), p)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "totp_setup", "account.enable_totp",
			map[string]any{"Secret": secret, "Required": p.NeedsEnrolment(s.Auth)},
			&form{Values: map[string]string{}, Errors: map[string]string{}})
	})
}

// totpQR draws the enrolment QR code; the secret stays in the session, not
// in the URL.
func (s *Server) totpQR() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		_, uri, err := s.Auth.PendingTOTP(r.Context(), p)
		if err != nil {
			s.fail(w, r, errs.NotFound("totp"))
			return
		}
		code, err := qr.Encode(uri, qr.M, qr.Auto)
		if err == nil {
			code, err = barcode.Scale(code, 200, 200)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, code); err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(buf.Bytes())
	})
}

func (s *Server) totpConfirm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f := newForm(r, "code")
		if err := s.Auth.ConfirmTOTP(r.Context(), p, f.Values["code"]); err != nil {
			e := errs.As(err)
			if e.Status >= 500 {
				s.fail(w, r, err)
				return
			}
			secret, _, _ := s.Auth.PendingTOTP(r.Context(), p)
			f.fail(s.localizer(r), err, "code")
			s.render(w, r, e.Status, "totp_setup", "account.enable_totp", map[string]any{"Secret": secret, "Required": p.NeedsEnrolment(s.Auth)}, f)
			return
		}
		flash(w, "totp.enabled")
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

// me answers who the caller is.
func (s *Server) me() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		out := map[string]any{
			"id": p.UserID, "username": p.Username, "name": p.Name, "role": p.Role, "unit": p.Unit,
			"province": p.Province, "lang": p.Lang, "permissions": auth.Grants(p.Role),
		}
		if u, ok := s.Units.Get(p.Unit); ok {
			out["unit_name"] = u.FullName
		}
		s.data(w, http.StatusOK, out)
	})
}

// unitName is a unit's full name in the request's language, or "whole
// country" for none.
func (s *Server) unitName(r *http.Request, code string) string {
	l := s.localizer(r)
	if code == "" {
		return l.T("home.national")
	}
	u, ok := s.Units.Get(code)
	if !ok {
		return code
	}
	if l.Lang == "en" {
		return u.FullNameEn + " (" + code + ")"
	}
	return u.FullName + " (" + code + ")"
}
