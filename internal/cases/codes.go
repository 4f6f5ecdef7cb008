package cases

import "slices"

// Codes used by the API and stored in the tables. Labels are in the i18n
// catalogs (cases.source.*, cases.form.*, …).

// Sources of a report (DOMAIN.md).
var Sources = []string{"hotline", "police", "commune", "school", "health", "family", "neighbour", "child", "media", "other"}

// AbuseForms are the forms of abuse (Luật Trẻ em Điều 4 khoản 5–9, Điều
// 6; DOMAIN.md).
var AbuseForms = []string{"bao_luc", "boc_lot", "xam_hai_tinh_duc", "mua_ban", "bo_roi", "bo_mat", "tao_hon", "bat_coc", "khac"}

// SexualAbuse is the form that makes a case confidential.
const SexualAbuse = "xam_hai_tinh_duc"

// Settings where an incident happened.
var Settings = []string{"home", "school", "online", "community", "workplace"}

// Risks are the levels of a case's risk and of each assessed factor.
var Risks = []string{RiskHigh, RiskMedium, RiskLow}

// Factors are the risk factors of the detailed assessment (Mẫu 03),
// each scored Cao / Trung bình / Thấp (DOMAIN.md "The case procedure").
var Factors = []string{"severity", "access", "care", "resilience"}

// EmergencyMeasures are the urgent measures of Mẫu 07 (Luật Trẻ em Điều
// 50; Nghị định 56 Điều 31–32).
var EmergencyMeasures = []string{"medical", "shelter", "separation", "alternative_care", "police", "other"}

// CloseReasons say why a case was closed (Nghị định 56 Điều 30).
var CloseReasons = []string{"safe", "unfounded", "no_risk", "adult", "moved", "died", "duplicate", "other"}

// ReviewOutcomes are what a review (Mẫu 06) concludes.
var ReviewOutcomes = []string{"close", "replan", "continue"}

func valid(list []string, code string) bool { return slices.Contains(list, code) }

// assessmentKinds: the initial assessment (Mẫu 02) and the detailed one
// (Mẫu 03).
var assessmentKinds = []string{"initial", "detailed"}
