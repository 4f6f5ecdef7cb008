// Package cases runs case management under the Law on Children (Luật Trẻ
// em 2016, Điều 47–52) and Nghị định 56/2017/NĐ-CP (Điều 26–32): a case
// holds the children and the reports that opened it, the incidents and the
// alleged perpetrator, and moves through the steps of the legal procedure
// (an explicit state machine, see steps.go) with deadlines counted in
// working days from a holiday calendar kept as data, or in hours for the
// 12-hour emergency clock.
//
// Every method takes the acting principal and keeps to its scope: a case
// outside the caller's unit answers like an absent one. Every read, change
// and export is audited. The timeline of a case (case_events) is the one
// record of who did what; other areas (referrals, documents, reminders)
// add to it with AppendEvent.
package cases

import (
	"log/slog"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/children"
	"treem/internal/geo"
	"treem/internal/hotline"
	"treem/internal/seal"
	"treem/internal/store"
)

// Risk levels, of a case and of each assessed factor (Cao / Trung bình /
// Thấp).
const (
	RiskHigh   = "high"
	RiskMedium = "medium"
	RiskLow    = "low"
)

// Case is a child-protection case.
type Case struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"`
	Commune    string    `json:"commune"`
	Province   string    `json:"province"`
	Step       string    `json:"step"`
	StepAt     time.Time `json:"step_at"`
	Risk       string    `json:"risk"`
	Source     string    `json:"source"`
	Summary    string    `json:"summary,omitempty"`
	AbuseForms []string  `json:"abuse_forms"`
	AssignedTo int64     `json:"assigned_to,omitempty"`
	Workers    []int64   `json:"workers"`
	// Confidential cases (sexual abuse) hide the children's names from
	// everyone but the assigned workers unless they open the case with a
	// stated reason (break-glass).
	Confidential bool `json:"confidential"`
	// Masked is true when the caller may not see the children's names and
	// the case's narrative (a confidential case they are not assigned to
	// and have not opened with a reason). Other areas must honour it.
	Masked       bool      `json:"masked"`
	Children     []int64   `json:"children"`
	TransferTo   string    `json:"transfer_to,omitempty"`
	TransferFrom string    `json:"transfer_from,omitempty"`
	CloseReason  string    `json:"close_reason,omitempty"`
	Version      int       `json:"version"`
	ReceivedAt   time.Time `json:"received_at"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	ClosedAt     time.Time `json:"closed_at,omitzero"`

	createdBy   int64
	perpetrator []byte // sealed; opened only for those who may see it
	summary     []byte // sealed
}

// Open reports whether the case is still being worked on.
func (c *Case) Open() bool { return c.Step != StepClosed && c.Step != StepTransferred }

// Assigned reports whether the user is one of the case's workers.
func (c *Case) Assigned(userID int64) bool {
	if userID == 0 {
		return false
	}
	if c.AssignedTo == userID {
		return true
	}
	for _, w := range c.Workers {
		if w == userID {
			return true
		}
	}
	return false
}

// Deps are the service's dependencies.
type Deps struct {
	DB       *store.DB
	Keys     *seal.Keyring
	Audit    *audit.Log
	Auth     *auth.Service
	Children *children.Service
	Hotline  *hotline.Service
	Units    *geo.Units
	Log      *slog.Logger
	Now      func() time.Time
}

// Service runs cases.
type Service struct {
	Deps
}

// New returns the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Units == nil {
		d.Units = geo.Default()
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{Deps: d}
}

// Seal contexts: what each sealed column holds.
const (
	sealSummary     = "cases.summary"
	sealPerpetrator = "cases.perpetrator"
	sealEvent       = "case_events.secret"
	sealReport      = "case_reports.data"
	sealIncident    = "case_incidents.data"
	sealAssessment  = "case_assessments.data"
	sealEmergency   = "case_emergencies.data"
	sealPlan        = "case_plans.data"
	sealDecision    = "case_plans.decision"
	sealReview      = "case_reviews.data"
	sealAccess      = "case_access.reason"
)

// SealedColumns are the encrypted columns of cases, for key rotation.
var SealedColumns = []seal.Column{
	{Table: "cases", Key: "id", Column: "summary", Context: sealSummary},
	{Table: "cases", Key: "id", Column: "perpetrator", Context: sealPerpetrator},
	{Table: "case_events", Key: "id", Column: "secret", Context: sealEvent},
	{Table: "case_reports", Key: "id", Column: "data", Context: sealReport},
	{Table: "case_incidents", Key: "id", Column: "data", Context: sealIncident},
	{Table: "case_assessments", Key: "id", Column: "data", Context: sealAssessment},
	{Table: "case_emergencies", Key: "id", Column: "data", Context: sealEmergency},
	{Table: "case_plans", Key: "id", Column: "data", Context: sealPlan},
	{Table: "case_plans", Key: "id", Column: "decision", Context: sealDecision},
	{Table: "case_reviews", Key: "id", Column: "data", Context: sealReview},
	{Table: "case_access", Key: "id", Column: "reason", Context: sealAccess},
}
