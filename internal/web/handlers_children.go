package web

import (
	"net/http"
	"strconv"

	"treem/internal/auth"
	"treem/internal/children"
)

// childJSON is a child as the API shows it: the record, the name of its
// commune and the help it received.
type childJSON struct {
	children.Child
	CommuneName string             `json:"commune_name"`
	Supports    []children.Support `json:"supports"`
}

// answerChild answers a child, with its commune's name and the help it
// received, or the error that came instead.
func (s *Server) answerChild(w http.ResponseWriter, r *http.Request, c children.Child, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sups, err := s.Children.Supports(r.Context(), c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sups == nil {
		sups = []children.Support{}
	}
	s.data(w, http.StatusOK, childJSON{Child: c, CommuneName: s.unitName(r, c.Commune), Supports: sups})
}

// childFilter reads a list's filters from the query string; the registry
// checks them all at once (a number that is not one is out of range).
func childFilter(r *http.Request) children.Filter {
	q := r.URL.Query()
	f := children.Filter{Text: q.Get("q"), Unit: q.Get("unit"), Group: q.Get("group"), Helped: q.Get("helped"),
		Age: q.Get("age"), Cursor: q.Get("next")}
	number := func(name string) int {
		v := q.Get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return -1
		}
		return n
	}
	f.Limit, f.Year = number("limit"), number("year")
	return f
}

func (s *Server) apiListChildren() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, err := s.Children.List(r.Context(), auth.From(r.Context()), childFilter(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		items := page.Items
		if items == nil {
			items = []children.Item{}
		}
		s.list(w, items, page.Total, page.Next)
	})
}

func (s *Server) apiCreateChild() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[children.Input](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Children.Create(r.Context(), auth.From(r.Context()), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusCreated, map[string]any{"id": c.ID, "version": c.Version})
	})
}

func (s *Server) apiGetChild() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Children.Get(r.Context(), auth.From(r.Context()), id)
		s.answerChild(w, r, c, err)
	})
}

func (s *Server) apiUpdateChild() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[children.Input](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Children.Update(r.Context(), auth.From(r.Context()), id, in)
		s.answerChild(w, r, c, err)
	})
}

func (s *Server) apiAddSupport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[children.SupportInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		sp, err := s.Children.AddSupport(r.Context(), auth.From(r.Context()), id, in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.data(w, http.StatusCreated, sp)
	})
}

func (s *Server) apiMatchChildren() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[children.MatchInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		res, err := s.Children.Match(r.Context(), auth.From(r.Context()), in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		hits, elsewhere := res.Hits, res.Elsewhere
		if hits == nil {
			hits = []children.MatchHit{}
		}
		if elsewhere == nil {
			elsewhere = []children.Elsewhere{}
		}
		s.writeJSON(w, http.StatusOK, envelope{"data": hits, "total": len(hits), "next": "", "elsewhere": elsewhere})
	})
}

type mergeInput struct {
	Duplicate int64 `json:"duplicate"`
}

func (s *Server) apiMergeChild() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		in, err := decode[mergeInput](w, r, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Children.Merge(r.Context(), auth.From(r.Context()), id, in.Duplicate)
		s.answerChild(w, r, c, err)
	})
}

func (s *Server) apiUnmergeChild() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.Children.Unmerge(r.Context(), auth.From(r.Context()), id)
		s.answerChild(w, r, c, err)
	})
}

// apiChildOptions lists the registry's option lists (groups, sub-groups,
// kinds of support, …) for forms and programs.
func (s *Server) apiChildOptions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := s.Children.Options()
		out := map[string][]children.Option{}
		for _, l := range []string{children.ListGroup, children.ListSubgroup, children.ListSupportKind,
			children.ListSchoolStatus, children.ListDisabilityType, children.ListDisabilityLevel, children.ListRisk,
			children.ListRelation} {
			out[l] = o.List(l)
		}
		s.data(w, http.StatusOK, out)
	})
}
