package web

import (
	"context"
	"net/http"
	"strconv"

	"treem/internal/auth"
	"treem/internal/cases"
)

// caseChild is a child of a case as the case shows it: masked in a
// confidential case the caller is not assigned to.
type caseChild struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	DOB    string `json:"dob,omitempty"`
	Sex    string `json:"sex,omitempty"`
	Masked bool   `json:"masked,omitempty"`
}

// caseJSON is a case with its records, as GET /api/v1/cases/{id} answers.
type caseJSON struct {
	*cases.Case
	CommuneName string             `json:"commune_name"`
	ChildList   []caseChild        `json:"children_detail"`
	Perpetrator *cases.Perpetrator `json:"perpetrator,omitempty"` // only for those who may see it
	*cases.Details
}

// maskedName stands for a hidden name.
const maskedName = "•••"

// caseChildren lists the children of a case for the caller. Registry reads
// are audited by the registry; a masked case reads none.
func (s *Server) caseChildren(ctx context.Context, p *auth.Principal, c *cases.Case) []caseChild {
	out := []caseChild{}
	for _, id := range c.Children {
		if c.Masked {
			out = append(out, caseChild{ID: id, Name: maskedName, Masked: true})
			continue
		}
		ch, err := s.Children.Get(ctx, p, id)
		if err != nil {
			out = append(out, caseChild{ID: id, Name: maskedName, Masked: true})
			continue
		}
		out = append(out, caseChild{ID: id, Name: ch.Name, DOB: ch.DOB.String(), Sex: ch.Sex.String()})
	}
	return out
}

func (s *Server) caseView(r *http.Request, c *cases.Case) (caseJSON, error) {
	p := auth.From(r.Context())
	d, err := s.Cases.Details(r.Context(), p, c)
	if err != nil {
		return caseJSON{}, err
	}
	v := caseJSON{Case: c, CommuneName: s.unitName(r, c.Commune), ChildList: s.caseChildren(r.Context(), p, c), Details: d}
	if cases.SeesPerpetrator(p, c) && !c.Masked {
		if v.Perpetrator, err = s.Cases.Perpetrator(r.Context(), p, c); err != nil {
			return caseJSON{}, err
		}
	}
	return v, nil
}

// answerCase answers a case with its records, or the error that came.
func (s *Server) answerCase(w http.ResponseWriter, r *http.Request, status int, c *cases.Case, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.caseView(r, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.data(w, status, v)
}

func caseFilter(r *http.Request) cases.Filter {
	q := r.URL.Query()
	f := cases.Filter{Step: q.Get("step"), Unit: q.Get("unit"), Cursor: q.Get("next"),
		Overdue: q.Get("overdue") == "true" || q.Get("overdue") == "1", Mine: q.Get("assigned") == "me"}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1
		}
		f.Limit = n
	}
	return f
}

func (s *Server) apiListCases() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, err := s.Cases.List(r.Context(), auth.From(r.Context()), caseFilter(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, page.Items, page.Total, page.Next)
	})
}

func (s *Server) apiCreateCase() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[cases.NewCase](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := auth.From(r.Context())
		c, err := s.Cases.Create(r.Context(), p, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ds, err := s.Cases.Deadlines(r.Context(), c)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		type due struct {
			What  string `json:"what"`
			DueAt string `json:"due_at"`
		}
		out := []due{}
		for _, d := range ds {
			out = append(out, due{What: d.What, DueAt: d.DueAt.UTC().Format("2006-01-02T15:04:05Z07:00")})
		}
		s.data(w, http.StatusCreated, map[string]any{"id": c.ID, "number": c.Number, "step": c.Step,
			"version": c.Version, "deadlines": out})
	})
}

func (s *Server) apiGetCase() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Cases.Get(r.Context(), auth.From(r.Context()), id)
		s.answerCase(w, r, http.StatusOK, c, err)
	})
}

// caseWrite is the shape of every write on a case: decode the body, act,
// answer the case as it is now.
func caseWrite[T any](s *Server, act func(ctx context.Context, p *auth.Principal, id int64, in T) (*cases.Case, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[T](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := act(r.Context(), auth.From(r.Context()), id, in)
		s.answerCase(w, r, http.StatusOK, c, err)
	})
}

// caseRecord is a write that creates a record of a case (an assessment,
// a measure, a plan): it answers 201 with the record.
func caseRecord[T, R any](s *Server, act func(ctx context.Context, p *auth.Principal, id int64, in T) (R, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[T](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rec, err := act(r.Context(), auth.From(r.Context()), id, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusCreated, rec)
	})
}

func (s *Server) apiUpdateCase() http.Handler     { return caseWrite(s, s.Cases.Update) }
func (s *Server) apiCaseTransition() http.Handler { return caseWrite(s, s.Cases.Transition) }
func (s *Server) apiCaseNote() http.Handler       { return caseWrite(s, s.Cases.AddNote) }
func (s *Server) apiCaseReview() http.Handler     { return caseWrite(s, s.Cases.AddReview) }
func (s *Server) apiSetPerpetrator() http.Handler { return caseWrite(s, s.Cases.SetPerpetrator) }
func (s *Server) apiCaseReport() http.Handler     { return caseWrite(s, s.Cases.AddReport) }
func (s *Server) apiCaseIncident() http.Handler   { return caseWrite(s, s.Cases.AddIncident) }
func (s *Server) apiCaseChild() http.Handler      { return caseWrite(s, s.Cases.AddChild) }
func (s *Server) apiCaseAssessment() http.Handler { return caseRecord(s, s.Cases.AddAssessment) }
func (s *Server) apiCaseEmergency() http.Handler  { return caseRecord(s, s.Cases.AddEmergency) }
func (s *Server) apiCasePlan() http.Handler       { return caseRecord(s, s.Cases.SavePlan) }

func (s *Server) apiCasePlanApproval() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		pid, err := pathID(r, "pid")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[cases.ApprovalInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Cases.Decide(r.Context(), auth.From(r.Context()), id, pid, in)
		s.answerCase(w, r, http.StatusOK, c, err)
	})
}

func (s *Server) apiCaseTimeline() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := auth.From(r.Context())
		c, err := s.Cases.Get(r.Context(), p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		tl, err := s.Cases.Timeline(r.Context(), p, c)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, tl, len(tl), "")
	})
}

// breakGlassInput is the stated reason for opening a confidential case.
type breakGlassInput struct {
	Reason string `json:"reason"`
}

func (s *Server) apiCaseAccess() http.Handler {
	return caseWrite(s, func(ctx context.Context, p *auth.Principal, id int64, in breakGlassInput) (*cases.Case, error) {
		return s.Cases.BreakGlass(ctx, p, id, in.Reason)
	})
}

func (s *Server) apiCaseAccessLog() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log, err := s.Cases.AccessLog(r.Context(), auth.From(r.Context()), 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, log, len(log), "")
	})
}

func (s *Server) apiHolidays() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		year, err := strconv.Atoi(r.URL.Query().Get("year"))
		if err != nil || year < 2000 || year > 2100 {
			year = s.Now().Year()
		}
		hs, err := s.Cases.Holidays(r.Context(), year)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.list(w, hs, len(hs), "")
	})
}

func (s *Server) apiSaveHoliday() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[cases.Holiday](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in.Day = r.PathValue("day")
		h, err := s.Cases.SaveHoliday(r.Context(), auth.From(r.Context()), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, h)
	})
}

func (s *Server) apiDeleteHoliday() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Cases.DeleteHoliday(r.Context(), auth.From(r.Context()), r.PathValue("day")); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
