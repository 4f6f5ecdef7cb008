package web

import (
	"net/http"

	"treem/internal/auth"
	"treem/internal/indicators"
)

func (s *Server) apiListReturns() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		list, err := s.Indicators.ListReturns(r.Context(), auth.From(r.Context()), indicators.ReturnFilter{
			Form: q.Get("form"), Period: q.Get("period"), Status: q.Get("status"), Unit: q.Get("unit")})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if list == nil {
			list = []indicators.Return{}
		}
		s.list(w, list, len(list), "")
	})
}

func (s *Server) apiGetReturn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ret, err := s.Indicators.GetReturn(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, ret)
	})
}

// apiSaveReturn saves a return; with "submit": true it is submitted (every
// field and rule checked).
func (s *Server) apiSaveReturn() http.Handler {
	type input struct {
		indicators.ReturnInput
		Submit bool `json:"submit"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[input](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := auth.From(r.Context())
		var ret indicators.Return
		if in.Submit {
			ret, err = s.Indicators.SubmitReturn(r.Context(), p, in.ReturnInput)
		} else {
			ret, err = s.Indicators.SaveReturn(r.Context(), p, in.ReturnInput)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, ret)
	})
}

func (s *Server) apiApproveReturn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ret, err := s.Indicators.ApproveReturn(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, ret)
	})
}

func (s *Server) apiReopenReturn() http.Handler {
	type input struct {
		Note string `json:"note"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[input](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ret, err := s.Indicators.ReopenReturn(r.Context(), auth.From(r.Context()), id, in.Note)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, ret)
	})
}

func (s *Server) apiCompleteness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		c, err := s.Indicators.Completeness(r.Context(), auth.From(r.Context()), q.Get("form"), q.Get("period"), q.Get("ou"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, c)
	})
}
