package web_test

import (
	"strings"
	"testing"

	"treem/internal/testenv"
)

// Every API route is in the OpenAPI description with its method, and the
// description names no route that does not exist.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	h := testenv.New(t)
	res := h.Anonymous().Get(t, "/api/v1/openapi.json")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	res.JSON(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not OpenAPI 3: %q", doc.OpenAPI)
	}
	routes := map[string]bool{}
	for _, r := range h.App.Web.Routes() {
		method, path, ok := strings.Cut(r.Pattern, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		key := strings.ToLower(method) + " " + path
		routes[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("%s is not in openapi.json", r.Pattern)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !routes[method+" "+path] {
				t.Errorf("openapi.json describes %s %s, which is no route", strings.ToUpper(method), path)
			}
		}
	}
}
