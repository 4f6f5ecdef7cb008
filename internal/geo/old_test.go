package geo_test

import (
	"fmt"
	"slices"
	"testing"

	"treem/internal/geo"
)

func TestResolveOld(t *testing.T) {
	tests := []struct {
		old, why string
		want     []string // current codes, "*" after a partial one
	}{
		{"00004", "Phường Trúc Bạch went whole into today's Phường Ba Đình, same code", []string{"00004"}},
		{"00001", "Phường Phúc Xá went whole into Phường Hồng Hà", []string{"00097"}},
		{"00007", "Phường Cống Vị was split between Ngọc Hà and Giảng Võ", []string{"00008*", "00025*"}},
		{"02", "the old province of Hà Giang joined Tuyên Quang", []string{"08"}},
		{"01", "Hà Nội stayed Hà Nội", []string{"01"}},
		{"755", "Huyện Côn Đảo, which had no communes, became Đặc khu Côn Đảo", []string{"26732"}},
		{"06970", "Thị trấn Ba Chẽ went into Xã Ba Chẽ, coded 06978 in the current list", []string{"06978"}},
	}
	u := geo.Default()
	for _, tt := range tests {
		succ, ok := u.ResolveOld(tt.old)
		if !ok {
			t.Errorf("old unit %s is unknown; %s", tt.old, tt.why)
			continue
		}
		var got []string
		for _, s := range succ {
			if cur, _ := u.Get(s.Code); cur != s.Unit {
				t.Errorf("successor %s of %s is not the current unit: %+v", s.Code, tt.old, s.Unit)
			}
			got = append(got, s.Code+map[bool]string{true: "*"}[s.Partial])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("old %s went into %v, want %v: %s", tt.old, got, tt.want, tt.why)
		}
	}
}

func TestResolveOldUnknown(t *testing.T) {
	u := geo.Default()
	for _, code := range []string{"", "99", "00002", "99999", "0004", "001", "000004"} {
		if succ, ok := u.ResolveOld(code); ok || succ != nil {
			t.Errorf("ResolveOld(%q) = %v, %v; want nothing", code, succ, ok)
		}
		if name, ok := u.OldName(code); ok {
			t.Errorf("OldName(%q) = %q, want none", code, name)
		}
	}
}

func TestOldName(t *testing.T) {
	tests := []struct{ code, want string }{
		{"00004", "Phường Trúc Bạch"}, // not today's Phường Ba Đình: old codes are read as old
		{"02", "Tỉnh Hà Giang"},
		{"498", "Huyện Hoàng Sa"},
		{"06970", "Thị trấn Ba Chẽ"},
	}
	u := geo.Default()
	for _, tt := range tests {
		if got, ok := u.OldName(tt.code); !ok || got != tt.want {
			t.Errorf("OldName(%s) = %q, %v; want %q", tt.code, got, ok, tt.want)
		}
	}
}

func TestPredecessors(t *testing.T) {
	tests := []struct {
		code string
		want []string // "code name", "*" after a partial one
	}{
		{"08", []string{"02 Tỉnh Hà Giang", "08 Tỉnh Tuyên Quang"}},
		{"06978", []string{"06886 Xã Hải Lạng*", "06970 Thị trấn Ba Chẽ", "06973 Xã Thanh Sơn", "06982 Xã Nam Sơn", "06988 Xã Đồn Đạc"}},
		{"20333", []string{"498 Huyện Hoàng Sa"}},
		{"99999", nil},
	}
	u := geo.Default()
	for _, tt := range tests {
		var got []string
		for _, p := range u.Predecessors(tt.code) {
			got = append(got, p.Code+" "+p.Name+map[bool]string{true: "*"}[p.Partial])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("unit %s absorbed %q, want %q", tt.code, got, tt.want)
		}
	}

	ba := u.Predecessors("00004")
	for _, want := range []geo.Predecessor{
		{Code: "00004", Name: "Phường Trúc Bạch", Partial: false},
		{Code: "00016", Name: "Phường Ngọc Hà", Partial: true},
	} {
		if !slices.Contains(ba, want) {
			t.Errorf("Phường Ba Đình's predecessors %v lack %v", ba, want)
		}
	}
}

// Every current unit came from somewhere, and the two directions agree.
func TestPredecessorsAndResolveOldAgree(t *testing.T) {
	u := geo.Default()
	all := append(u.Provinces(), u.Communes("")...)
	for _, cur := range all {
		preds := u.Predecessors(cur.Code)
		if len(preds) == 0 {
			t.Errorf("%s %s has no predecessor", cur.Code, cur.FullName)
		}
		for _, p := range preds {
			succ, ok := u.ResolveOld(p.Code)
			i := slices.IndexFunc(succ, func(s geo.Successor) bool { return s.Code == cur.Code })
			if !ok || i < 0 || succ[i].Partial != p.Partial || (len(succ) > 1) != p.Partial {
				t.Errorf("%s %s absorbed %s %s (partial %v), but that went into %s",
					cur.Code, cur.FullName, p.Code, p.Name, p.Partial, fmt.Sprint(succ))
			}
			if name, _ := u.OldName(p.Code); name != p.Name {
				t.Errorf("old %s is %q in OldName and %q in Predecessors", p.Code, name, p.Name)
			}
		}
	}
}
