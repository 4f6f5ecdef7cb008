package children

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"treem/internal/auth"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/geo"
	"treem/internal/ident"
	"treem/internal/vntext"

	"golang.org/x/text/unicode/norm"
)

// Input is a child as a form, the API or an import row gives it. On create
// a missing field is empty; on update only the fields present change ("" to
// clear one).
type Input struct {
	Name            *string           `json:"name"`
	DOB             *string           `json:"dob"`
	DOBEstimated    *bool             `json:"dob_estimated"`
	Sex             *string           `json:"sex"`
	Ethnicity       *string           `json:"ethnicity"`
	PID             *string           `json:"pid"`
	Commune         *string           `json:"commune"`
	OldCommune      *string           `json:"old_commune"`
	Address         *string           `json:"address"`
	Phone           *string           `json:"phone"`
	Caregivers      *[]CaregiverInput `json:"caregivers"`
	Groups          *[]GroupInput     `json:"groups"`
	Risks           *[]string         `json:"risks"`
	DisabilityType  *string           `json:"disability_type"`
	DisabilityLevel *string           `json:"disability_level"`
	SchoolStatus    *string           `json:"school_status"`
	InsuranceCard   *string           `json:"insurance_card"`
	Notes           *string           `json:"notes"`
	// Version is the version an update is based on; a record changed since
	// answers 409 Conflict. Ignored on create.
	Version int `json:"version"`
}

// CaregiverInput is a caregiver as given.
type CaregiverInput struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
}

// GroupInput is a group as given: a letter ("a", "đ" or "dd"), or an object
// with the letter, a sub-group and dates.
type GroupInput struct {
	Code     string `json:"code"`
	Subgroup string `json:"subgroup"`
	Start    string `json:"start"`
	End      string `json:"end"`
}

// UnmarshalJSON accepts "a" as well as {"code":"a",…}.
func (g *GroupInput) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*g = GroupInput{Code: s}
		return nil
	}
	type plain GroupInput
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*g = GroupInput(p)
	return nil
}

// Limits on free text.
const (
	maxName    = 100
	maxAddress = 300
	maxNotes   = 10000
	maxOther   = 200
	// A registry record is about a child (under 16, Luật Trẻ em Điều 1);
	// young people stay on it until 18, so older dates of birth are slips.
	maxAge = 18
)

// checker collects every problem of an input at once.
type checker struct {
	v     *errs.Error
	opts  *Options
	units *geo.Units
	today dates.Date
}

func (c *checker) field(name, key string, args ...any) { c.v.Field(name, key, args...) }

// argPairs turns a details map into name, value pairs for errs.Field.
// Numbers become text, so that a year reads 2016, not 2.016.
func argPairs(m map[string]any) []any {
	out := make([]any, 0, 2*len(m))
	for k, v := range m {
		if n, ok := v.(int); ok {
			v = strconv.Itoa(n)
		}
		out = append(out, k, v)
	}
	return out
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// apply checks in against the rules and returns the record it makes: base
// (a copy of the stored child, or a zero Child on create) with the given
// fields changed. by decides which communes are allowed.
func (s *Service) apply(by *auth.Principal, base Child, in Input, create bool) (Child, error) {
	c := &checker{v: errs.Validation(), opts: s.Options(), units: s.Units, today: s.today()}
	out := base
	set := func(p *string) bool { return create || p != nil }

	if set(in.Name) {
		out.Name = c.name(str(in.Name))
	}
	if set(in.DOB) || in.DOBEstimated != nil {
		// An estimate is marked by the text ("~2015", "khoảng 2015") or by
		// the flag; the flag alone changes only that mark.
		var d dates.Date
		if set(in.DOB) {
			d = c.dob(str(in.DOB))
			d.Estimated = d.Estimated || (in.DOBEstimated != nil && *in.DOBEstimated)
		} else {
			d = base.DOB
			d.Estimated = *in.DOBEstimated
		}
		if d.IsZero() {
			d.Estimated = false
		}
		out.DOB, out.DOBEstimated = d, d.Estimated
	}
	if set(in.Sex) {
		out.Sex = c.sex(str(in.Sex))
	}
	if set(in.Ethnicity) {
		out.Ethnicity = c.ethnicity(str(in.Ethnicity))
	}
	if set(in.Commune) || set(in.OldCommune) {
		// An old code decides the commune (the given one must be among its
		// successors); on update a record keeps its old code while its
		// commune stays the same.
		out.Commune, out.Province, out.OldCommune = c.commune(by, str(in.Commune), str(in.OldCommune))
		if !create && in.OldCommune == nil && out.Commune == base.Commune {
			out.OldCommune = base.OldCommune
		}
	}
	if set(in.Address) {
		out.Address = c.text("address", str(in.Address), maxAddress)
	}
	if set(in.Phone) {
		out.Phone = c.phone("phone", str(in.Phone))
	}
	if create || in.Caregivers != nil {
		out.Caregivers = nil
		if in.Caregivers != nil {
			for i, cg := range *in.Caregivers {
				out.Caregivers = append(out.Caregivers, c.caregiver(i, cg))
			}
		}
	}
	if create || in.Groups != nil {
		var given []GroupInput
		if in.Groups != nil {
			given = *in.Groups
		}
		out.Periods = c.groups(base.Periods, given, out.DOB)
	}

	if create || in.Risks != nil {
		out.Risks = nil
		if in.Risks != nil {
			for i, r := range *in.Risks {
				r = strings.TrimSpace(r)
				if !c.opts.valid(ListRisk, r, "") {
					c.field(fmt.Sprintf("risks.%d", i), "children.option_unknown", "code", r)
					continue
				}
				if !slices.Contains(out.Risks, r) {
					out.Risks = append(out.Risks, r)
				}
			}
		}
	}
	if set(in.DisabilityType) {
		out.DisabilityType = c.option("disability_type", ListDisabilityType, str(in.DisabilityType))
	}
	if set(in.DisabilityLevel) {
		out.DisabilityLevel = c.option("disability_level", ListDisabilityLevel, str(in.DisabilityLevel))
	}
	if set(in.SchoolStatus) {
		out.SchoolStatus = c.option("school_status", ListSchoolStatus, str(in.SchoolStatus))
	}
	if set(in.InsuranceCard) {
		out.InsuranceCard = c.card(str(in.InsuranceCard))
	}
	if set(in.Notes) {
		notes := norm.NFC.String(str(in.Notes))
		if utf8.RuneCountInString(notes) > maxNotes {
			c.field("notes", "children.too_long", "max", maxNotes)
		}
		out.Notes = notes
	}
	// The identification number is checked against the record as it will
	// be, so a change of the date of birth is checked too.
	if set(in.PID) || set(in.DOB) || set(in.Sex) {
		raw := str(in.PID)
		if in.PID == nil {
			raw = base.PID
		}
		out.PID = c.pid(raw, out.DOB, out.Sex, c.v.Fields["dob"].Key != "" || c.v.Fields["sex"].Key != "")
	}
	return out, c.v.OrNil()
}

// vietLetters are the letters of Vietnamese beyond ASCII, precomposed. A
// name holding another Latin-1 letter was most likely typed in a legacy
// font that could not be converted.
var vietLetters = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ" {
		m[r] = true
		m[unicode.ToUpper(r)] = true
	}
	return m
}()

func (c *checker) name(s string) string {
	s = vntext.Clean(s)
	switch {
	case s == "":
		c.field("name", "children.required")
	case utf8.RuneCountInString(s) > maxName:
		c.field("name", "children.too_long", "max", maxName)
	default:
		for _, r := range s {
			if r >= 0x80 && r <= 0xFF && !vietLetters[r] {
				c.field("name", "children.name_legacy")
				return s
			}
			if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && !strings.ContainsRune(" -'’.", r) {
				c.field("name", "children.name_chars")
				return s
			}
		}
	}
	return s
}

func (c *checker) dob(s string) dates.Date {
	if s == "" {
		c.field("dob", "children.required")
		return dates.Date{}
	}
	d, err := dates.Parse(s)
	var de *dates.Error
	if errors.As(err, &de) {
		c.field("dob", "children.date."+string(de.Reason), argPairs(de.Args())...)
		return dates.Date{}
	}
	if dateNum(d) > dateNum(c.today) {
		c.field("dob", "children.dob_future")
	} else if age := d.AgeOn(c.today.Time()); age >= maxAge {
		c.field("dob", "children.dob_too_old", "age", age, "max", maxAge)
	}
	return d
}

func (c *checker) sex(s string) ident.Sex {
	x, err := ident.ParseSex(s)
	switch {
	case err != nil:
		c.field("sex", "children.sex_invalid")
	case x == ident.SexUnknown:
		c.field("sex", "children.required")
	}
	return x
}

func (c *checker) ethnicity(s string) string {
	if s == "" {
		return ""
	}
	e, ok := ident.FindEthnicity(s)
	if !ok {
		c.field("ethnicity", "children.ethnicity_unknown")
		return ""
	}
	return e.Code
}

// commune resolves the commune: a current code, or a pre-July-2025 code
// mapped to today's commune. A commune that was split needs the caller to
// say which part the child lives in.
func (c *checker) commune(by *auth.Principal, commune, old string) (code, province, oldCode string) {
	if old != "" {
		succ, ok := c.units.ResolveOld(old)
		switch {
		case !ok || len(old) == 2:
			c.field("old_commune", "children.old_commune_unknown", "code", old)
			return commune, "", old
		case len(succ) == 1:
			if commune == "" {
				commune = succ[0].Code
			} else if commune != succ[0].Code {
				c.field("commune", "children.commune_not_successor", "code", commune, "old", old,
					"choices", succ[0].FullName+" ("+succ[0].Code+")")
				return commune, "", old
			}
		default:
			var names []string
			found := false
			for _, u := range succ {
				names = append(names, u.FullName+" ("+u.Code+")")
				found = found || u.Code == commune
			}
			if !found {
				key := "children.old_commune_split"
				if commune != "" {
					key = "children.commune_not_successor"
				}
				c.field("commune", key, "code", commune, "old", old, "choices", strings.Join(names, ", "))
				return commune, "", old
			}
		}
	}
	if commune == "" {
		c.field("commune", "children.required")
		return "", "", old
	}
	u, ok := c.units.Get(commune)
	if !ok || u.Level != geo.LevelCommune {
		c.field("commune", "children.commune_unknown", "code", commune)
		return commune, "", old
	}
	if by != nil && !by.Sees(commune) {
		c.field("commune", "children.commune_out_of_scope", "code", commune)
	}
	return commune, u.Province, old
}

func (c *checker) text(field, s string, max int) string {
	s = vntext.Clean(s)
	if utf8.RuneCountInString(s) > max {
		c.field(field, "children.too_long", "max", max)
	}
	return s
}

func (c *checker) phone(field, s string) string {
	if s == "" {
		return ""
	}
	n, err := ident.NormalizePhone(s)
	var pe *ident.PhoneError
	if errors.As(err, &pe) {
		key := "children.phone." + string(pe.Reason)
		switch {
		case pe.Foreign:
			key = "children.phone.foreign"
		case pe.Mobile:
			key = "children.phone.mobile_length"
		case pe.Landline:
			key = "children.phone.landline_length"
		}
		c.field(field, key, "length", pe.Length)
		return s
	}
	return n
}

func (c *checker) caregiver(i int, in CaregiverInput) Caregiver {
	f := func(name string) string { return fmt.Sprintf("caregivers.%d.%s", i, name) }
	cg := Caregiver{Name: vntext.Clean(in.Name), Relation: strings.TrimSpace(in.Relation)}
	switch {
	case cg.Name == "":
		c.field(f("name"), "children.required")
	case utf8.RuneCountInString(cg.Name) > maxName:
		c.field(f("name"), "children.too_long", "max", maxName)
	}
	if cg.Relation != "" && !c.opts.valid(ListRelation, cg.Relation, "") {
		c.field(f("relation"), "children.option_unknown", "code", cg.Relation)
	}
	cg.Phone = c.phone(f("phone"), strings.TrimSpace(in.Phone))
	return cg
}

func (c *checker) option(field, list, code string) string {
	if code != "" && !c.opts.valid(list, code, "") {
		c.field(field, "children.option_unknown", "code", code)
	}
	return code
}

func (c *checker) card(s string) string {
	if s == "" {
		return ""
	}
	card, err := ident.ParseCard(s)
	var ce *ident.CardError
	if errors.As(err, &ce) {
		key := "children.card." + string(ce.Reason)
		switch {
		case ce.PID != nil:
			key = "children.card.pid"
		case ce.Reason == ident.ErrLength && ce.Digits:
			key = "children.card.digits_length"
		case ce.Part != "":
			key = "children.card.part_" + ce.Part
		}
		c.field("insurance_card", key, argPairs(ce.Args())...)
		return s
	}
	return card.String()
}

// pid checks a personal identification number against the record's date
// of birth and sex (skipped when those are themselves wrong).
func (c *checker) pid(s string, dob dates.Date, sex ident.Sex, recordBad bool) string {
	if s == "" {
		return ""
	}
	if recordBad {
		dob, sex = dates.Date{}, ident.SexUnknown
	}
	p, err := ident.CheckPID(s, dob, sex)
	var pe *ident.PIDError
	if errors.As(err, &pe) {
		key := "children.pid." + string(pe.Reason)
		switch {
		case pe.YearDiffers && pe.SexDiffers:
			key = "children.pid.year_sex_mismatch_" + pe.EncodedSex.String()
		case pe.SexDiffers:
			key = "children.pid.sex_mismatch_" + pe.EncodedSex.String()
		}
		c.field("pid", key, argPairs(pe.Args())...)
		return s
	}
	return p.String()
}

// groups merges the groups given with the periods on record: a group given
// that the child is in keeps its period (with any sub-group or dates
// given); a new one starts (today unless a start is given); an open period
// whose group is not given ends today. Ended periods stay as history.
func (c *checker) groups(periods []GroupPeriod, given []GroupInput, dob dates.Date) []GroupPeriod {
	out := slices.Clone(periods)
	seen := map[string]bool{}
	for i, g := range given {
		f := func(name string) string {
			if name == "" {
				return fmt.Sprintf("groups.%d", i)
			}
			return fmt.Sprintf("groups.%d.%s", i, name)
		}
		code := normalGroup(strings.TrimSpace(g.Code))
		if !c.opts.valid(ListGroup, code, "") {
			c.field(f(""), "children.group_unknown", "code", g.Code)
			continue
		}
		if seen[code] {
			continue
		}
		seen[code] = true
		sub := strings.TrimSpace(g.Subgroup)
		if sub != "" && !c.opts.valid(ListSubgroup, sub, code) {
			c.field(f("subgroup"), "children.subgroup_unknown", "code", sub, "group", code)
		}
		start := c.groupDate(f("start"), g.Start)
		end := c.groupDate(f("end"), g.End)
		if !start.IsZero() && !end.IsZero() && dateNum(end) < dateNum(start) {
			c.field(f("end"), "children.end_before_start")
		}
		if before(start, dob) {
			c.field(f("start"), "children.start_before_birth")
		}
		idx := slices.IndexFunc(out, func(p GroupPeriod) bool { return p.Code == code && p.Open(c.today) })
		if idx < 0 {
			if start.IsZero() {
				start = c.today
			}
			out = append(out, GroupPeriod{Code: code, Subgroup: sub, Start: start, End: end})
			continue
		}
		p := &out[idx]
		if sub != "" || g.Subgroup != "" {
			p.Subgroup = sub
		}
		if !start.IsZero() {
			p.Start = start
		}
		if strings.TrimSpace(g.End) != "" {
			p.End = end
		}
	}
	for i := range out {
		if out[i].Open(c.today) && !seen[out[i].Code] {
			out[i].End = c.today
		}
	}
	return out
}

func (c *checker) groupDate(field, s string) dates.Date {
	s = strings.TrimSpace(s)
	if s == "" {
		return dates.Date{}
	}
	d, err := dates.Parse(s)
	var de *dates.Error
	if errors.As(err, &de) {
		c.field(field, "children.date."+string(de.Reason), argPairs(de.Args())...)
		return dates.Date{}
	}
	if dateNum(d) > dateNum(c.today) {
		c.field(field, "children.date_future")
	}
	return d
}

// before reports whether a is surely before b, comparing only what both
// dates know.
func before(a, b dates.Date) bool {
	if a.IsZero() || b.IsZero() {
		return false
	}
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Month == 0 || b.Month == 0 || a.Month != b.Month {
		return a.Month != 0 && b.Month != 0 && a.Month < b.Month
	}
	return a.Day != 0 && b.Day != 0 && a.Day < b.Day
}

// currentGroups lists the letters of the open periods, in the law's order.
func currentGroups(periods []GroupPeriod, day dates.Date) []string {
	var out []string
	for _, code := range groupLetters {
		for _, p := range periods {
			if p.Code == code && p.Open(day) {
				out = append(out, code)
				break
			}
		}
	}
	for _, p := range periods { // codes an administrator added
		if groupBit(p.Code) == 0 && p.Open(day) && !slices.Contains(out, p.Code) {
			out = append(out, p.Code)
		}
	}
	return out
}

func groupsMask(periods []GroupPeriod, day dates.Date) uint32 {
	var m uint32
	for _, p := range periods {
		if p.Open(day) {
			m |= groupBit(p.Code)
		}
	}
	return m
}
