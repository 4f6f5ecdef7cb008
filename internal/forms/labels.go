package forms

// Vietnamese labels of the codes the case area stores (../shared/DOMAIN.md),
// as the forms print them.
var (
	AbuseLabels = map[string]string{"bao_luc": "Bạo lực", "boc_lot": "Bóc lột", "xam_hai_tinh_duc": "Xâm hại tình dục",
		"mua_ban": "Mua bán", "bo_roi": "Bỏ rơi", "bo_mat": "Bỏ mặc", "tao_hon": "Tảo hôn", "bat_coc": "Bắt cóc", "khac": "Khác"}
	SourceLabels = map[string]string{"hotline": "Tổng đài 111", "police": "Công an", "commune": "UBND cấp xã", "school": "Nhà trường",
		"health": "Cơ sở y tế", "family": "Gia đình", "neighbour": "Hàng xóm", "child": "Trẻ em tự báo", "media": "Báo chí, mạng xã hội", "other": "Khác"}
	RiskLabels   = map[string]string{"high": "Cao", "medium": "Trung bình", "low": "Thấp"}
	FactorLabels = map[string]string{"severity": "Mức độ nghiêm trọng của tổn hại", "access": "Khả năng tiếp cận trẻ em của người gây tổn hại",
		"care": "Trở ngại trong môi trường chăm sóc trẻ em", "resilience": "Khả năng tự bảo vệ và phục hồi của trẻ em"}
	FactorOrder    = []string{"severity", "access", "care", "resilience"}
	MeasureLabels  = map[string]string{"medical": "Chăm sóc y tế", "shelter": "Bố trí nơi tạm trú an toàn", "separation": "Tạm thời cách ly trẻ em", "alternative_care": "Chăm sóc thay thế", "police": "Đề nghị cơ quan công an can thiệp", "other": "Biện pháp khác"}
	SettingLabels  = map[string]string{"home": "Gia đình", "school": "Trường học", "online": "Trên mạng", "community": "Cộng đồng", "workplace": "Nơi làm việc"}
	CloseLabels    = map[string]string{"safe": "Trẻ em đã an toàn, ổn định", "unfounded": "Thông tin không có cơ sở", "no_risk": "Không còn nguy cơ", "adult": "Trẻ đã đủ 16 tuổi", "moved": "Trẻ chuyển đi nơi khác", "died": "Trẻ đã mất", "duplicate": "Trùng hồ sơ", "other": "Lý do khác"}
	RelationLabels = map[string]string{"father": "bố", "mother": "mẹ", "grandparent": "ông, bà", "sibling": "anh, chị", "relative": "họ hàng", "guardian": "người giám hộ", "other": "khác"}
)

// Label returns a code's label, or the code itself when the list lacks it.
func Label(m map[string]string, code string) string {
	if l, ok := m[code]; ok {
		return l
	}
	return code
}
