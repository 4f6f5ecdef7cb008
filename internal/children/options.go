package children

import (
	"context"
	"fmt"
	"slices"

	"treem/internal/store"
)

// The option lists of the registry. They are seeded data in the
// child_options table (DESIGN principle 7): an administrator may relabel,
// retire or add options without a new release.
const (
	ListGroup           = "group"            // special-circumstance groups, the law's letters
	ListSubgroup        = "subgroup"         // Nghị định 56/2017 sub-groups; Parent is the group
	ListSupportKind     = "support_kind"     // kinds of help
	ListSchoolStatus    = "school_status"    // đi học, bỏ học, …
	ListDisabilityType  = "disability_type"  // Luật Người khuyết tật 2010, Điều 3 khoản 1
	ListDisabilityLevel = "disability_level" // Điều 3 khoản 2
	ListRisk            = "risk"             // at-risk flags (trẻ em có nguy cơ, Luật Trẻ em Điều 49)
	ListRelation        = "relation"         // a caregiver's relation to the child
)

// Option is one entry of a list.
type Option struct {
	List    string `json:"list"`
	Code    string `json:"code"`
	Parent  string `json:"parent,omitempty"`
	LabelVI string `json:"label_vi"`
	LabelEN string `json:"label_en"`
	Active  bool   `json:"active"`
}

// Label is the option's label in lang.
func (o Option) Label(lang string) string {
	if lang == "en" && o.LabelEN != "" {
		return o.LabelEN
	}
	return o.LabelVI
}

// Options holds every list, in order.
type Options struct {
	lists map[string][]Option
}

// List returns a list's options in order, retired ones included (old
// records may carry them); forms show only Active ones.
func (o *Options) List(list string) []Option { return slices.Clone(o.lists[list]) }

// Get finds an option.
func (o *Options) Get(list, code string) (Option, bool) {
	for _, x := range o.lists[list] {
		if x.Code == code {
			return x, true
		}
	}
	return Option{}, false
}

// valid reports whether code is an active option of list (and, for a
// sub-group, of the given group).
func (o *Options) valid(list, code, parent string) bool {
	x, ok := o.Get(list, code)
	return ok && x.Active && (parent == "" || x.Parent == parent)
}

// Label returns the label of an option, or the code when there is none.
func (o *Options) Label(list, code, lang string) string {
	if x, ok := o.Get(list, code); ok {
		return x.Label(lang)
	}
	return code
}

func loadOptions(ctx context.Context, db *store.DB) (*Options, error) {
	rows, err := db.Read().QueryContext(ctx, `SELECT list, code, parent, label_vi, label_en, active
		FROM child_options ORDER BY list, position, code`)
	if err != nil {
		return nil, fmt.Errorf("load child options: %w", err)
	}
	defer rows.Close()
	o := &Options{lists: map[string][]Option{}}
	for rows.Next() {
		var x Option
		if err := rows.Scan(&x.List, &x.Code, &x.Parent, &x.LabelVI, &x.LabelEN, &x.Active); err != nil {
			return nil, err
		}
		o.lists[x.List] = append(o.lists[x.List], x)
	}
	return o, rows.Err()
}

// groupLetters is the order of the law's groups (Luật Trẻ em, Điều 10),
// which gives each its bit in a groups mask.
var groupLetters = []string{"a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l", "m", "n", "o"}

// groupBit returns the mask bit of a group letter, 0 for another code.
func groupBit(code string) uint32 {
	if i := slices.Index(groupLetters, code); i >= 0 {
		return 1 << i
	}
	return 0
}

// normalGroup reads a group as people write it: "a", "A", "đ", "Đ", "dd".
func normalGroup(s string) string {
	switch s {
	case "dd", "DD", "Dd", "Đ", "đ":
		return "đ"
	}
	if len(s) == 1 && s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0] + 'a' - 'A')
	}
	return s
}
