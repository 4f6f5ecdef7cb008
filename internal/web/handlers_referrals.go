package web

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/referrals"
)

// Referrals of a case's child to a provider, and the provider's inbox.

func (s *Server) apiCaseReferrals() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("case"))
			return
		}
		list, err := s.Referrals.ForCase(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, list, len(list), "")
	})
}

func (s *Server) apiCreateReferral() http.Handler {
	return apiApply(s, "case", http.StatusCreated, s.Referrals.Create)
}

func (s *Server) apiGetReferral() http.Handler {
	return apiGet(s, "referral", s.Referrals.Get)
}

func (s *Server) apiMoveReferral() http.Handler {
	return apiApply(s, "referral", http.StatusOK, s.Referrals.Move)
}

func (s *Server) apiInbox() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list, _, err := s.Referrals.Inbox(r.Context(), auth.From(r.Context()), r.URL.Query().Get("state"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, list, len(list), "")
	})
}

// inboxPage is the provider's work list: what was referred to them.
func (s *Server) inboxPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.From(r.Context())
		list, pr, err := s.Referrals.Inbox(r.Context(), p, r.URL.Query().Get("state"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "referrals", "referrals.inbox", map[string]any{"Referrals": list, "Provider": pr,
			"Linked": pr.ID != 0, "States": []string{referrals.Requested, referrals.Accepted, referrals.Declined, referrals.Delivered, referrals.Done}}, nil)
	})
}

// referralPage shows one referral with the moves the caller may make.
func (s *Server) referralPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("referral"))
			return
		}
		ref, err := s.Referrals.Get(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := &form{Values: map[string]string{}, Errors: map[string]string{}}
		s.render(w, r, http.StatusOK, "referral", "referrals.provider", map[string]any{"Referral": ref}, f)
	})
}

func (s *Server) moveReferralForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("referral"))
			return
		}
		p := auth.From(r.Context())
		f := newForm(r, "to", "note", "date", "version")
		ver, _ := strconv.Atoi(f.Values["version"])
		_, err = s.Referrals.Move(r.Context(), p, id, referrals.Transition{To: f.Values["to"], Note: f.Values["note"],
			Date: f.Values["date"], Version: ver})
		if err != nil {
			if e := errs.As(err); e.Status == http.StatusNotFound || e.Status == http.StatusForbidden {
				s.fail(w, r, err)
				return
			}
			ref, gerr := s.Referrals.Get(r.Context(), p, id)
			if gerr != nil {
				s.fail(w, r, gerr)
				return
			}
			f.fail(s.localizer(r), err, "note", "date")
			s.render(w, r, errs.As(err).Status, "referral", "referrals.provider", map[string]any{"Referral": ref}, f)
			return
		}
		flash(w, "referrals.moved")
		http.Redirect(w, r, "/referrals/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	})
}

// Attachments of a case.

func (s *Server) apiCaseAttachments() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("case"))
			return
		}
		list, err := s.Attachments.List(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, list, len(list), "")
	})
}

// apiAddAttachment takes the file as the raw body (?name=) or as the field
// "file" of a multipart form. The type is the content's, whatever the
// client says; the size is bounded while reading.
func (s *Server) apiAddAttachment() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("case"))
			return
		}
		limit := s.Attachments.MaxBytes()
		r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10) // room for a multipart envelope
		name := r.URL.Query().Get("name")
		var body io.Reader = r.Body
		if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			mr, err := s.multipartFile(r, params["boundary"])
			if err != nil {
				s.fail(w, r, err)
				return
			}
			body = mr
			if n := mr.FileName(); n != "" && name == "" {
				name = n
			}
		}
		a, err := s.Attachments.Add(r.Context(), auth.From(r.Context()), id, name, body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusCreated, a)
	})
}

// filePart is the "file" part of a multipart body.
type filePart struct {
	io.Reader
	name string
}

func (f *filePart) FileName() string { return f.name }

func (s *Server) multipartFile(r *http.Request, boundary string) (*filePart, error) {
	if boundary == "" {
		return nil, errs.Invalid("attachments.read")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errs.Invalid("attachments.read").Wrap(err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, errs.Validation().Field("file", "attachments.empty")
		}
		if err != nil {
			if strings.Contains(err.Error(), "too large") {
				return nil, s.Attachments.TooLarge()
			}
			return nil, errs.Invalid("attachments.read").Wrap(err)
		}
		if part.FormName() == "file" {
			return &filePart{Reader: part, name: part.FileName()}, nil
		}
	}
}

func (s *Server) apiDownloadAttachment() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("attachment"))
			return
		}
		a, data, err := s.Attachments.Open(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.MIME)
		h.Set("Content-Length", strconv.Itoa(len(data)))
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.Write(data)
	})
}
