package hotline

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

// Kinds of reference data.
const (
	RefReason      = "reason"
	RefContactType = "contact_type"
	RefChannel     = "channel"
	RefAction      = "action"
	RefUrgency     = "urgency"
)

var refKinds = []string{RefReason, RefContactType, RefChannel, RefAction, RefUrgency}

// Ref is one version of a reference entry: a contact reason (two levels),
// a contact type, a channel, an action or an urgency. Entries are seeded
// data an admin edits; an edit adds a version and closes the previous one,
// and contacts keep the version they were recorded with.
type Ref struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Code      string    `json:"code"`
	Version   int       `json:"version"`
	Parent    string    `json:"parent,omitempty"`
	LabelVI   string    `json:"label_vi"`
	LabelEN   string    `json:"label_en"`
	Data      bool      `json:"data_contact,omitempty"`
	Sort      int       `json:"sort"`
	Active    bool      `json:"active"`
	ValidFrom time.Time `json:"valid_from,omitzero"`
	ValidTo   time.Time `json:"valid_to,omitzero"`
}

// Label is the entry's label in lang.
func (r Ref) Label(lang string) string {
	if lang == "en" {
		return r.LabelEN
	}
	return r.LabelVI
}

// refSet is every version of every entry.
type refSet struct {
	byID    map[int64]Ref
	current map[string]map[string]Ref // kind → code → current version
	list    map[string][]Ref          // kind → current versions in order
}

func (rs *refSet) cur(kind, code string) (Ref, bool) {
	r, ok := rs.current[kind][code]
	return r, ok
}

const refCols = `id, kind, code, version, parent_code, label_vi, label_en, data_contact, sort, active, valid_from, valid_to`

func scanRef(row interface{ Scan(...any) error }) (Ref, error) {
	var r Ref
	var from, to int64
	err := row.Scan(&r.ID, &r.Kind, &r.Code, &r.Version, &r.Parent, &r.LabelVI, &r.LabelEN, &r.Data, &r.Sort, &r.Active, &from, &to)
	r.ValidFrom, r.ValidTo = store.Time(from), store.Time(to)
	return r, err
}

// refreshEvery bounds how stale another instance's edit can look here.
const refreshEvery = 30 * time.Second

// loadRefs returns the reference data, read again when it is older than
// refreshEvery or after an edit here.
func (s *Service) loadRefs(ctx context.Context) (*refSet, error) {
	s.refsMu.Lock()
	defer s.refsMu.Unlock()
	if s.refs != nil && time.Since(s.refsLoaded) < refreshEvery {
		return s.refs, nil
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+refCols+` FROM hotline_refs ORDER BY kind, sort, code, version`)
	if err != nil {
		return nil, fmt.Errorf("load hotline reference data: %w", err)
	}
	defer rows.Close()
	rs := &refSet{byID: map[int64]Ref{}, current: map[string]map[string]Ref{}, list: map[string][]Ref{}}
	for rows.Next() {
		r, err := scanRef(rows)
		if err != nil {
			return nil, err
		}
		rs.byID[r.ID] = r
		if r.ValidTo.IsZero() {
			if rs.current[r.Kind] == nil {
				rs.current[r.Kind] = map[string]Ref{}
			}
			rs.current[r.Kind][r.Code] = r
			rs.list[r.Kind] = append(rs.list[r.Kind], r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.refs, s.refsLoaded = rs, time.Now()
	return rs, nil
}

func (s *Service) forgetRefs() {
	s.refsMu.Lock()
	s.refs = nil
	s.refsMu.Unlock()
}

// Refs lists the current entries of a kind ("" for every kind), in order;
// withInactive includes entries no longer offered.
func (s *Service) Refs(ctx context.Context, kind string, withInactive bool) ([]Ref, error) {
	rs, err := s.loadRefs(ctx)
	if err != nil {
		return nil, err
	}
	kinds := refKinds
	if kind != "" {
		kinds = []string{kind}
	}
	out := []Ref{}
	for _, k := range kinds {
		for _, r := range rs.list[k] {
			if r.Active || withInactive {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// RefByID returns any version of an entry (old contacts show the label
// they were recorded with).
func (s *Service) RefByID(ctx context.Context, id int64) (Ref, bool) {
	rs, err := s.loadRefs(ctx)
	if err != nil {
		return Ref{}, false
	}
	r, ok := rs.byID[id]
	return r, ok
}

// Label is the current label of a code, or the code itself.
func (s *Service) Label(ctx context.Context, kind, code, lang string) string {
	rs, err := s.loadRefs(ctx)
	if err != nil {
		return code
	}
	if r, ok := rs.cur(kind, code); ok {
		return r.Label(lang)
	}
	return code
}

// RefChange is an admin's edit of an entry (a new version) or a new entry.
type RefChange struct {
	LabelVI string `json:"label_vi"`
	LabelEN string `json:"label_en"`
	Parent  string `json:"parent"`
	Data    *bool  `json:"data_contact"`
	Sort    *int   `json:"sort"`
	Active  *bool  `json:"active"`
}

// SaveRef adds a version of the entry kind/code (creating the entry when
// it is new). The previous version stays, closed, for the contacts that
// use it.
func (s *Service) SaveRef(ctx context.Context, p *auth.Principal, kind, code string, in RefChange) (Ref, error) {
	v := errs.Validation()
	known := false
	for _, k := range refKinds {
		known = known || k == kind
	}
	if !known {
		return Ref{}, errs.NotFound("hotline_ref")
	}
	if !refCodeOK(code) {
		v.Field("code", "hotline.ref_code")
	}
	in.LabelVI, in.LabelEN = strings.TrimSpace(in.LabelVI), strings.TrimSpace(in.LabelEN)
	rs, err := s.loadRefs(ctx)
	if err != nil {
		return Ref{}, err
	}
	prev, exists := rs.cur(kind, code)
	if !exists {
		if in.LabelVI == "" {
			v.Field("label_vi", "hotline.ref_label")
		}
		if in.LabelEN == "" {
			v.Field("label_en", "hotline.ref_label")
		}
	}
	next := prev
	next.Kind, next.Code, next.Version = kind, code, prev.Version+1
	if !exists {
		next.Active = true
	}
	if in.LabelVI != "" {
		next.LabelVI = in.LabelVI
	}
	if in.LabelEN != "" {
		next.LabelEN = in.LabelEN
	}
	if len(next.LabelVI) > 200 || len(next.LabelEN) > 200 {
		v.Field("label_vi", "hotline.ref_label")
	}
	if kind == RefReason {
		if !exists {
			next.Parent = in.Parent
			if i := strings.IndexByte(code, '.'); i >= 0 {
				next.Parent = code[:i]
			}
		}
		if next.Parent != "" {
			if par, ok := rs.cur(RefReason, next.Parent); !ok || par.Parent != "" || !strings.HasPrefix(code, next.Parent+".") {
				v.Field("parent", "hotline.ref_parent")
			}
		}
	}
	if in.Data != nil {
		next.Data = *in.Data
	}
	if in.Sort != nil {
		next.Sort = *in.Sort
	}
	if in.Active != nil {
		next.Active = *in.Active
	}
	if err := v.OrNil(); err != nil {
		return Ref{}, err
	}
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if exists {
			res, err := tx.ExecContext(ctx, `UPDATE hotline_refs SET valid_to = $1 WHERE id = $2 AND valid_to = 0`, store.Millis(now), prev.ID)
			if err != nil {
				return fmt.Errorf("close reference version: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errs.Conflict("hotline.ref_changed")
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO hotline_refs (kind, code, version, parent_code, label_vi, label_en,
			data_contact, sort, active, valid_from, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			kind, code, next.Version, next.Parent, next.LabelVI, next.LabelEN, next.Data, next.Sort, next.Active,
			store.Millis(now), p.UserID).Scan(&next.ID)
		if store.IsUnique(err) {
			return errs.Conflict("hotline.ref_changed")
		}
		if err != nil {
			return fmt.Errorf("add reference version: %w", err)
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "hotline.ref.save", RecordType: "hotline_ref",
			RecordID: kind + "/" + code, Detail: fmt.Sprintf("version=%d", next.Version)})
	})
	if err != nil {
		return Ref{}, err
	}
	s.forgetRefs()
	next.ValidFrom, next.ValidTo = now.UTC().Truncate(time.Millisecond), time.Time{}
	return next, nil
}

func refCodeOK(code string) bool {
	if code == "" || len(code) > 60 {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return strings.Count(code, ".") <= 1 && code[0] != '.' && code[len(code)-1] != '.'
}

// ReasonTree is the current reason tree: level-1 entries with their
// children, in order.
type ReasonNode struct {
	Ref
	Children []Ref `json:"children"`
}

// ReasonTree returns the active reasons as a tree.
func (s *Service) ReasonTree(ctx context.Context) ([]ReasonNode, error) {
	refs, err := s.Refs(ctx, RefReason, false)
	if err != nil {
		return nil, err
	}
	var out []ReasonNode
	idx := map[string]int{}
	for _, r := range refs {
		if r.Parent == "" {
			idx[r.Code] = len(out)
			out = append(out, ReasonNode{Ref: r, Children: []Ref{}})
		}
	}
	for _, r := range refs {
		if i, ok := idx[r.Parent]; ok && r.Parent != "" {
			out[i].Children = append(out[i].Children, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Sort < out[j].Sort })
	return out, nil
}
