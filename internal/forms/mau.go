package forms

import (
	"strings"
	"time"
)

// Person is someone named on a form.
type Person struct {
	Name     string
	Position string // chức vụ, or the relation to the child
	Phone    string
	Address  string
}

// RiskFactor is one factor of a risk assessment, scored Cao / Trung bình /
// Thấp (high / medium / low).
type RiskFactor struct {
	Factor string
	Level  string // "Cao", "Trung bình", "Thấp" or ""
	Note   string
}

// Measure is one line of a plan: what, who is responsible, with which
// organisation, from when to when.
type Measure struct {
	What        string
	Responsible string
	Partner     string
	From, To    string // dd/mm/yyyy
	Result      string // for a review
}

// MauSo01 is the record of a report received (Mẫu số 01, Điều 26: tiếp
// nhận thông tin).
type MauSo01 struct {
	Header
	ReceivedAt  time.Time
	Channel     string // how it came: Tổng đài 111, trực tiếp, công an, …
	Receiver    Person
	Reporter    Person // empty when anonymous
	Anonymous   bool
	Children    []Child
	AbuseForms  []string // labels: Bạo lực, Xâm hại tình dục, …
	WhenWhere   string   // when and where it happened
	Description string
	Perpetrator string // name and relation, if known
	FirstAction string // what was done at once
}

// Document builds the form.
func (m MauSo01) Document() Document {
	d := m.doc(1)
	reporter := []Field{{"Họ và tên người báo tin", m.Reporter.Name}, {"Quan hệ với trẻ em", m.Reporter.Position},
		{"Số điện thoại", m.Reporter.Phone}, {"Địa chỉ", m.Reporter.Address}}
	if m.Anonymous {
		reporter = []Field{{"Người báo tin", "Giấu tên"}}
	}
	d.Sections = []Section{
		{Heading: "I. Thông tin tiếp nhận", Fields: []Field{{"Thời điểm tiếp nhận", clock(m.ReceivedAt)},
			{"Hình thức tiếp nhận", m.Channel}, {"Người tiếp nhận", m.Receiver.Name}, {"Chức vụ", m.Receiver.Position}}},
		{Heading: "II. Người cung cấp thông tin", Fields: reporter},
		childSection("III. Trẻ em bị xâm hại hoặc có nguy cơ", m.Children),
		{Heading: "IV. Nội dung thông tin, thông báo, tố giác", Fields: []Field{
			{"Hình thức xâm hại", strings.Join(m.AbuseForms, ", ")}, {"Thời gian, địa điểm xảy ra", m.WhenWhere},
			{"Người gây tổn hại (nếu biết)", m.Perpetrator}, {"Mô tả sự việc", m.Description}}},
		{Heading: "V. Xử lý ban đầu", Fields: []Field{{"Việc đã làm ngay", m.FirstAction}}},
	}
	d.Signs = []Signature{{Role: "NGƯỜI CUNG CẤP THÔNG TIN", Name: ifNot(m.Anonymous, m.Reporter.Name)}, {Role: "NGƯỜI TIẾP NHẬN", Name: m.Receiver.Name}}
	return d
}

// MauSo02 is the initial risk assessment (Mẫu số 02, Điều 26): within 12
// hours, whether the child's life, health or dignity is in serious danger.
type MauSo02 struct {
	Header
	AssessedAt time.Time
	Assessors  []Person
	Children   []Child
	Factors    []RiskFactor
	Risk       string // overall: Cao, Trung bình, Thấp
	Emergency  bool   // emergency intervention or temporary separation needed
	Findings   string
	Proposal   string
}

// Document builds the form.
func (m MauSo02) Document() Document {
	d := m.doc(2)
	d.Sections = []Section{
		{Heading: "I. Thông tin chung", Fields: []Field{{"Thời điểm đánh giá", clock(m.AssessedAt)}, {"Người đánh giá", people(m.Assessors)}}},
		childSection("II. Trẻ em được đánh giá", m.Children),
		{Heading: "III. Đánh giá các yếu tố nguy cơ", Table: factorTable(m.Factors)},
		{Heading: "IV. Kết luận", Fields: []Field{{"Mức độ nguy cơ", m.Risk},
			{"Cần can thiệp khẩn cấp hoặc tạm thời cách ly", yesNo(m.Emergency)}, {"Nhận định", m.Findings}, {"Đề xuất", m.Proposal}}},
	}
	d.Signs = []Signature{{Role: "NGƯỜI ĐÁNH GIÁ", Name: firstName(m.Assessors)}}
	return d
}

// MauSo03 is the detailed assessment of risk and needs (Mẫu số 03, Điều 27).
type MauSo03 struct {
	Header
	AssessedAt   time.Time
	Participants []Person
	Children     []Child
	Sources      string // who and what was consulted
	Factors      []RiskFactor
	Risk         string
	Needs        []string
	Conclusion   string
}

// Document builds the form.
func (m MauSo03) Document() Document {
	d := m.doc(3)
	d.Sections = []Section{
		{Heading: "I. Thông tin chung", Fields: []Field{{"Thời điểm", clock(m.AssessedAt)}, {"Thành phần tham gia", people(m.Participants)},
			{"Nguồn thông tin đã thu thập", m.Sources}}},
		childSection("II. Trẻ em", m.Children),
		{Heading: "III. Đánh giá nguy cơ cụ thể", Table: factorTable(m.Factors)},
		{Heading: "IV. Nhu cầu của trẻ em", Lines: lines(m.Needs...)},
		{Heading: "V. Kết luận", Fields: []Field{{"Mức độ nguy cơ", m.Risk}, {"Kết luận, đề xuất", m.Conclusion}}},
	}
	d.Signs = []Signature{{Role: "NGƯỜI LẬP BÁO CÁO", Name: firstName(m.Participants)}}
	return d
}

// MauSo04 is the support and intervention plan (Mẫu số 04, Điều 28).
type MauSo04 struct {
	Header
	Children  []Child
	Goals     []string
	Measures  []Measure
	DraftedBy Person
	Period    string // from – to
}

// Document builds the form.
func (m MauSo04) Document() Document {
	d := m.doc(4)
	t := &Table{Headers: []string{"TT", "Hoạt động, biện pháp", "Người chịu trách nhiệm", "Cơ quan, tổ chức phối hợp", "Từ ngày", "Đến ngày"}}
	for i, x := range m.Measures {
		t.Rows = append(t.Rows, []string{itoa(i + 1), x.What, x.Responsible, x.Partner, x.From, x.To})
	}
	d.Sections = []Section{
		childSection("I. Trẻ em", m.Children),
		{Heading: "II. Mục tiêu", Lines: lines(m.Goals...)},
		{Heading: "III. Hoạt động hỗ trợ, can thiệp", Table: t},
		{Heading: "IV. Thời gian thực hiện", Fields: []Field{{"Thời gian", m.Period}}},
	}
	d.Signs = []Signature{{Role: "NGƯỜI LẬP KẾ HOẠCH", Name: m.DraftedBy.Name}, {Role: "CHỦ TỊCH UBND", Name: ""}}
	return d
}

// MauSo05 is the commune chairman's decision approving a plan (Mẫu số 05,
// Điều 28).
type MauSo05 struct {
	Header
	DecisionNo string
	Chairman   string
	Commune    string // the commune's name
	PlanDate   time.Time
	Children   []Child
	ApprovedAt time.Time
	Executors  string // who carries it out
}

// Document builds the form.
func (m MauSo05) Document() Document {
	d := m.doc(5)
	if m.DecisionNo != "" {
		d.Number = m.DecisionNo
	}
	d.Title = "QUYẾT ĐỊNH"
	d.Subtitle = "Về việc phê duyệt kế hoạch hỗ trợ, can thiệp đối với trẻ em"
	names := make([]string, len(m.Children))
	for i, c := range m.Children {
		names[i] = c.Name
	}
	d.Sections = []Section{
		{Heading: "CHỦ TỊCH ỦY BAN NHÂN DÂN " + strings.ToUpper(ifEmpty(m.Commune, "XÃ …")), Lines: []string{
			"Căn cứ Luật Trẻ em ngày 05 tháng 4 năm 2016;",
			"Căn cứ Nghị định số 56/2017/NĐ-CP ngày 09 tháng 5 năm 2017 của Chính phủ quy định chi tiết một số điều của Luật Trẻ em;",
			"Xét kế hoạch hỗ trợ, can thiệp lập ngày " + ifEmpty(day(m.PlanDate), "……") + ",",
		}},
		{Heading: "QUYẾT ĐỊNH:", Lines: []string{
			"Điều 1. Phê duyệt kế hoạch hỗ trợ, can thiệp đối với trẻ em " + ifEmpty(strings.Join(names, ", "), "……") + " (hồ sơ số " + ifEmpty(m.CaseNumber, "……") + ").",
			"Điều 2. " + ifEmpty(m.Executors, "Người làm công tác bảo vệ trẻ em cấp xã") + " có trách nhiệm tổ chức thực hiện kế hoạch.",
			"Điều 3. Quyết định này có hiệu lực kể từ ngày ký" + dated(m.ApprovedAt) + ".",
		}},
	}
	d.Signs = []Signature{{Role: "CHỦ TỊCH", Name: m.Chairman}}
	return d
}

// MauSo06 is the review of a plan's results (Mẫu số 06, Điều 30): close
// the case, or plan again.
type MauSo06 struct {
	Header
	ReviewedAt time.Time
	Reviewers  []Person
	Children   []Child
	Results    []Measure // What and Result
	Situation  string    // the child's situation now
	Risk       string
	Close      bool
	Reason     string
}

// Document builds the form.
func (m MauSo06) Document() Document {
	d := m.doc(6)
	t := &Table{Headers: []string{"TT", "Hoạt động, biện pháp", "Kết quả"}}
	for i, x := range m.Results {
		t.Rows = append(t.Rows, []string{itoa(i + 1), x.What, x.Result})
	}
	outcome := "Tiếp tục xây dựng kế hoạch hỗ trợ, can thiệp mới"
	if m.Close {
		outcome = "Đóng hồ sơ"
	}
	d.Sections = []Section{
		{Heading: "I. Thông tin chung", Fields: []Field{{"Thời điểm rà soát", clock(m.ReviewedAt)}, {"Người rà soát", people(m.Reviewers)}}},
		childSection("II. Trẻ em", m.Children),
		{Heading: "III. Kết quả thực hiện kế hoạch", Table: t},
		{Heading: "IV. Tình trạng hiện tại của trẻ em", Fields: []Field{{"Tình trạng", m.Situation}, {"Mức độ nguy cơ", m.Risk}}},
		{Heading: "V. Kết luận", Fields: []Field{{"Đề xuất", outcome}, {"Lý do", m.Reason}}},
	}
	d.Signs = []Signature{{Role: "NGƯỜI RÀ SOÁT", Name: firstName(m.Reviewers)}}
	return d
}

// MauSo07 is the chairman's decision on an emergency measure or the
// temporary separation of a child (Mẫu số 07, Điều 31–32), due within 12
// hours of the report when the child is in serious danger.
type MauSo07 struct {
	Header
	DecisionNo  string
	Chairman    string
	Commune     string
	Children    []Child
	Separation  bool   // temporary separation rather than another emergency measure
	Measure     string // what is done
	CarePlace   string // where the child is cared for meanwhile
	Carer       string // who cares for the child
	Duration    string
	Reason      string
	DecidedAt   time.Time
	Responsible string
}

// Document builds the form.
func (m MauSo07) Document() Document {
	d := m.doc(7)
	if m.DecisionNo != "" {
		d.Number = m.DecisionNo
	}
	d.Title = "QUYẾT ĐỊNH"
	d.Subtitle = "Về việc áp dụng biện pháp can thiệp khẩn cấp hoặc tạm thời cách ly trẻ em khỏi môi trường hoặc người gây tổn hại cho trẻ em"
	kind := "Can thiệp khẩn cấp"
	if m.Separation {
		kind = "Tạm thời cách ly trẻ em khỏi môi trường hoặc người gây tổn hại"
	}
	d.Sections = []Section{
		{Heading: "CHỦ TỊCH ỦY BAN NHÂN DÂN " + strings.ToUpper(ifEmpty(m.Commune, "XÃ …")), Lines: []string{
			"Căn cứ Luật Trẻ em ngày 05 tháng 4 năm 2016;",
			"Căn cứ Nghị định số 56/2017/NĐ-CP ngày 09 tháng 5 năm 2017 của Chính phủ quy định chi tiết một số điều của Luật Trẻ em;",
			"Xét tính mạng, sức khỏe, nhân phẩm của trẻ em đang bị đe dọa nghiêm trọng" + ifNot(m.Reason == "", ": "+m.Reason) + ",",
		}},
		childSection("Trẻ em được áp dụng biện pháp", m.Children),
		{Heading: "QUYẾT ĐỊNH:", Fields: []Field{{"Biện pháp", kind}, {"Nội dung biện pháp", m.Measure},
			{"Nơi chăm sóc tạm thời", m.CarePlace}, {"Người chăm sóc tạm thời", m.Carer}, {"Thời hạn", m.Duration},
			{"Người chịu trách nhiệm thực hiện", m.Responsible}, {"Thời điểm quyết định", clock(m.DecidedAt)}}},
	}
	d.Signs = []Signature{{Role: "CHỦ TỊCH", Name: m.Chairman}}
	return d
}

func factorTable(fs []RiskFactor) *Table {
	t := &Table{Headers: []string{"Yếu tố", "Cao", "Trung bình", "Thấp", "Ghi chú"}}
	if len(fs) == 0 {
		fs = DefaultFactors
	}
	for _, f := range fs {
		mark := func(l string) string {
			if strings.EqualFold(f.Level, l) {
				return "X"
			}
			return ""
		}
		t.Rows = append(t.Rows, []string{f.Factor, mark("Cao"), mark("Trung bình"), mark("Thấp"), f.Note})
	}
	return t
}

// DefaultFactors are the risk factors of Điều 26–27 (DOMAIN.md), printed
// unscored when an assessment has none yet.
var DefaultFactors = []RiskFactor{
	{Factor: "Mức độ nghiêm trọng của tổn hại"},
	{Factor: "Khả năng tiếp cận trẻ em của người gây tổn hại"},
	{Factor: "Trở ngại trong môi trường chăm sóc trẻ em"},
	{Factor: "Khả năng tự bảo vệ và phục hồi của trẻ em"},
}

func people(ps []Person) string {
	var out []string
	for _, p := range ps {
		s := p.Name
		if p.Position != "" {
			s += " (" + p.Position + ")"
		}
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "; ")
}

func firstName(ps []Person) string {
	if len(ps) == 0 {
		return ""
	}
	return ps[0].Name
}

func ifEmpty(s, alt string) string {
	if strings.TrimSpace(s) == "" {
		return alt
	}
	return s
}

func ifNot(cond bool, s string) string {
	if cond {
		return ""
	}
	return s
}

func dated(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " (" + day(t) + ")"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
