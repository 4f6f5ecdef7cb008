package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"treem/internal/auth"
	"treem/internal/config"
	"treem/internal/testenv"
)

// A list page that stops before the last row must give its connection back
// before it reads its children's groups and help: otherwise requests each
// holding one connection while waiting for a second take the whole reader
// pool and never answer (found by the soak test). With a single reader
// connection one such request is enough to show it.
func TestAListPageGivesItsConnectionBackBeforeReadingMore(t *testing.T) {
	h := testenv.NewWith(t, testenv.Options{Config: func(c *config.Config) { c.ReadConns = 1 }})
	ba := h.User(t, auth.CommuneOfficer, "00004")
	for i := range 3 {
		createChild(t, ba, fmt.Sprintf(`{"name":"Lò Thị Mai %c","dob":"2016","sex":"Nữ","commune":"00004","groups":["a"]}`, 'A'+i))
	}
	done := make(chan *testenv.Response, 1)
	go func() { done <- ba.Get(t, "/api/v1/children?limit=1") }()
	select {
	case res := <-done:
		if res.Code != http.StatusOK {
			t.Fatalf("list: %s", res)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a first page of one child did not answer: it waits for a second connection while holding the only one")
	}
}
