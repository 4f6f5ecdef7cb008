package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"treem/internal/ident"
)

// pool is a list of name parts drawn by weight.
type pool struct {
	words []string
	pick  *alias
}

func (p *pool) draw(r *rand.Rand) string { return p.words[p.pick.draw(r)] }

// weighted builds a pool from "Word:weight" items separated by commas; an
// item without a weight counts 1. "-" stands for no word (a name without a
// middle name).
func weighted(spec string) *pool {
	p := &pool{}
	var w []float64
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		word, weight := item, 1.0
		if i := strings.LastIndexByte(item, ':'); i >= 0 {
			word = item[:i]
			weight, _ = strconv.ParseFloat(item[i+1:], 64)
		}
		if word == "-" {
			word = ""
		}
		p.words = append(p.words, word)
		w = append(w, weight)
	}
	p.pick = newAlias(w)
	return p
}

// ranked builds a pool from a comma-separated list in order of popularity,
// with Zipf-like weights 1/rank^s: the shape of given-name frequencies.
func ranked(spec string, s float64) *pool {
	p := &pool{}
	seen := map[string]bool{}
	for item := range strings.SplitSeq(spec, ",") {
		if item = strings.TrimSpace(item); item != "" && !seen[item] {
			seen[item] = true
			p.words = append(p.words, item)
		}
	}
	p.pick = newAlias(zipf(len(p.words), s))
	return p
}

// Family names of the Kinh majority. Shares follow the commonly cited
// figures (Nguyễn about 38%, Trần 11%, Lê 9.5%, Phạm 7%, Hoàng/Huỳnh 5.1%,
// Phan 4.5%, Vũ/Võ 3.9%, Đặng 2.1%, Bùi 2%, Đỗ 1.4%, Hồ 1.3%, Ngô 1.3%,
// Dương 1%, Lý 0.5%) with a long tail; Hoàng and Vũ are northern spellings,
// Huỳnh and Võ southern ones of the same names.
const kinhTail = `Đinh:0.4, Đoàn:0.35, Lâm:0.3, Mai:0.3, Trịnh:0.3, Trương:0.3, Lương:0.3, Đào:0.3,
	Cao:0.25, Hà:0.25, Tạ:0.2, Châu:0.2, Chu:0.15, Tô:0.15, Thái:0.15, Lưu:0.15, Phùng:0.15,
	Quách:0.1, Vương:0.1, Kiều:0.1, Lại:0.1, Triệu:0.1, Tăng:0.08, Thân:0.06, Hứa:0.05, La:0.05,
	Mạc:0.05, Nghiêm:0.05, Kim:0.05, Tôn:0.05, Đàm:0.05, Tống:0.05, Đậu:0.05, Khúc:0.04, Âu:0.04,
	Giang:0.04, Doãn:0.04, Từ:0.04, Lã:0.04, Đồng:0.04, Lục:0.03, Khổng:0.03, Cù:0.03, Ninh:0.03,
	Phí:0.03, Quan:0.03, Hàn:0.03, Diệp:0.03, Bạch:0.03, Ông:0.03, Văn:0.03, Nông:0.03, Lạc:0.02,
	Mẫn:0.02, Ung:0.02, Viên:0.02, Trình:0.02, Vi:0.02, Mã:0.02, Quản:0.02, Khương:0.02, Kha:0.02,
	Tiêu:0.02, Thạch:0.02, Nhữ:0.01, Lỗ:0.01, Hầu:0.01, Bế:0.01, Cấn:0.02, Chử:0.02, Yên:0.01,
	Phó:0.01, Sầm:0.01, Ngụy:0.02, Lò:0.01, Giáp:0.02, Võ Đình:0.005`

var (
	kinhFamilyNorth = weighted(`Nguyễn:38, Trần:11, Lê:9.5, Phạm:7, Hoàng:4.5, Huỳnh:0.6, Phan:4.5,
		Vũ:3.5, Võ:0.4, Đặng:2.1, Bùi:2, Đỗ:1.4, Hồ:1.3, Ngô:1.3, Dương:1, Lý:0.5, ` + kinhTail)
	kinhFamilyCentre = weighted(`Nguyễn:38, Trần:11, Lê:9.5, Phạm:7, Hoàng:2.5, Huỳnh:2.6, Phan:4.5,
		Vũ:1.4, Võ:2.5, Đặng:2.1, Bùi:2, Đỗ:1.4, Hồ:1.3, Ngô:1.3, Dương:1, Lý:0.5, ` + kinhTail)
	kinhFamilySouth = weighted(`Nguyễn:38, Trần:11, Lê:9.5, Phạm:7, Hoàng:1, Huỳnh:4.1, Phan:4.5,
		Vũ:0.5, Võ:3.4, Đặng:2.1, Bùi:2, Đỗ:1.4, Hồ:1.3, Ngô:1.3, Dương:1, Lý:0.5, ` + kinhTail)

	// Middle names (tên đệm). Văn and Thị dominate in older and rural
	// families, less so in towns; a few children have none, some two.
	kinhMiddle = [2]*pool{
		weighted(`Văn:28, Minh:9, Đức:7, Gia:5, Quang:5, Hoàng:4, Hữu:4, Bảo:4, Công:3, Thanh:3,
			Anh:3, Đình:3, Duy:3, Quốc:3, Ngọc:2, Xuân:2, Tuấn:2, Trung:2, Nhật:2, Thế:2, Đăng:2,
			Tiến:1.5, Hải:1.5, Thành:1.5, Việt:1.5, Trọng:1.5, Khánh:1.5, Tấn:1.5, Chí:1.5, Mạnh:1,
			Hồng:1, Phúc:1, Hoài:1, Huy:1, Thiên:1, Kim:0.5, Phú:0.5, Trí:0.5, Như:0.3, Thái:0.5,
			Văn Minh:0.5, Minh Đức:0.3, Hoàng Gia:0.3, Bá:0.7, Khắc:0.5, Viết:0.5, Hùng:0.3, -:3`),
		weighted(`Thị:30, Ngọc:7, Bảo:4, Thu:3, Thanh:3, Minh:3, Khánh:3, Phương:2, Hồng:2, Mai:2,
			Thảo:2, Kim:2, Gia:2, Thùy:2, Hà:1.5, Mỹ:1.5, Hải:1.5, Hoài:1, Quỳnh:1, Diệu:1, Tuệ:1,
			Cẩm:1, Lan:1, Như:1, Bích:1, Ánh:1, Yến:0.5, Tú:0.5, An:0.5, Tường:0.5, Thiên:0.5,
			Hương:0.5, Vân:0.5, Linh:0.5, Thị Thu:2, Thị Thanh:1, Thị Ngọc:1, Thị Hồng:0.8,
			Thị Kim:0.8, Thị Mỹ:0.6, Thị Thúy:0.5, Thị Minh:0.5, Thị Bích:0.4, Ngọc Bảo:0.3,
			Bảo Ngọc:0.3, Xuân:0.5, Huyền:0.3, -:2`),
	}

	// Given names, in rough order of popularity among children born
	// 2010–2025; weights fall off as 1/rank^0.6.
	kinhGiven = [2]*pool{
		ranked(`Minh, Anh, Huy, Khang, Bảo, Phúc, Nam, Khôi, Đức, Long, Quân, Hoàng, Phát, Đạt,
			Tuấn, Duy, Hưng, Kiên, Thịnh, Nhân, Khoa, Lâm, Phong, Trí, Vinh, Hải, Thành, Tùng,
			Trung, Dũng, Hiếu, Sơn, Tài, Việt, Thắng, Hùng, Toàn, Quang, Cường, Hiển, Khánh,
			Thiện, Lộc, Tâm, An, Bình, Vũ, Nghĩa, Tú, Hậu, Kiệt, Nguyên, Thái, Tiến, Tín, Sang,
			Tân, Trường, Quý, Phước, Hòa, Lực, Mạnh, Định, Đông, Giang, Hiệp, Khải, Khiêm, Luân,
			Nhật, Phú, Quyết, Thông, Trọng, Tường, Vương, Vỹ, Bách, Chiến, Công, Danh, Đăng,
			Hào, Hoàn, Huân, Hợp, Khương, Lân, Lợi, Ninh, Phi, Sỹ, Thạch, Thuận, Toản, Triều,
			Uy, Vĩnh, Xuân, Đại, Khoát, Lập, Nhất, Quyền, Tấn, Thiên, Thức, Trực, Tuệ, Vĩ,
			Vượng, Bằng, Biên, Cảnh, Chính, Chung, Đoàn, Hiền, Huấn, Kha, Lĩnh, Luật, Mẫn,
			Nguyện, Quảng, Sinh, Tạo, Thọ, Trình, Tuân, Tuyển, Vịnh, Ân, Bắc, Cần, Châu, Chương,
			Diệu, Doanh, Dương, Đan, Đạo, Điền, Đôn, Hạ, Hành, Hân, Hậu, Hiên, Hoan, Hội, Hưởng,
			Kỳ, Khanh, Khoan, Kính, Lai, Lãm, Lễ, Lượng, Minh Khang, Mỹ, Nhâm, Nhựt, Pháp,
			Phụng, Quế, Quyền, Sáng, Sâm, Song, Sử, Tả, Tâm Anh, Thanh, Thăng, Thể, Thiệu,
			Thìn, Thoại, Thống, Thục, Tiệp, Tính, Trác, Trãi, Trạch, Trị, Trúc, Tuyên, Tý,
			Ứng, Văn, Vân, Viễn, Võ, Vui, Xuyên, Yên, Bính, Cát, Chánh, Dân, Dinh, Đảm, Đồng,
			Giáp, Hanh, Hiển Vinh, Hỷ, Khiết, Kiều, Lạc, Liêm, Lĩnh, Mậu, Nam Khánh, Ngạn,
			Nghị, Nhạn, Phiên, Phượng, Quốc, Sa, Sĩ, Tá, Tài Đức, Thạnh, Thắm, Thiêm, Thuấn,
			Thường, Tỉnh, Toại, Tráng, Trinh, Từ, Tư, Tưởng, Út, Vạn, Vệ, Viên, Vọng`, 0.6),
		ranked(`Anh, Linh, Ngọc, Nhi, Vy, Hân, Thư, Trang, My, Chi, Hà, Thảo, Hương, Mai, Như,
			Uyên, Quỳnh, Giang, Phương, Vân, Yến, Trâm, Ly, Hằng, Nhung, Huyền, Lan, Châu, Tiên,
			Ngân, Diệp, An, Khánh, Hoa, Thủy, Hiền, Tâm, Thanh, Hạnh, Oanh, Duyên, Nga, Tú, Hồng,
			Loan, Nguyệt, Thương, Trinh, Xuân, Dung, Ánh, Bích, Diễm, Điệp, Đào, Hậu, Huệ, Hoài,
			Kim, Kiều, Lam, Lệ, Liên, Liễu, Mơ, Mến, Minh, Na, Nhàn, Nhiên, Phượng, Quế, Sen,
			Thắm, Thơ, Thoa, Trà, Trúc, Tuyết, Tươi, Vi, Việt, Xoan, Ngoan, Huyên, Khuê, Mỹ,
			Nguyên, Nhã, Quyên, Sương, Thi, Thục, Thùy, Tình, Tuyền, Hảo, Lành, Lý, Miên, Ngà,
			Nhạn, Sa, Son, Thêu, Thúy, Tịnh, Tố, Uyển, Xuyến, Ý, Gấm, Hạ, Hiên, Hường, Khuyên,
			Lài, Lụa, Mận, Mây, Mùi, Nương, Phấn, Phúc, Quý, Quyền, Thanh Hà, Thắng, Thiện,
			Thu, Thuần, Thuận, Trầm, Tú Anh, Tường, Út, Vàng, Yên, Bảo Anh, Băng, Bình, Cúc,
			Diệu, Duyên Anh, Đan, Đông, Giao, Hằng Nga, Hòa, Hợi, Kha, Khanh, Lâm, Lê, Lộc,
			Luyến, Mai Anh, Miến, Mừng, Ngát, Nghi, Nhị, Nhung Anh, Nhường, Nụ, Phi, Phụng,
			Quyết, Sáu, Sinh, Tài, Tân, Tấm, Thạch, Thái, Thảo My, Thịnh, Thoại, Thuyên, Tiền,
			Tính, Toan, Trà My, Triều, Trung, Tư, Tuệ, Tuyến, Uyên Nhi, Vĩnh, Vui, Xinh, Xuyên,
			Yêu, Ái, Bé, Chinh, Chúc, Dạ, Dịu, Đoan, Gái, Hạnh Nguyên, Hiếu, Huế, Hứa, Kết,
			Khải, Khoa, Lạc, Lợi, Lựu, Minh Thư, Na Na, Ngọc Hân, Nhất, Ninh, Phong, Quỳnh Anh`, 0.6),
	}
)

// Names of ethnic minorities. The lists are short but keep each group's
// shape: HMông names with the male middle names A, Seo, Mí; Thái family
// names Lò, Lường, Quàng, Cầm; Ê Đê names in the order Y (men) or H'
// (women), given name, clan; Ba Na and Xơ Đăng names of Kon Tum without a
// family name ("A Thu", "Y Phương"); Khmer names of one or two syllables.
var (
	hmongFamily  = weighted(`Giàng:20, Sùng:15, Vàng:15, Thào:12, Lý:10, Mùa:8, Hờ:6, Lầu:5, Vừ:5, Cứ:3, Tráng:3, Chẻo:2, Ly:3, Hầu:2, Má:2, Sình:2, Lồ:2, Mua:2, Hạng:2, Vư:1`)
	hmongMiddle  = [2]*pool{weighted(`A:25, Seo:20, Mí:10, Văn:25, Chứ:3, -:17`), weighted(`Thị:70, Mí:10, Mỷ:3, -:17`)}
	hmongGiven   = [2]*pool{ranked(`Páo, Dính, Chứ, Sùng, Lử, Pó, Sính, Của, Chúa, Mua, Nhè, Say, Súa, Chư, Dờ, Lềnh, Pàng, Phử, Sử, Tủa, Vảng, Xá, Chông, Cở, Dế, Khua, Lồng, Nủ, Pùa, Sếnh, Tú, Chơ, Giàng, Hờ, Lầu, Nhìa, Vàng, Thào, Sèo, Tồng, Minh, Hùng, Long, Nam, Dũng, Tuấn`, 0.5), ranked(`Mỷ, Dợ, Sua, Dua, Máy, Mẩy, Ca, Dở, Chía, Mái, Nhìa, Pà, Sinh, Sú, Vư, Xua, Chi, Mai, Lan, Ly, Dung, Mua, Pàng, Súa, Dế, Lìa, Sáy, Chở, Mỉ, Xó, Dính, Kía, Lù, Pằng, Dông, Hoa, Linh, Hương, Nhung`, 0.5)}
	daoFamily    = weighted(`Triệu:30, Bàn:25, Đặng:15, Lý:10, Phùng:6, Chảo:5, Tẩn:4, Lò:2, Sần:2, Hoàng:1`)
	daoMiddle    = [2]*pool{weighted(`Văn:50, Láo:12, A:8, Tòn:5, Kim:5, -:20`), weighted(`Thị:70, Mẩy:5, Tả:3, -:22`)}
	daoGiven     = [2]*pool{ranked(`Phin, Sành, Chòi, Sếnh, Páo, Vần, Kiêm, Thiêm, Tả, Chạn, Lở, Slan, Chàn, Quẩy, Phấu, Quyến, Dìn, Chài, Phúc, Tiến, Minh, Hùng, Tài, Chiêu, Kiều`, 0.5), ranked(`Mẩy, Nái, Dua, Kiều, Chiêm, Mùi, Xiêm, Phấy, Nhất, Slan, Chòi, Hòa, Lan, Liên, Mai, Hoa, Mây, Dần, Sinh, Tả, Chỉn, Phương`, 0.5)}
	thaiFamily   = weighted(`Lò:18, Lường:14, Quàng:10, Cầm:10, Tòng:8, Lù:6, Vì:6, Điêu:5, Bạc:4, Lèo:3, Mè:3, Hà:5, Sầm:2, Lộc:2, Khà:2, Ka:1, Hoàng:1, Lê:1, Vi:2, Lang:2, Lữ:2`)
	thaiGiven    = [2]*pool{ranked(`Pấng, Xôm, Khăm, Bun, Piếng, Quyết, Lả, Phanh, Sương, Inh, Chiến, Thoan, Hặc, Ngoan, Lợi, Tiến, Thanh, Hùng, Dũng, Hải, Nam, Minh, Tuấn, Đức, Cường, Phong, Khánh, Hiếu, Thắng, Bình, Sơn, Quân`, 0.6), ranked(`Ún, Ỏn, Xuân, Hoa, Tươi, Ninh, Tiên, Panh, Biên, Ngoan, Inh, Xiêng, Lả, Phương, Vân, Thu, Mai, Hương, Linh, Trang, Hà, Lan, Nhung, Hạnh, Huyền, Yến, Thảo, Nga`, 0.6)}
	tayFamily    = weighted(`Hoàng:18, Nông:16, Lương:8, Triệu:6, Ma:6, Lục:5, Bế:6, Lăng:3, Vi:4, Hà:5, Đàm:3, Chu:3, Lý:3, Mông:2, Hứa:3, Lành:1, Lộc:2, Sầm:1, Nịnh:1, Nguyễn:6, La:2, Đinh:2, Vy:2`)
	muongFamily  = weighted(`Bùi:40, Đinh:25, Quách:8, Hà:10, Xa:4, Cao:3, Bạch:3, Nguyễn:4, Trương:2, Phạm:2`)
	hoaFamily    = weighted(`Lý:12, Trương:10, Quách:6, Lâm:10, Mã:5, Hứa:6, Châu:6, Diệp:5, Lưu:6, Hồng:3, Tăng:4, Thái:3, Tạ:3, Giang:2, Lương:4, La:3, Quan:3, Vương:4, Hà:2, Trần:6, Lục:1, Dương:3, Huỳnh:3`)
	sanFamily    = weighted(`Lỷ:10, Trương:8, Lăng:6, Hoàng:8, Diệp:6, Dương:6, Triệu:6, Tô:4, Lương:5, Hà:4, La:4, Nịnh:3, Vi:3, Đặng:4, Trần:4, Chu:2`)
	khmuFamily   = weighted(`Lò:20, Vi:15, Cụt:10, Moong:10, Lữ:8, Lô:8, Kha:6, Xồng:4, Pịt:4, Cà:5, Ốc:3, Vy:4`)
	haniFamily   = weighted(`Lý:25, Pờ:20, Chu:15, Lò:12, Sần:8, Phu:6, Ly:6, Tẩn:4, Phàn:4`)
	edeClan      = weighted(`Niê:25, Mlô:12, Êban:10, Ayun:6, Byă:6, Hmok:5, Adrơng:6, Ksơr:6, Knul:4, Êya:4, Buôn Yă:3, Ênuôl:4, Kbuôr:3, Hđơk:3, Buôn Krông:3, Mjâo:2, Bkrông:2, Siu:2, Kpă:2, Niê Kdăm:1`)
	edeGiven     = [2]*pool{ranked(`Bih, Moan, Ngôn, Blô, Juin, Hlang, Nguyên, Ruăh, Khuê, Lim, Sang, Kông, Wem, Djuin, Tlam, Yơn, Hnơ, Phi, Ly, Krơ, Thuột, Jôn, Siêng, Dhi, Blung, Bhiơ, Mút, Tuân, Ha, Thái, Kriêng, Nam, Minh, Khoa, Thành`, 0.5), ranked(`Hen, Ong, Yến, Bia, Ngăm, Luyn, Mai, Thu, Linh, Hnơ, Nhi, Duyên, Vy, Ly, Juê, Bhuin, Yim, Răk, Nga, Ni, Wan, Zim, Drin, Ruôn, Djuê, Sương, Hương, Trang, Nhung, Hia`, 0.5)}
	jraiClan     = weighted(`Rơ Châm:12, Ksor:16, Siu:14, Rơ Mah:12, Kpă:10, Nay:8, Rahlan:6, Puih:6, Rcom:4, Hiao:3, Rơ Ô:3, Kpuih:3, Ayun:3, Đinh:3, Rơ Lan:3`)
	jraiGiven    = [2]*pool{ranked(`Bơh, Thiên, Hyưn, Phi, Dun, Wơn, Blen, Nhiên, Yuih, Kiên, Thăk, Đoan, Tin, Hlơi, Glen, Jơn, Lai, Yek, Nhân, Đức, Nam, Hùng, Tuấn, Thắng, Sơn`, 0.5), ranked(`Bia, Mai, Thu, Luyn, Yim, Nhung, Dơk, Phương, Ngun, Hơn, Blih, Lan, Ni, Sa, Hoa, Linh, Nga, Ly, Trang, Yến, Hương, Thảo`, 0.5)}
	banaGiven    = [2]*pool{ranked(`Thu, Sang, Hmưn, Sáu, Tơ, Nhôl, Bưk, Khoan, Blêch, Dơn, Lum, Rơn, Pó, Rót, Tiếp, Vin, Tuấn, Nhoi, Hiêng, Hùng, Nam, Dũng, Minh, Thắng, Lâm, Khiêm, Đức, Duy`, 0.5), ranked(`Phương, Ngọc, Hlin, Kim, Blơr, Nhiên, Hiếu, Mai, Tuyết, Bưi, Hia, Rin, Lan, Nguyệt, Sương, Thanh, Hoa, Linh, Thảo, Nga, Nhung, Trang, Hằng, Hương`, 0.5)}
	highFamily   = weighted(`Đinh:35, Phạm:15, Hồ:15, A Lăng:4, Alăng:3, Bh'riu:3, Clâu:3, Zơ Râm:2, Briu:2, Hôih:2, Pinăng:4, Chamaléa:3, Mấu:2, Katơr:2, Kray:2, Căn:2, Kê:2, Điểu:5, Touneh:2, Ya:2, Kpă:2`)
	khmerFamily  = weighted(`Thạch:30, Sơn:18, Danh:14, Kim:10, Lâm:6, Châu:5, Trà:3, Tăng:2, Lý:4, Huỳnh:2, Chau:4, Néang:2`)
	khmerSyll    = ranked(`Sa, Sóc, Phol, Chanh, Đa, Ra, Thi, Kha, Na, Ri, Mo, Ni, Rết, Thươl, Sết, Khên, Pho, Thon, Nol, Vi, Chăn, Thu, Ly, Pha, Rinh, Sô, Phiếp, Sà, Pây, Sol, Nết, Kim, Thanh, Sang, Hên, Mây, Ta, Đây, Bô, Rây, Sóc Kha, Chen, Dênh, Hoa, Lai, Phách, Rom, Sươl, Túc, Vươl`, 0.5)
	chamFamily   = weighted(`Đàng:25, Quảng:12, Thuận:10, Lưu:8, Trượng:6, Báo:5, Lộ:4, Thành:5, Tài:4, Ông:3, Hán:3, Kiều:3, Thiên:3, Phú:3, Dụng:2, Sa:2, Mohamad:1, Ali:1`)
	chamMiddle   = [2]*pool{weighted(`Năng:20, Đại:20, Văn:35, Minh:10, Thanh:5, -:10`), weighted(`Thị:70, Thị Thu:8, Ngọc:7, -:15`)}
	minorityMale = weighted(`Văn:80, -:20`)
	minorityFem  = weighted(`Thị:85, -:15`)
	kohoGiven    = [2]*pool{ranked(`Sol, Brăm, Brơi, Ha, Đin, Tiếng, Tuyên, Sơn, Nam, Hòa, Dũng, Lâm, Bình, Kra, Duy`, 0.5), ranked(`Hiền, Rin, Bi, Huệ, Nhung, Linh, Mai, Thu, Liên, Sa, Ni, Lan, Trang`, 0.5)}
)

// nameStyle names how a group composes a full name.
type nameStyle uint8

const (
	styleKinh   nameStyle = iota // family + middle + given
	styleSingle                  // a minority family list + Văn/Thị (or none) + given
	styleHmong                   // HMông, Hà Nhì: family + A/Seo/Mí/Thị + given
	styleDao                     // family + Văn/Láo/Thị + given
	styleEde                     // Y/H' + given + clan (Ê Đê, Mnông of Đắk Lắk)
	styleJrai                    // clan + given, women often with H'
	styleBana                    // A/Y + given (Ba Na, Xơ Đăng, Gié Triêng of Kon Tum)
	styleKhmer                   // family + (Thị) + one or two Khmer syllables
	styleCham                    // family + Năng/Đại/Thị + given
	styleKoho                    // K' + given for boys, Ka + given for girls
)

// ethnicStyle maps an ethnic code (1979 list, as in ident) to how its
// names are made, and which family names it draws from.
func ethnicStyle(code string) (nameStyle, *pool) {
	switch code {
	case "02", "07": // Tày, Nùng
		return styleSingle, tayFamily
	case "03": // Thái
		return styleSingle, thaiFamily
	case "04": // Hoa
		return styleKinh, hoaFamily
	case "05": // Khơ-me
		return styleKhmer, khmerFamily
	case "06": // Mường
		return styleSingle, muongFamily
	case "08": // HMông
		return styleHmong, hmongFamily
	case "09": // Dao
		return styleDao, daoFamily
	case "10": // Gia-rai
		return styleJrai, jraiClan
	case "12", "20": // Ê-đê, Mnông
		return styleEde, edeClan
	case "13", "14", "27": // Ba-na, Xơ-đăng, Gié-Triêng
		return styleBana, nil
	case "15", "18", "25": // Sán Chay, Sán Dìu, Giáy
		return styleKinh, sanFamily
	case "16", "28", "36": // Cơ-ho, Mạ, Chu-ru
		return styleKoho, nil
	case "17": // Chăm
		return styleCham, chamFamily
	case "29": // Khơ-mú
		return styleSingle, khmuFamily
	case "35": // Hà Nhì
		return styleHmong, haniFamily
	case "01":
		return styleKinh, nil
	}
	return styleSingle, highFamily // Hrê, Co, Cơ-tu, Tà-ôi, Bru-Vân Kiều, Ra-glai, Xtiêng, Chơ-ro …
}

// nameParts is a generated name taken apart, so that siblings and second
// reports can reuse or change a part.
type nameParts struct {
	family, middle, given string
	style                 nameStyle
}

func (n nameParts) full() string {
	var b strings.Builder
	b.Grow(len(n.family) + len(n.middle) + len(n.given) + 4)
	add := func(s string) {
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	switch n.style {
	case styleEde: // Y Bih Niê, H'Hen Niê
		b.WriteString(n.middle)
		if n.middle != "H'" {
			b.WriteByte(' ')
		}
		b.WriteString(n.given)
		add(n.family)
	case styleKoho: // K'Sol, Ka Hiền
		b.WriteString(n.middle)
		if n.middle != "K'" {
			b.WriteByte(' ')
		}
		b.WriteString(n.given)
	case styleJrai:
		add(n.family)
		if n.middle == "H'" {
			b.WriteString(" H'")
			b.WriteString(n.given)
		} else {
			add(n.middle)
			add(n.given)
		}
	default:
		add(n.family)
		add(n.middle)
		add(n.given)
	}
	return b.String()
}

func sexIndex(s ident.Sex) int {
	if s == ident.Female {
		return 1
	}
	return 0
}

// makeName draws a name for a child of the given group, sex and region.
func makeName(r *rand.Rand, ethnic string, sex ident.Sex, reg region) nameParts {
	style, fam := ethnicStyle(ethnic)
	s := sexIndex(sex)
	n := nameParts{style: style}
	switch style {
	case styleKinh:
		if fam == nil {
			fam = kinhFamily(reg)
		}
		n.family = fam.draw(r)
		n.middle = kinhMiddle[s].draw(r)
		if r.IntN(40) == 0 && n.middle != "" { // the mother's family name too: Nguyễn Lê Minh Anh
			n.middle = kinhFamily(reg).draw(r) + " " + n.middle
		}
		n.given = kinhGiven[s].draw(r)
	case styleSingle:
		n.family = fam.draw(r)
		if s == 0 {
			n.middle = minorityMale.draw(r)
		} else {
			n.middle = minorityFem.draw(r)
		}
		n.given = mixGiven(r, s, fam == thaiFamily)
	case styleHmong:
		n.family = fam.draw(r)
		n.middle = hmongMiddle[s].draw(r)
		n.given = hmongGiven[s].draw(r)
	case styleDao:
		n.family = fam.draw(r)
		n.middle = daoMiddle[s].draw(r)
		n.given = daoGiven[s].draw(r)
	case styleEde:
		n.family = fam.draw(r)
		n.middle = [2]string{"Y", "H'"}[s]
		n.given = edeGiven[s].draw(r)
	case styleJrai:
		n.family = fam.draw(r)
		if s == 1 {
			n.middle = [2]string{"H'", "Thị"}[r.IntN(2)]
		}
		n.given = jraiGiven[s].draw(r)
	case styleBana:
		if r.IntN(3) == 0 { // in the lowlands with a family name: Đinh Văn Rưng
			n.family = highFamily.draw(r)
			n.middle = [2]string{"Văn", "Thị"}[s]
		} else {
			n.middle = [2]string{"A", "Y"}[s]
		}
		n.given = banaGiven[s].draw(r)
	case styleKhmer:
		n.family = fam.draw(r)
		if s == 1 && n.family != "Néang" && r.IntN(2) == 0 {
			n.middle = "Thị"
		}
		if s == 0 && n.family == "Néang" {
			n.family = "Chau"
		}
		n.given = khmerSyll.draw(r)
		if r.IntN(2) == 0 {
			n.given += " " + khmerSyll.draw(r)
		}
	case styleCham:
		n.family = fam.draw(r)
		n.middle = chamMiddle[s].draw(r)
		n.given = kinhGiven[s].draw(r)
	case styleKoho:
		n.middle = [2]string{"K'", "Ka"}[s]
		n.given = kohoGiven[s].draw(r)
	}
	return n
}

// mixGiven draws a given name for a Tày, Nùng, Thái, Mường or Khơ-mú
// child: mostly the Kinh names of the region, some of the group's own.
func mixGiven(r *rand.Rand, s int, thai bool) string {
	if thai && r.IntN(3) == 0 {
		return thaiGiven[s].draw(r)
	}
	return kinhGiven[s].draw(r)
}

func kinhFamily(reg region) *pool {
	switch reg {
	case north:
		return kinhFamilyNorth
	case centre:
		return kinhFamilyCentre
	}
	return kinhFamilySouth
}

// adultName draws a name for an adult of the child's group: the family name
// given, or a fresh one.
func adultName(r *rand.Rand, ethnic string, sex ident.Sex, reg region, family string) string {
	n := makeName(r, ethnic, sex, reg)
	if family != "" && n.family != "" {
		n.family = family
	}
	return n.full()
}
