// Package children is the registry of children in special circumstances
// (trẻ em có hoàn cảnh đặc biệt, Luật Trẻ em 2016 Điều 10) and of children
// at risk, with the help each receives: records and their history,
// supports, the name index used for search and duplicate matching, import
// from spreadsheets and export.
//
// Every method takes the acting principal and keeps to its scope: a
// commune officer sees their commune, a province officer their province,
// national roles (and the hotline, which must find children) the country.
// Every read of a child, every change and every export is audited.
package children

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"treem/internal/audit"
	"treem/internal/dates"
	"treem/internal/geo"
	"treem/internal/ident"
	"treem/internal/match"
	"treem/internal/seal"
	"treem/internal/store"
)

// Child is a registry record.
type Child struct {
	ID           int64       `json:"id"`
	Name         string      `json:"name"`
	DOB          dates.Date  `json:"dob"`
	DOBEstimated bool        `json:"dob_estimated"`
	Sex          ident.Sex   `json:"sex"`
	Ethnicity    string      `json:"ethnicity"` // 01..54, "" unknown
	PID          string      `json:"pid"`
	Commune      string      `json:"commune"`
	Province     string      `json:"province"`
	OldCommune   string      `json:"old_commune"` // the pre-July-2025 code given, if any
	Address      string      `json:"address"`
	Phone        string      `json:"phone"`
	Caregivers   []Caregiver `json:"caregivers"`
	// Groups are the letters of the groups the child is in now; Periods
	// every membership, past ones too.
	Groups          []string      `json:"groups"`
	Periods         []GroupPeriod `json:"group_periods"`
	Risks           []string      `json:"risks"`
	DisabilityType  string        `json:"disability_type"`
	DisabilityLevel string        `json:"disability_level"`
	SchoolStatus    string        `json:"school_status"`
	InsuranceCard   string        `json:"insurance_card"`
	Notes           string        `json:"notes"`
	Version         int           `json:"version"`
	MergedInto      int64         `json:"merged_into,omitempty"` // this record is a duplicate of that child
	Merged          []int64       `json:"merged,omitempty"`      // duplicates merged into this child
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`

	createdBy, updatedBy int64
	importID             int64 // the import that made the record, if one did
	phoneHash            []byte
}

// Caregiver is a person who looks after the child.
type Caregiver struct {
	Name     string `json:"name"`
	Relation string `json:"relation"` // child_options 'relation'
	Phone    string `json:"phone"`
}

// GroupPeriod is a child's membership of a special-circumstance group.
type GroupPeriod struct {
	ID         int64      `json:"id"`
	Code       string     `json:"code"`
	Subgroup   string     `json:"subgroup"`
	Start      dates.Date `json:"start"`
	End        dates.Date `json:"end"` // the day the child left the group; zero while in it
	RecordedBy string     `json:"recorded_by"`
	RecordedAt time.Time  `json:"recorded_at"`
	childID    int64
}

// Open reports whether the child is in the group on day.
func (g GroupPeriod) Open(day dates.Date) bool {
	return g.End.IsZero() || dateNum(g.End) > dateNum(day)
}

// Support statuses. A child counts as helped in a period when at least
// one delivered support is dated in it.
const (
	StatusPlanned   = "planned"
	StatusDelivered = "delivered"
	StatusCancelled = "cancelled"
)

// Support is help a child received (or is planned to receive).
type Support struct {
	ID        int64      `json:"id"`
	ChildID   int64      `json:"child_id"`
	Kind      string     `json:"kind"`
	Date      dates.Date `json:"date"`
	Provider  string     `json:"provider"`
	AmountVND int64      `json:"amount_vnd"`
	Status    string     `json:"status"`
	Note      string     `json:"note"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	// FromChild is the child it was recorded on, when that child was
	// merged into this one.
	FromChild int64 `json:"from_child,omitempty"`
}

// Deps are the service's dependencies.
type Deps struct {
	DB    *store.DB
	Keys  *seal.Keyring
	Audit *audit.Log
	Units *geo.Units
	Log   *slog.Logger
	Now   func() time.Time
	// Contacts names the officers of a commune, whom an officer elsewhere
	// may ask about a possible match (auth.Service.UnitContacts).
	Contacts func(ctx context.Context, unit string) ([]Contact, error)
	// Index is the name index; nil makes a new, empty one.
	Index *match.Index
}

// Contact is an officer to ask about a child in their unit.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Service runs the registry.
type Service struct {
	Deps
	opts atomic.Pointer[Options]
	sync syncState
	jobs sync.WaitGroup // imports running in the background

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared on the reader pool, by text
}

// New returns the service with its option lists loaded. Call LoadIndex to
// fill the name index and Run to keep it in step with other instances.
func New(ctx context.Context, d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Units == nil {
		d.Units = geo.Default()
	}
	if d.Index == nil {
		d.Index = match.New()
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{Deps: d}
	o, err := loadOptions(ctx, d.DB)
	if err != nil {
		return nil, err
	}
	s.opts.Store(o)
	return s, nil
}

// Options returns the registry's option lists.
func (s *Service) Options() *Options { return s.opts.Load() }

// today is the calendar day in Vietnam.
func (s *Service) today() dates.Date { return dates.Today(s.Now()) }

// dateNum is a date as stored: yyyymmdd with 00 for unknown parts, 0 for none.
func dateNum(d dates.Date) int {
	if d.IsZero() {
		return 0
	}
	return d.Year*10000 + d.Month*100 + d.Day
}

// numDate reads a stored date.
func numDate(n int, estimated bool) dates.Date {
	if n == 0 {
		return dates.Date{}
	}
	d := dates.Date{Year: n / 10000, Month: n / 100 % 100, Day: n % 100, Estimated: estimated}
	switch {
	case d.Month == 0:
		d.Precision = dates.Year
	case d.Day == 0:
		d.Precision = dates.Month
	default:
		d.Precision = dates.Day
	}
	return d
}
