package ident

// pidProvinces are the province codes that open a personal identification
// number: the 63 provinces as they were before the 2025 merger, each 2-digit
// administrative code (Quyết định 124/2004/QĐ-TTg) with a leading 0, as
// Thông tư 07/2016/TT-BCA (since replaced by 59/2021/TT-BCA) lays down. The
// codes are those of the province that registered the birth, so numbers
// already issued keep them after provinces merge. Source of the list:
// shared/data/admin-units/old-to-new/splits.json, the level1_id values.
var pidProvinces = map[string]bool{
	"001": true, // Thành phố Hà Nội
	"002": true, // Tỉnh Hà Giang
	"004": true, // Tỉnh Cao Bằng
	"006": true, // Tỉnh Bắc Kạn
	"008": true, // Tỉnh Tuyên Quang
	"010": true, // Tỉnh Lào Cai
	"011": true, // Tỉnh Điện Biên
	"012": true, // Tỉnh Lai Châu
	"014": true, // Tỉnh Sơn La
	"015": true, // Tỉnh Yên Bái
	"017": true, // Tỉnh Hoà Bình
	"019": true, // Tỉnh Thái Nguyên
	"020": true, // Tỉnh Lạng Sơn
	"022": true, // Tỉnh Quảng Ninh
	"024": true, // Tỉnh Bắc Giang
	"025": true, // Tỉnh Phú Thọ
	"026": true, // Tỉnh Vĩnh Phúc
	"027": true, // Tỉnh Bắc Ninh
	"030": true, // Tỉnh Hải Dương
	"031": true, // Thành phố Hải Phòng
	"033": true, // Tỉnh Hưng Yên
	"034": true, // Tỉnh Thái Bình
	"035": true, // Tỉnh Hà Nam
	"036": true, // Tỉnh Nam Định
	"037": true, // Tỉnh Ninh Bình
	"038": true, // Tỉnh Thanh Hóa
	"040": true, // Tỉnh Nghệ An
	"042": true, // Tỉnh Hà Tĩnh
	"044": true, // Tỉnh Quảng Bình
	"045": true, // Tỉnh Quảng Trị
	"046": true, // Thành phố Huế
	"048": true, // Thành phố Đà Nẵng
	"049": true, // Tỉnh Quảng Nam
	"051": true, // Tỉnh Quảng Ngãi
	"052": true, // Tỉnh Bình Định
	"054": true, // Tỉnh Phú Yên
	"056": true, // Tỉnh Khánh Hòa
	"058": true, // Tỉnh Ninh Thuận
	"060": true, // Tỉnh Bình Thuận
	"062": true, // Tỉnh Kon Tum
	"064": true, // Tỉnh Gia Lai
	"066": true, // Tỉnh Đắk Lắk
	"067": true, // Tỉnh Đắk Nông
	"068": true, // Tỉnh Lâm Đồng
	"070": true, // Tỉnh Bình Phước
	"072": true, // Tỉnh Tây Ninh
	"074": true, // Tỉnh Bình Dương
	"075": true, // Tỉnh Đồng Nai
	"077": true, // Tỉnh Bà Rịa - Vũng Tàu
	"079": true, // Thành phố Hồ Chí Minh
	"080": true, // Tỉnh Long An
	"082": true, // Tỉnh Tiền Giang
	"083": true, // Tỉnh Bến Tre
	"084": true, // Tỉnh Trà Vinh
	"086": true, // Tỉnh Vĩnh Long
	"087": true, // Tỉnh Đồng Tháp
	"089": true, // Tỉnh An Giang
	"091": true, // Tỉnh Kiên Giang
	"092": true, // Thành phố Cần Thơ
	"093": true, // Tỉnh Hậu Giang
	"094": true, // Tỉnh Sóc Trăng
	"095": true, // Tỉnh Bạc Liêu
	"096": true, // Tỉnh Cà Mau
}
