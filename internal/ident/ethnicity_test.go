package ident

import (
	"fmt"
	"testing"
)

func TestThereAre54EthnicGroupsCoded01To54(t *testing.T) {
	all := Ethnicities()
	if len(all) != 54 {
		t.Fatalf("%d ethnic groups, want 54", len(all))
	}
	names := map[string]bool{}
	for i, e := range all {
		if want := fmt.Sprintf("%02d", i+1); e.Code != want {
			t.Errorf("entry %d has code %q, want %q", i, e.Code, want)
		}
		if names[e.Name] {
			t.Errorf("name %q appears twice", e.Name)
		}
		names[e.Name] = true
		for _, r := range e.ASCII {
			if r > 127 {
				t.Errorf("%s: ASCII form %q is not ASCII", e.Code, e.ASCII)
				break
			}
		}
		if e.ASCII == "" || key(e.ASCII) != key(e.Name) {
			t.Errorf("%s: ASCII form %q does not fold like %q", e.Code, e.ASCII, e.Name)
		}
	}
	// The anchors named in Quyết định 121-TCTK/PPCĐ.
	for code, name := range map[string]string{
		"01": "Kinh", "02": "Tày", "03": "Thái", "04": "Hoa", "05": "Khơ-me", "06": "Mường",
		"07": "Nùng", "08": "HMông", "09": "Dao", "10": "Gia-rai", "12": "Ê-đê", "17": "Chăm",
		"23": "Bru-Vân Kiều", "52": "Brâu", "53": "Ơ Đu", "54": "Rơ-măm",
	} {
		if e, ok := EthnicityByCode(code); !ok || e.Name != name {
			t.Errorf("EthnicityByCode(%q) = %q, %v; want %q", code, e.Name, ok, name)
		}
	}
}

func TestNoNameOrAliasPointsToTwoGroups(t *testing.T) {
	seen := map[string]string{}
	for _, e := range ethnicities {
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			k := key(n)
			if other, ok := seen[k]; ok && other != e.Code {
				t.Errorf("%q (%s) folds to %q, already used by %s", n, e.Code, k, other)
			}
			seen[k] = e.Code
			if _, err := fmt.Sscanf(k, "%d", new(int)); err == nil {
				t.Errorf("%q (%s) folds to a number", n, e.Code)
			}
		}
	}
}

func TestFindEthnicity(t *testing.T) {
	cases := map[string]string{
		"Kinh": "01", "kinh": "01", "KINH": "01", "Việt": "01", "dân tộc Kinh": "01", "Dân tộc: Kinh": "01",
		"Tày": "02", "tay": "02",
		"người Thái": "03", "Thái Đen": "03",
		"Hoa": "04", "Hán": "04",
		"Khmer": "05", "Khơ Me": "05", "Khơ-me": "05", "khome": "05", "KHƠ-ME": "05", "Khmer Krôm": "05",
		"Mường": "06", "muong": "06",
		"H'Mông": "08", "HMông": "08", "Hmong": "08", "H’Mông": "08", "h mong": "08", "Mông": "08", "Mèo": "08",
		"Dao": "09", "Dao Đỏ": "09",
		"Gia Rai": "10", "Jrai": "10",
		"Ê Đê": "12", "Ede": "12", "Ê-đê": "12", "Rhade": "12",
		"Ba Na": "13", "Bahnar": "13",
		"Xơ Đăng": "14", "Sedang": "14",
		"Cao Lan": "15", "Sán Chỉ": "15",
		"K'Ho": "16", "Cơ Ho": "16",
		"Chàm":    "17",
		"Ra Glai": "21", "X'tiêng": "22", "Stiêng": "22",
		"Bru - Vân Kiều": "23", "Van Kieu": "23", "Bru-Van Kieu": "23",
		"Giẻ Triêng": "27", "Gie Trieng": "27",
		"Khơ Mú": "29", "Khmu": "29",
		"Tà Ôi": "31", "Pa Cô": "31",
		"Hà Nhì": "35", "Chu Ru": "36", "Lào": "37", "La Chí": "38", "La Hủ": "41", "Lự": "42", "Lô Lô": "43",
		"Pà Thẻn": "46", "Cờ Lao": "47", "Co Lao": "47", "Bố Y": "49", "Si La": "50", "Pu Péo": "51",
		"Brâu": "52", "Ơ Đu": "53", "O Du": "53", "Rơ Măm": "54", "Rơ-măm": "54", "Ro Mam": "54",
		"05": "05", "8": "08", " 54 ": "54",
		"Kho\u031b-me": "05", // decomposed ơ
	}
	for in, want := range cases {
		if e, ok := FindEthnicity(in); !ok || e.Code != want {
			t.Errorf("FindEthnicity(%q) = %s %q, %v; want %s", in, e.Code, e.Name, ok, want)
		}
	}
	for _, in := range []string{"", "  ", "dân tộc", "người", "Klingon", "Người nước ngoài", "Khác", "0", "55", "99", "008", "Kinh Hoa"} {
		if e, ok := FindEthnicity(in); ok {
			t.Errorf("FindEthnicity(%q) = %s %q, want no match", in, e.Code, e.Name)
		}
	}
}

func TestEthnicitiesReturnsACopy(t *testing.T) {
	a := Ethnicities()
	a[0].Name = "changed"
	a[0].Aliases[0] = "changed"
	if e, _ := EthnicityByCode("01"); e.Name != "Kinh" || e.Aliases[0] != "Việt" {
		t.Errorf("changing the returned slice changed the table: %+v", e)
	}
}
