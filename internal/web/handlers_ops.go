package web

import (
	"context"
	_ "embed"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"treem/internal/errs"
)

func (s *Server) healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
}

// readyz answers 200 only when the database answers within a second.
func (s *Server) readyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.DB.Ping(ctx); err != nil {
			s.Log.Warn("not ready", "err", err.Error())
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unreachable\n"))
			return
		}
		w.Write([]byte("ready\n"))
	})
}

// static serves the embedded assets; a request carrying the content hash
// (?v=…, which pages always add) may be cached for a year.
func (s *Server) static() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			s.fail(w, r, errs.NotFound("file"))
			return
		}
		if v := r.URL.Query().Get("v"); v != "" && v == s.tmpl.hashes[r.URL.Path] {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	}))
}

//go:embed openapi.json
var openAPI []byte

func (s *Server) openapi() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
}

// apiNotFound answers unknown API paths in the API's error shape.
func (s *Server) apiNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errs.NotFound("route"))
	})
}
