package indicators

import (
	"fmt"
	"slices"
)

// Form is a return form: what a commune reports for a period that is not
// recorded case by case.
type Form struct {
	Code       string         `json:"code"`
	Version    int            `json:"version"`
	NameVI     string         `json:"name_vi"`
	NameEN     string         `json:"name_en"`
	Period     string         `json:"period"`   // quarter or year
	DueDays    int            `json:"due_days"` // days after the period's end
	Fields     []FormField    `json:"fields,omitempty"`
	Rules      []Rule         `json:"rules,omitempty"`
	Criteria   []Criterion    `json:"criteria,omitempty"`   // child-friendly scoring
	Thresholds map[string]int `json:"thresholds,omitempty"` // commune class → points needed
}

// FormField is a number on a form.
type FormField struct {
	Code  string `json:"code"`
	VI    string `json:"vi"`
	EN    string `json:"en"`
	Money bool   `json:"money,omitempty"`
}

// Rule relates two fields: left op right.
type Rule struct {
	Left  string `json:"left"`
	Op    string `json:"op"` // <=, <, >=, =
	Right string `json:"right"`
	Key   string `json:"key"` // i18n key of the message
}

// Criterion is one of Quyết định 06/QĐ-TTg's 13 criteria.
type Criterion struct {
	Code        string `json:"code"`
	Max         int    `json:"max"`
	VI          string `json:"vi"`
	EN          string `json:"en"`
	FromRecords string `json:"from_records,omitempty"` // an indicator shown beside it as a hint
}

// Commune classes of the child-friendly scoring and their thresholds.
const (
	ClassUrban     = "urban"     // phường: 900 points
	ClassOther     = "other"     // 850
	ClassDifficult = "difficult" // mountain, island or especially difficult: 800
)

// Name is the form's name in lang.
func (f *Form) Name(lang string) string {
	if lang == "en" {
		return f.NameEN
	}
	return f.NameVI
}

// PeriodType is the type of the form's periods.
func (f *Form) PeriodType() PeriodType {
	t, _ := ParsePeriodType(f.Period)
	return t
}

// Scoring reports whether the form is the child-friendly scoring.
func (f *Form) Scoring() bool { return len(f.Criteria) > 0 }

// FieldCodes lists the codes of the numbers entered on the form.
func (f *Form) FieldCodes() []string {
	var out []string
	for _, fl := range f.Fields {
		out = append(out, fl.Code)
	}
	for _, c := range f.Criteria {
		out = append(out, c.Code)
	}
	return out
}

func (f *Form) check() error {
	if !codeRE(f.Code) {
		return fmt.Errorf("form %q: bad code", f.Code)
	}
	if t, ok := ParsePeriodType(f.Period); !ok || t == Monthly {
		return fmt.Errorf("form %s: period must be quarter or year", f.Code)
	}
	codes := f.FieldCodes()
	for _, r := range f.Rules {
		if !slices.Contains(codes, r.Left) || !slices.Contains(codes, r.Right) {
			return fmt.Errorf("form %s: rule on unknown field", f.Code)
		}
		switch r.Op {
		case "<=", "<", ">=", "=":
		default:
			return fmt.Errorf("form %s: unknown operator %q", f.Code, r.Op)
		}
	}
	if f.Scoring() {
		for _, c := range []string{ClassUrban, ClassOther, ClassDifficult} {
			if f.Thresholds[c] <= 0 {
				return fmt.Errorf("form %s: no threshold for %s", f.Code, c)
			}
		}
	}
	return nil
}
