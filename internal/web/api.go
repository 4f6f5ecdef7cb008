package web

import (
	"context"
	"net/http"

	"treem/internal/auth"
	"treem/internal/errs"
)

// The shapes most JSON API handlers share: read the record named by the
// path's {id}, or apply a JSON body to it, and answer the result. An id
// that is not a number is "not found" as kind, like an absent record.

// apiGet answers the record get returns for {id}.
func apiGet[Out any](s *Server, kind string, get func(context.Context, *auth.Principal, int64) (Out, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound(kind))
			return
		}
		out, err := get(r.Context(), auth.From(r.Context()), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusOK, out)
	})
}

// apiApply decodes a JSON body, applies it to {id} with do and answers
// the result with status.
func apiApply[In, Out any](s *Server, kind string, status int, do func(context.Context, *auth.Principal, int64, In) (Out, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound(kind))
			return
		}
		in, err := decode[In](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out, err := do(r.Context(), auth.From(r.Context()), id, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, status, out)
	})
}
