// Package referrals is the directory of service providers (cơ sở cung cấp
// dịch vụ bảo vệ trẻ em: health facilities, police, legal aid, shelters,
// schools, social-work centres) and the referrals of a case's child to
// them (Luật Trẻ em Điều 50; Nghị định 56 Điều 29, carrying out the plan).
//
// A referral goes requested → accepted | declined; accepted → delivered
// (the help is recorded on the child's registry record) → done. Each change
// appends an event to the case's timeline and an audit entry. A provider's
// staff (accounts of role provider linked to the provider) see only what was
// referred to them: the child's name, date of birth and sex, and the
// referral — never the case.
package referrals

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/children"
	"treem/internal/geo"
	"treem/internal/seal"
	"treem/internal/store"
)

// Provider kinds.
const (
	KindHealth     = "health"      // cơ sở y tế
	KindPolice     = "police"      // công an
	KindLegalAid   = "legal_aid"   // trợ giúp pháp lý
	KindShelter    = "shelter"     // cơ sở tạm lánh, nhà tạm lánh
	KindSchool     = "school"      // trường học
	KindSocialWork = "social_work" // trung tâm công tác xã hội
	KindOther      = "other"
)

// Kinds lists the provider kinds in the order forms show them.
var Kinds = []string{KindHealth, KindPolice, KindLegalAid, KindShelter, KindSchool, KindSocialWork, KindOther}

// DefaultService is the kind of help (the registry's support_kind) a
// referral to a provider of each kind records, unless the referral says.
var DefaultService = map[string]string{
	KindHealth: "health_care", KindPolice: "other", KindLegalAid: "legal_aid", KindShelter: "shelter",
	KindSchool: "education", KindSocialWork: "psychological", KindOther: "other",
}

// SealedColumns are this area's encrypted columns (app.sealedColumns).
var SealedColumns = []seal.Column{
	{Table: "referrals", Key: "id", Column: "note", Context: sealNote},
	{Table: "referrals", Key: "id", Column: "response", Context: sealResponse},
	{Table: "referrals", Key: "id", Column: "delivery_note", Context: sealDelivery},
}

const (
	sealNote     = "referrals.note"
	sealResponse = "referrals.response"
	sealDelivery = "referrals.delivery_note"
)

// Case is what a referral needs to know of a case: the cases package
// answers it (app wires Deps.Case to cases.Service.Authorize).
type Case struct {
	ID       int64
	Number   string
	Commune  string
	Province string
	Children []int64
	Masked   bool // the caller may not see the children's names (a confidential case)
}

// Event is a timeline entry of a case (cases.Event).
type Event struct {
	At        time.Time
	ActorID   int64
	ActorName string
	Kind      string
	Detail    map[string]any
}

// Deps are the service's dependencies.
type Deps struct {
	DB       *store.DB
	Keys     *seal.Keyring
	Audit    *audit.Log
	Units    *geo.Units
	Children *children.Service
	Log      *slog.Logger
	Now      func() time.Time
	// Case returns a case the principal may act on with perm: 404 outside
	// their scope, 403 without the permission (cases.Service.Authorize).
	Case func(ctx context.Context, p *auth.Principal, id int64, perm auth.Perm) (Case, error)
	// AppendEvent adds an entry to a case's timeline in tx (cases.AppendEvent).
	AppendEvent func(ctx context.Context, tx *store.Tx, caseID int64, e Event) error
}

// Service is the directory and the referrals.
type Service struct{ Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Units == nil {
		d.Units = geo.Default()
	}
	return &Service{Deps: d}
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// actorName is the account's name as the audit log records it.
func actorName(ctx context.Context, p *auth.Principal) (int64, string) {
	a := audit.ActorFrom(ctx)
	if p != nil {
		name := p.Name
		if name == "" {
			name = p.Username
		}
		return p.UserID, name
	}
	return 0, a.Name
}
