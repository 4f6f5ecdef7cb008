package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/hotline"
	"treem/internal/i18n"
)

// publicReportsPerMinute is how many reports one client address may send
// a minute (per instance), against floods; a person reports once.
const publicReportsPerMinute = 5

// reportLookupsPerMinute bounds the look-ups of a report's status by
// tracking code from one address: enough for a person, too few to guess.
const reportLookupsPerMinute = 20

// Body limits of the hotline's endpoints.
const (
	maxTelephonyBody = 16 << 10
	maxZaloBody      = 1 << 20
	maxReportBody    = 32 << 10
)

// readBody reads a whole body of at most limit bytes (413 beyond).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errs.TooLarge(limit)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errs.TooLarge(limit)
	}
	if err != nil {
		return nil, errs.Invalid("json.invalid").Wrap(err)
	}
	return b, nil
}

// strictJSON decodes one JSON value with no unknown field.
func strictJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, int64(len(body)))
	}
	if dec.More() {
		return errs.Invalid("json.trailing")
	}
	return nil
}

// telephonyEvents takes a call event from the switch: signed with the
// telephony secret, 401 and nothing stored otherwise.
func (s *Server) telephonyEvents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, maxTelephonyBody)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.Hotline.VerifyTelephony(body, r.Header.Get("X-Treem-Signature")); err != nil {
			s.fail(w, r, err)
			return
		}
		var ev hotline.CallEvent
		if err := strictJSON(body, &ev); err != nil {
			s.fail(w, r, err)
			return
		}
		ctx := audit.WithActor(r.Context(), audit.Actor{Name: "telephony", Role: "system", Client: s.clientAddr(r)})
		res, err := s.Hotline.RecordCallEvent(ctx, ev)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, res)
	})
}

// zaloWebhook takes a Zalo OA event: verified, stored once, acknowledged;
// the processing is a background job.
func (s *Server) zaloWebhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, maxZaloBody)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		dup, err := s.Hotline.ReceiveZalo(r.Context(), body, r.Header.Get("X-ZEvent-Signature"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, map[string]any{"received": true, "duplicate": dup})
	})
}

func (s *Server) apiSubmitReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[hotline.PublicReport](w, r, maxReportBody)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if in.IsBot() {
			s.data(w, http.StatusCreated, hotline.ReportStatus{TrackingCode: hotline.NewTrackingCode(), Status: "received"})
			return
		}
		st, err := s.Hotline.SubmitReport(r.Context(), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusCreated, st)
	})
}

func (s *Server) apiReportStatus() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Hotline.ReportStatusOf(r.Context(), r.PathValue("code"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, st)
	})
}

// when reads a time filter: RFC 3339, or a day (dd/mm/yyyy or yyyy-mm-dd)
// in Vietnam's time; a day given as the end of a range includes that day.
func when(v string, end bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := dates.ParseDay(v)
	if err != nil {
		return time.Time{}, err
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, i18n.Vietnam)
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// contactQuery reads a search from the query string.
func contactQuery(r *http.Request) (hotline.Query, error) {
	q := r.URL.Query()
	v := errs.Validation()
	hq := hotline.Query{Channel: q.Get("channel"), Q: q.Get("q"), Reason: q.Get("reason"), Type: q.Get("type"),
		Urgency: q.Get("urgency"), State: q.Get("state"), Counsellor: q.Get("counsellor"), Cursor: q.Get("next")}
	var err error
	if hq.From, err = when(q.Get("from"), false); err != nil {
		v.Field("from", "date.invalid")
	}
	if hq.To, err = when(q.Get("to"), true); err != nil {
		v.Field("to", "date.invalid")
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			v.Field("limit", "list.limit_range", "max", 200)
		}
		hq.Limit = n
	}
	return hq, v.OrNil()
}

func (s *Server) apiSearchContacts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := contactQuery(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out, total, next, err := s.Hotline.Search(r.Context(), auth.From(r.Context()), q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, out, total, next)
	})
}

func (s *Server) apiCreateContact() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[hotline.NewContact](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Hotline.Create(r.Context(), auth.From(r.Context()), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusCreated, c)
	})
}

// contactOut is a contact with its conversation and the caller's
// earlier contacts.
type contactOut struct {
	*hotline.Contact
	Messages []hotline.Message `json:"messages"`
	Previous previousOut       `json:"previous"`
}

type previousOut struct {
	Total    int               `json:"total"`
	Contacts []hotline.Summary `json:"contacts"`
}

// loadContact reads a contact for the caller with everything shown with it.
func (s *Server) loadContact(r *http.Request) (*contactOut, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	p := auth.From(r.Context())
	c, err := s.Hotline.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	msgs, err := s.Hotline.Messages(r.Context(), id)
	if err != nil {
		return nil, err
	}
	prev, n, err := s.Hotline.Previous(r.Context(), p, c, 20)
	if err != nil {
		return nil, err
	}
	return &contactOut{Contact: c, Messages: msgs, Previous: previousOut{Total: n, Contacts: prev}}, nil
}

func (s *Server) apiGetContact() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.loadContact(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, c)
	})
}

func (s *Server) apiUpdateContact() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[hotline.WrapUp](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Hotline.Update(r.Context(), auth.From(r.Context()), id, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, c)
	})
}

// contactAction runs an action on a contact named in the path.
func (s *Server) contactAction(status int, act func(r *http.Request, p *auth.Principal, id int64) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := act(r, auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, status, out)
	})
}

func (s *Server) apiClaimContact() http.Handler {
	return s.contactAction(http.StatusOK, func(r *http.Request, p *auth.Principal, id int64) (any, error) {
		return s.Hotline.Claim(r.Context(), p, id)
	})
}

func (s *Server) apiReply() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[struct {
			Text string `json:"text"`
		}](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.contactAction(http.StatusCreated, func(r *http.Request, p *auth.Principal, id int64) (any, error) {
			return s.Hotline.Reply(r.Context(), p, id, in.Text)
		}).ServeHTTP(w, r)
	})
}

func (s *Server) apiBlockCaller() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[hotline.BlockInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.contactAction(http.StatusCreated, func(r *http.Request, p *auth.Principal, id int64) (any, error) {
			return s.Hotline.BlockCaller(r.Context(), p, id, in)
		}).ServeHTTP(w, r)
	})
}

func (s *Server) apiRefer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[hotline.ReferralInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.contactAction(http.StatusCreated, func(r *http.Request, p *auth.Principal, id int64) (any, error) {
			return s.Hotline.Refer(r.Context(), p, id, in)
		}).ServeHTTP(w, r)
	})
}

func (s *Server) apiRecording() http.Handler {
	return s.contactAction(http.StatusOK, func(r *http.Request, p *auth.Principal, id int64) (any, error) {
		u, err := s.Hotline.Recording(r.Context(), p, id)
		return map[string]string{"url": u}, err
	})
}

// attachment sends an attachment's content (audited), as a download.
func (s *Server) attachment() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		aid, err := pathID(r, "aid")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		a, data, err := s.Hotline.AttachmentData(r.Context(), auth.From(r.Context()), id, aid)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", a.Mime)
		w.Header().Set("Content-Disposition", `attachment; filename="attachment-`+strconv.FormatInt(a.ID, 10)+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	})
}

func (s *Server) apiQueue() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := s.Hotline.Queue(r.Context(), auth.From(r.Context()))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, q, len(q), "")
	})
}

func (s *Server) apiStats() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := s.Hotline.Today(r.Context(), auth.From(r.Context()))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, st)
	})
}

func (s *Server) apiRefs() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refs, err := s.Hotline.Refs(r.Context(), r.URL.Query().Get("kind"), r.URL.Query().Get("all") == "1")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, refs, len(refs), "")
	})
}

func (s *Server) apiSaveRef() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[hotline.RefChange](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ref, err := s.Hotline.SaveRef(r.Context(), auth.From(r.Context()), r.PathValue("kind"), r.PathValue("code"), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, ref)
	})
}

func (s *Server) apiSetExtension() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[struct {
			Extension string `json:"extension"`
		}](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.Hotline.SetExtension(r.Context(), auth.From(r.Context()), in.Extension); err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, map[string]string{"extension": strings.TrimSpace(in.Extension)})
	})
}

func (s *Server) apiZaloToken() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[struct {
			RefreshToken string `json:"refresh_token"`
		}](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.Hotline.SetZaloRefreshToken(r.Context(), auth.From(r.Context()), in.RefreshToken); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
