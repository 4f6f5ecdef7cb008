package ident

import (
	"slices"
	"strconv"
	"strings"
)

// Ethnicity is one of Vietnam's 54 ethnic groups (dân tộc).
type Ethnicity struct {
	Code    string   // "01".."54"
	Name    string   // official Vietnamese name, "Khơ-me"
	ASCII   string   // Name without diacritics, "Kho-me", for systems that cannot take Unicode
	Aliases []string // other names and spellings FindEthnicity also accepts
}

// ethnicities is the list of Quyết định 121-TCTK/PPCĐ (Tổng cục Thống kê,
// 02/03/1979), "Danh mục các thành phần dân tộc Việt Nam": codes 01–54 in
// the decision's order (by population in 1979), official names as written
// there. Aliases come from the decision's "other names" column and from
// spellings common in records (English, Latin-script ethnonyms); an alias
// that the decision gives to two groups is left out, so that a match is
// never a guess.
//
// Beware: Quyết định 1019/QĐ-TCTK (2008) renumbered the list (04 Mường,
// 05 Khơ-me, 06 Hoa, …). Data exchanged with a system using the 2008 codes
// must be mapped by name, not by code.
var ethnicities = []Ethnicity{
	{Code: "01", Name: "Kinh", Aliases: []string{"Việt", "Kinh (Việt)", "Vietnamese"}},
	{Code: "02", Name: "Tày", Aliases: []string{"Ngạn", "Phén", "Thù Lao", "Pa Dí"}},
	{Code: "03", Name: "Thái", Aliases: []string{"Thái Trắng", "Thái Đen", "Tày Khao", "Tày Đăm", "Tày Mười", "Tày Thanh", "Pa Thay", "Thổ Đà Bắc"}},
	{Code: "04", Name: "Hoa", Aliases: []string{"Hán", "Triều Châu", "Phúc Kiến", "Quảng Đông", "Hải Nam", "Xạ Phạng", "Hẹ", "Chinese"}},
	{Code: "05", Name: "Khơ-me", Aliases: []string{"Khmer", "Khơ Me", "Khmer Krôm", "Khơ-me Krôm", "Khmer Krom", "Việt gốc Miên", "Miên", "Cur", "Cul"}},
	{Code: "06", Name: "Mường", Aliases: []string{"Mol", "Mual", "Ao Tá", "Âu Tá"}},
	{Code: "07", Name: "Nùng", Aliases: []string{"Xuồng", "Giang", "Nùng An", "Phàn Slinh", "Nùng Cháo", "Nùng Lòi", "Quý Rim", "Khèn Lài"}},
	{Code: "08", Name: "HMông", Aliases: []string{"H'Mông", "Hmong", "H'mong", "Mông", "Mèo", "Mẹo", "Mèo Xanh", "Mèo Đỏ", "Mèo Đen", "Ná Mẻo", "Mán Trắng"}},
	{Code: "09", Name: "Dao", Aliases: []string{"Mán", "Động", "Dao Đỏ", "Dao Tiền", "Dao Quần Chẹt", "Dao Quần Trắng", "Dao Thanh Y", "Dao Lan Tẻn", "Dao Lô Gang", "Đại Bản", "Tiểu Bản", "Cóc Ngáng", "Cóc Mùn", "Sơn Đầu", "Yao"}},
	{Code: "10", Name: "Gia-rai", Aliases: []string{"Jrai", "J'rai", "Giơ-rai", "Chơ-rai", "Tơ-buăn", "Hđrung", "Hơ-bau"}},
	{Code: "11", Name: "Ngái", Aliases: []string{"Xín", "Đản", "Khách Gia"}},
	{Code: "12", Name: "Ê-đê", Aliases: []string{"Ede", "Rhade", "Ra-đê", "Êgar", "Kpạ", "A-đham", "Ktul", "Đliê Hruê", "Bih"}},
	{Code: "13", Name: "Ba-na", Aliases: []string{"Bahnar", "Gơ-lar", "Tơ-lô", "Giơ-lâng", "Y-lăng", "Rơ-ngao", "Krem", "Roh", "Kon Kđe", "A-la Công", "Kpăng Công", "Bơ-nâm"}},
	{Code: "14", Name: "Xơ-đăng", Aliases: []string{"Sedang", "Xơ-teng", "Hđang", "Tơ-đra", "Mơ-nâm", "Ha-lăng", "Ca-dong", "Kmrâng", "Con Lan", "Bri-la"}},
	{Code: "15", Name: "Sán Chay", Aliases: []string{"Cao Lan", "Sán Chỉ", "Cao Lan - Sán Chỉ", "Mán Cao Lan", "Hờn Bạn"}},
	{Code: "16", Name: "Cơ-ho", Aliases: []string{"K'Ho", "Koho", "Kơho", "Xrê", "Nốp", "Tu-lốp", "Cơ-don", "Tơ-ring"}},
	{Code: "17", Name: "Chăm", Aliases: []string{"Chàm", "Chiêm Thành", "Chăm Hroi", "Hroi"}},
	{Code: "18", Name: "Sán Dìu", Aliases: []string{"Sán Dẻo", "Mán Quần Cộc"}},
	{Code: "19", Name: "Hrê", Aliases: []string{"H're", "H'rê", "Chăm Rê", "Chom", "Thượng Ba Tơ", "Mọi Lũy", "Mọi Sơn Phòng", "Mọi Đá Vách", "Chăm Quảng Ngãi", "Man Thạch Bích"}},
	{Code: "20", Name: "Mnông", Aliases: []string{"M'Nông", "Mơ Nông", "Pnông", "Mnông Nông", "Mnông Prê", "Bu-đâng", "Biat", "Mnông Gar", "Mnông Rơ-lam"}},
	{Code: "21", Name: "Ra-glai", Aliases: []string{"Raglai", "Ra Glay", "Ra-clây", "Rai", "La-oang", "Noang"}},
	{Code: "22", Name: "Xtiêng", Aliases: []string{"X'tiêng", "Stiêng", "Stieng", "Xa-điêng"}},
	{Code: "23", Name: "Bru-Vân Kiều", Aliases: []string{"Bru", "Vân Kiều", "Măng Coong", "Trì", "Khùa"}},
	{Code: "24", Name: "Thổ", Aliases: []string{"Kẹo", "Mọn", "Cuối", "Đan Lai", "Ly Hà", "Tày Poọng"}},
	{Code: "25", Name: "Giáy", Aliases: []string{"Nhắng", "Dẩng", "Cùi Chu"}},
	{Code: "26", Name: "Cơ-tu", Aliases: []string{"Katu", "Ca-tu", "Kơ Tu"}},
	{Code: "27", Name: "Gié-Triêng", Aliases: []string{"Giẻ Triêng", "Gié", "Giẻ", "Triêng", "Ta-riêng", "Ve", "Veh", "La-ve", "Bnoong"}},
	{Code: "28", Name: "Mạ", Aliases: []string{"Châu Mạ", "Mạ Ngăn", "Mạ Xóp", "Mạ Tô", "Mạ Krung"}},
	{Code: "29", Name: "Khơ-mú", Aliases: []string{"Khmu", "Kmhmu", "Khơ Mú", "Xá Cẩu", "Mứn Xen", "Pu Thênh", "Tày Hay"}},
	{Code: "30", Name: "Co", Aliases: []string{"Cor", "Col", "Cùa", "Trầu"}},
	{Code: "31", Name: "Tà-ôi", Aliases: []string{"Ta Oi", "Tà Ôi", "Tôi-ôi", "Pa-co", "Pa Cô", "Pa-hi", "Ba-hi"}},
	{Code: "32", Name: "Chơ-ro", Aliases: []string{"Chro", "Chrau", "Đơ-ro", "Châu-ro"}},
	{Code: "33", Name: "Kháng", Aliases: []string{"Xá Khao", "Xá Súa", "Xá Dón", "Xá Dẩng", "Xá Hốc", "Xá Ái", "Xá Bung", "Quảng Lâm"}},
	{Code: "34", Name: "Xinh-mun", Aliases: []string{"Xinh Mun", "Puộc", "Pụa"}},
	{Code: "35", Name: "Hà Nhì", Aliases: []string{"U Ni", "Xá U Ni", "Hani"}},
	{Code: "36", Name: "Chu-ru", Aliases: []string{"Chơ-ru", "Churu"}},
	{Code: "37", Name: "Lào", Aliases: []string{"Lào Bốc", "Lào Nọi"}},
	{Code: "38", Name: "La Chí", Aliases: []string{"Cù Tê", "La Quả"}},
	{Code: "39", Name: "La Ha", Aliases: []string{"Khlá Phlạo"}},
	{Code: "40", Name: "Phù Lá", Aliases: []string{"Bồ Khô Pạ", "Mu Di", "Pạ Xá", "Phó", "Phổ", "Va Xơ"}},
	{Code: "41", Name: "La Hủ", Aliases: []string{"Pu Đang", "Khù Xung", "Cò Xung", "Khả Quy", "Lahu"}},
	{Code: "42", Name: "Lự", Aliases: []string{"Lừ", "Nhuồn", "Duôn"}},
	{Code: "43", Name: "Lô Lô", Aliases: []string{"Mun Di", "Màn Di", "Ô Man", "Lu Lộc Màn"}},
	{Code: "44", Name: "Chứt", Aliases: []string{"Rục", "Sách", "Mày", "A-rem", "Mã Liềng"}},
	{Code: "45", Name: "Mảng", Aliases: []string{"Mảng Ư"}},
	{Code: "46", Name: "Pà Thẻn", Aliases: []string{"Pà Hưng", "Tống"}},
	{Code: "47", Name: "Cơ Lao", Aliases: []string{"Cờ Lao", "Co Lao", "Gelao"}},
	{Code: "48", Name: "Cống", Aliases: []string{"Xắm Khống", "Mấng Nhé", "Xá Xeng"}},
	{Code: "49", Name: "Bố Y", Aliases: []string{"Chủng Chá", "Trọng Gia", "Tu Dí", "Tu Din", "Bouyei"}},
	{Code: "50", Name: "Si La", Aliases: []string{"Cù Dề Xừ", "Khả Pẻ"}},
	{Code: "51", Name: "Pu Péo", Aliases: []string{"Ka Pèo", "Pen Ti Lô Lô", "Pu Piéo"}},
	{Code: "52", Name: "Brâu", Aliases: []string{"Brao", "B'râu"}},
	{Code: "53", Name: "Ơ Đu", Aliases: []string{"Ơ-đu", "Tày Hạt", "Odu"}},
	{Code: "54", Name: "Rơ-măm", Aliases: []string{"Rơ Măm", "Romam"}},
}

// ethnicityIndex maps the folded name, ASCII name and aliases to an entry.
var ethnicityIndex = func() map[string]int {
	m := map[string]int{}
	for i := range ethnicities {
		e := &ethnicities[i]
		e.ASCII = ascii(e.Name)
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			if _, dup := m[key(n)]; !dup { // first wins; a test forbids clashes
				m[key(n)] = i
			}
		}
	}
	return m
}()

// Ethnicities returns the 54 groups in code order. The slice is a copy.
func Ethnicities() []Ethnicity {
	out := slices.Clone(ethnicities)
	for i := range out {
		out[i].Aliases = slices.Clone(out[i].Aliases)
	}
	return out
}

// EthnicityByCode returns the group with the given code, "08" or "8".
func EthnicityByCode(code string) (Ethnicity, bool) {
	code = strings.TrimSpace(code)
	if len(code) < 1 || len(code) > 2 || !allDigits(code) {
		return Ethnicity{}, false
	}
	n, _ := strconv.Atoi(code)
	if n < 1 || n > len(ethnicities) {
		return Ethnicity{}, false
	}
	return clone(ethnicities[n-1]), true
}

// FindEthnicity finds a group by name, ignoring case, diacritics, spaces,
// hyphens and apostrophes, and a leading "dân tộc" or "người": "kinh",
// "H'Mông", "Hmong", "Khmer", "Khơ Me", "người Thái" all match. A code
// ("05") is accepted too.
func FindEthnicity(name string) (Ethnicity, bool) {
	w := words(name)
	switch {
	case len(w) >= 2 && w[0] == "dan" && w[1] == "toc":
		w = w[2:]
	case len(w) >= 1 && w[0] == "nguoi":
		w = w[1:]
	}
	k := strings.Join(w, "")
	if k == "" {
		return Ethnicity{}, false
	}
	if i, ok := ethnicityIndex[k]; ok {
		return clone(ethnicities[i]), true
	}
	return EthnicityByCode(k)
}

func clone(e Ethnicity) Ethnicity {
	e.Aliases = slices.Clone(e.Aliases)
	return e
}
