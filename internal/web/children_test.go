package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"treem/internal/auth"
	"treem/internal/testenv"
)

// createChild registers a child and returns its id.
func createChild(t *testing.T, c *testenv.Client, body string) string {
	t.Helper()
	res := c.Post(t, "/api/v1/children", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create child: %s", res)
	}
	return fmt.Sprint(res.Data(t)["id"])
}

func TestSmokeChild(t *testing.T) {
	testenv.Each(t, func(t *testing.T, h *testenv.Env) {
		ba := h.User(t, auth.CommuneOfficer, "00004")
		id := createChild(t, ba, `{"name":"Lò Thị Mai","dob":"05/05/2016","sex":"Nữ","commune":"00004","groups":["a",{"code":"dd","start":"01/02/2020"}],"phone":"0912 345 678","notes":"bí mật"}`)
		res := ba.Get(t, "/api/v1/children/"+id)
		t.Logf("%s", res)
		res = ba.Patch(t, "/api/v1/children/"+id, `{"version":1,"name":"Lò Thị Mây","groups":["a"]}`)
		t.Logf("%s", res)
		res = ba.Get(t, "/api/v1/children?q=may")
		t.Logf("%s", res)
		res = ba.Get(t, "/api/v1/children")
		t.Logf("%s", res)
		res = ba.Post(t, "/api/v1/children/match", `{"name":"Lo Thi May","dob":"2016"}`)
		t.Logf("%s", res)
	})
}
