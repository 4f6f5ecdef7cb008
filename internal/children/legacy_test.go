package children

import "testing"

func TestLegacyText(t *testing.T) {
	for _, c := range []struct {
		in, want string
		enc      legacyEncoding
	}{
		{"NguyÔn ThÞ Hång", "Nguyễn Thị Hồng", encTCVN3},
		{"Hµ Néi", "Hà Nội", encTCVN3},
		{"§inh V¨n Tr­êng", "Đinh Văn Trường", encTCVN3},
		{"Nguyeãn Thò Hoàng", "Nguyễn Thị Hồng", encVNI},
		{"Ñinh Vaên Tröôøng", "Đinh Văn Trường", encVNI},
		{"Phaïm Ñöùc Huy", "Phạm Đức Huy", encVNI},
		{"Toàn", "Toàn", encUnicode},
		{"Lê Văn Toàn", "Lê Văn Toàn", encUnicode},
		{"Hoàng Thị Lý", "Hoàng Thị Lý", encUnicode},
		{"Lý Thu", "Lý Thu", encUnicode},
		{"Nguyen Van An", "Nguyen Van An", encUnicode},
		{"Bïi ThÞ Thóy", "Bùi Thị Thúy", encTCVN3},
		{"Buøi Thò Thuùy", "Bùi Thị Thúy", encVNI},
		{"Maõ xaõ", "Mã xã", encVNI},
		{"Hoà Bình", "Hoà Bình", encUnicode},
		{"Mai Thị Tuyết", "Mai Thị Tuyết", encUnicode},
		{"Lưu Thị Thủy", "Lưu Thị Thủy", encUnicode},
	} {
		got, enc := toUnicode(c.in)
		if got != c.want || enc != c.enc {
			t.Errorf("%q → %q (%q), want %q (%q)", c.in, got, enc, c.want, c.enc)
		}
	}
}
