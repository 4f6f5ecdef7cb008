package web

import (
	"net/http"
	"strconv"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/notify"
)

// notifyFilter reads ?unread=true&before=ID&limit=N.
func notifyFilter(r *http.Request) (notify.Filter, error) {
	q := r.URL.Query()
	f := notify.Filter{Unread: q.Get("unread") == "true" || q.Get("unread") == "1"}
	v := errs.Validation()
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			v.Field("before", "list.cursor_invalid")
		}
		f.Before = n
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			v.Field("limit", "list.limit_range", "max", 200)
		}
		f.Limit = n
	}
	return f, v.OrNil()
}

// notifyNext is the cursor of the page after items.
func notifyNext(items []notify.Notification, f notify.Filter) string {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if len(items) < limit {
		return ""
	}
	return strconv.FormatInt(items[len(items)-1].ID, 10)
}

func (s *Server) apiNotifications() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f, err := notifyFilter(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		items, total, err := s.Notify.List(r.Context(), p.UserID, f, s.localizer(r).Lang)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, items, total, notifyNext(items, f))
	})
}

func (s *Server) apiReadNotification() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("notification"))
			return
		}
		p := *auth.From(r.Context())
		p.Lang = s.localizer(r).Lang
		n, err := s.Notify.MarkRead(r.Context(), &p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, n)
	})
}

func (s *Server) notificationsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		f, err := notifyFilter(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		items, total, err := s.Notify.List(r.Context(), p.UserID, f, s.localizer(r).Lang)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "notifications", "notify.title", map[string]any{
			"Items": items, "Total": total, "Unread": f.Unread, "Next": notifyNext(items, f)}, nil)
	})
}

func (s *Server) readNotificationForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("notification"))
			return
		}
		n, err := s.Notify.MarkRead(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// "Open" marks read and goes to what the notification is about.
		if r.PostFormValue("open") == "1" && n.Link != "" {
			http.Redirect(w, r, safeNext(n.Link), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	})
}

func (s *Server) readAllNotificationsForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.Notify.MarkAllRead(r.Context(), auth.From(r.Context())); err != nil {
			s.fail(w, r, err)
			return
		}
		flash(w, "notify.all_read")
		http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	})
}
