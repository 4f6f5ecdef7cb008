package geo_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"treem/internal/geo"
)

func TestThereAre34ProvincesAnd3321Communes(t *testing.T) {
	u := geo.Default()

	provinces := u.Provinces()
	communes := u.Communes("")

	if len(provinces) != 34 {
		t.Errorf("%d provinces, want 34", len(provinces))
	}
	if len(communes) != 3321 {
		t.Errorf("%d communes, want 3,321", len(communes))
	}
	if !slices.IsSortedFunc(provinces, byCode) || !slices.IsSortedFunc(communes, byCode) {
		t.Error("provinces or communes are not listed by code")
	}
	perProvince := 0
	for _, p := range provinces {
		if p.Level != geo.LevelProvince || p.Province != p.Code || (p.Type != geo.TypeTinh && p.Type != geo.TypeThanhPho) {
			t.Errorf("province %s %s: level %q, province %q, type %q", p.Code, p.Name, p.Level, p.Province, p.Type)
		}
		cs := u.Communes(p.Code)
		if len(cs) == 0 || !slices.IsSortedFunc(cs, byCode) {
			t.Errorf("province %s %s has %d communes, or not by code", p.Code, p.Name, len(cs))
		}
		perProvince += len(cs)
	}
	if perProvince != 3321 {
		t.Errorf("the provinces' communes add up to %d, want 3,321", perProvince)
	}
	for _, c := range communes {
		p, ok := u.Get(c.Province)
		if !ok || p.Level != geo.LevelProvince {
			t.Errorf("commune %s %s is in province %q, which does not exist", c.Code, c.FullName, c.Province)
		}
		if c.Level != geo.LevelCommune || (c.Type != geo.TypePhuong && c.Type != geo.TypeXa && c.Type != geo.TypeDacKhu) {
			t.Errorf("commune %s %s: level %q, type %q", c.Code, c.FullName, c.Level, c.Type)
		}
		if u.ProvinceOf(c.Code) != c.Province {
			t.Errorf("ProvinceOf(%s) = %q, want %q", c.Code, u.ProvinceOf(c.Code), c.Province)
		}
		if c.Name == "" || c.NameEn == "" || c.FullName == "" || c.FullNameEn == "" {
			t.Errorf("commune %s lacks a name: %+v", c.Code, c)
		}
	}
}

func byCode(a, b geo.Unit) int { return strings.Compare(a.Code, b.Code) }

func TestKnownUnits(t *testing.T) {
	tests := []struct {
		code, fullName, typ, province string
		level                         geo.Level
	}{
		{"01", "Thành phố Hà Nội", geo.TypeThanhPho, "01", geo.LevelProvince},
		{"08", "Tỉnh Tuyên Quang", geo.TypeTinh, "08", geo.LevelProvince},
		{"75", "Thành phố Đồng Nai", geo.TypeThanhPho, "75", geo.LevelProvince}, // a city since Nghị quyết 30/2026/QH16
		{"00004", "Phường Ba Đình", geo.TypePhuong, "01", geo.LevelCommune},
		{"16171", "Xã Ba Đình", geo.TypeXa, "38", geo.LevelCommune},
		{"20333", "Đặc khu Hoàng Sa", geo.TypeDacKhu, "48", geo.LevelCommune},  // Đà Nẵng
		{"22736", "Đặc khu Trường Sa", geo.TypeDacKhu, "56", geo.LevelCommune}, // Khánh Hòa
		{"06978", "Xã Ba Chẽ", geo.TypeXa, "22", geo.LevelCommune},
		{"24184", "Xã Ea H'Leo", geo.TypeXa, "66", geo.LevelCommune},
	}
	u := geo.Default()
	for _, tt := range tests {
		got, ok := u.Get(tt.code)
		if !ok {
			t.Errorf("unit %s (%s) not found", tt.code, tt.fullName)
			continue
		}
		if got.FullName != tt.fullName || got.Type != tt.typ || got.Province != tt.province || got.Level != tt.level {
			t.Errorf("unit %s is %q, type %q, province %q, level %q; want %q, %q, %q, %q",
				tt.code, got.FullName, got.Type, got.Province, got.Level, tt.fullName, tt.typ, tt.province, tt.level)
		}
	}
}

func TestUnknownCodesAreAbsent(t *testing.T) {
	u := geo.Default()
	for _, code := range []string{"", "1", "99", "02", "0000", "000004", "99999", "498", " 00004"} {
		if got, ok := u.Get(code); ok {
			t.Errorf("Get(%q) found %s %s", code, got.Code, got.FullName)
		}
		if p := u.ProvinceOf(code); p != "" {
			t.Errorf("ProvinceOf(%q) = %q, want none", code, p)
		}
	}
	if cs := u.Communes("99"); len(cs) != 0 {
		t.Errorf("unknown province 99 has %d communes", len(cs))
	}
}

func TestSpecialZonesAreInTheirProvinces(t *testing.T) {
	u := geo.Default()
	for _, z := range []struct{ province, code string }{{"48", "20333"}, {"56", "22736"}} {
		if !slices.ContainsFunc(u.Communes(z.province), func(c geo.Unit) bool { return c.Code == z.code }) {
			t.Errorf("đặc khu %s is not among the communes of province %s", z.code, z.province)
		}
	}
}

func TestReturnedSlicesAreTheCallersOwn(t *testing.T) {
	u := geo.Default()
	ps := u.Provinces()
	ps[0].Name = "changed"
	cs := u.Communes("01")
	cs[0].Name = "changed"
	all := u.Communes("")
	all[0].Name = "changed"
	hits, _ := u.Search(geo.Query{Text: "ba dinh"})
	hits[0].Name = "changed"

	if p, _ := u.Get("01"); p.Name != "Hà Nội" {
		t.Errorf("changing a returned province changed the list: %q", p.Name)
	}
	if c, _ := u.Get("00004"); c.Name != "Ba Đình" {
		t.Errorf("changing a returned commune changed the list: %q", c.Name)
	}
}

func TestDefaultIsParsedOnceAndSafeToShare(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*geo.Units, 8)
	for i := range got {
		wg.Go(func() {
			got[i] = geo.Default()
			got[i].Search(geo.Query{Text: "phuong"})
		})
	}
	wg.Wait()
	for _, u := range got {
		if u != got[0] {
			t.Fatal("Default returned different lists")
		}
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		scope, code string
		want        bool
		why         string
	}{
		{"", "00004", true, "the nation covers a commune"},
		{"", "01", true, "the nation covers a province"},
		{"", "", true, "the nation covers a record with no place"},
		{"01", "01", true, "a province covers itself"},
		{"01", "00004", true, "Hà Nội covers Ba Đình"},
		{"01", "16171", false, "Hà Nội does not cover Xã Ba Đình of Thanh Hóa"},
		{"01", "38", false, "a province does not cover another"},
		{"01", "", false, "a province does not cover a record with no place"},
		{"48", "20333", true, "Đà Nẵng covers Hoàng Sa"},
		{"00004", "00004", true, "a commune covers itself"},
		{"00004", "00008", false, "a commune does not cover its neighbour"},
		{"00004", "01", false, "a commune does not cover its province"},
		{"02", "02", false, "an old province code is no scope"},
		{"99", "00004", false, "an unknown scope covers nothing"},
		{"01", "99999", false, "an unknown code is not covered by a province"},
	}
	u := geo.Default()
	for _, tt := range tests {
		if got := u.Covers(tt.scope, tt.code); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v, want %v: %s", tt.scope, tt.code, got, tt.want, tt.why)
		}
	}
}

func TestNoticesNameBothSources(t *testing.T) {
	n := geo.Notices()
	for _, want := range []string{"Thang Le Quoc", "dvhcvn", "MIT License"} {
		if !strings.Contains(n, want) {
			t.Errorf("licence notices do not mention %q", want)
		}
	}
}
