package auth

import (
	"context"
	"slices"

	"treem/internal/audit"
	"treem/internal/geo"
)

// Role is what a user does; it decides which actions they may take. Their
// unit decides on which records.
type Role string

const (
	Admin           Role = "admin"            // national: configuration, accounts, audit
	Analyst         Role = "analyst"          // national: indicators and reports, read-only
	ProvinceOfficer Role = "province_officer" // a province's child-protection office
	CommuneOfficer  Role = "commune_officer"  // a commune's child-protection officer
	Counsellor      Role = "counsellor"       // Tổng đài 111 counsellor
	Supervisor      Role = "supervisor"       // Tổng đài 111 supervisor
	Provider        Role = "provider"         // a service provider receiving referrals
	Editor          Role = "editor"           // edits the public website's pages
)

// Roles lists every role, in the order forms show them.
var Roles = []Role{Admin, Analyst, ProvinceOfficer, CommuneOfficer, Counsellor, Supervisor, Provider, Editor}

// ParseRole accepts a role's code.
func ParseRole(s string) (Role, bool) {
	r := Role(s)
	return r, slices.Contains(Roles, r)
}

// UnitRule says what unit an account of a role must have.
type UnitRule int

const (
	UnitNone     UnitRule = iota // national: no unit
	UnitProvince                 // a province code
	UnitCommune                  // a commune code
	UnitOptional                 // none, a province or a commune
)

// UnitRuleOf returns the unit rule of r.
func UnitRuleOf(r Role) UnitRule {
	switch r {
	case ProvinceOfficer:
		return UnitProvince
	case CommuneOfficer:
		return UnitCommune
	case Counsellor, Supervisor, Provider:
		// The national hotline has no unit; a provincial hotline or a
		// provider serves a province or a commune.
		return UnitOptional
	}
	return UnitNone
}

// Perm is an action a role may take. Which records it applies to is the
// caller's unit's business (see Principal.Sees).
type Perm string

const (
	PermUsersManage  Perm = "users.manage"  // create and manage accounts (within one's unit)
	PermAuditRead    Perm = "audit.read"    // read the audit log
	PermSettings     Perm = "settings.edit" // edit reference data: trees, lists, holidays, indicators
	PermChildRead    Perm = "children.read"
	PermChildWrite   Perm = "children.write"
	PermChildMerge   Perm = "children.merge"
	PermChildUnmerge Perm = "children.unmerge"
	PermChildImport  Perm = "children.import"
	PermChildExport  Perm = "children.export"
	PermContactRead  Perm = "contacts.read"
	PermContactWrite Perm = "contacts.write"
	PermHotlineSuper Perm = "hotline.supervise"
	PermCaseRead     Perm = "cases.read"
	PermCaseWrite    Perm = "cases.write"
	PermCaseApprove  Perm = "cases.approve"
	PermReferralWork Perm = "referrals.work"   // a provider's side of a referral
	PermProviders    Perm = "providers.manage" // the directory of service providers (within one's unit)
	PermIndicators   Perm = "indicators.read"
	PermReturnsEnter Perm = "returns.enter"
	PermReturnsAppr  Perm = "returns.approve"
	PermContentEdit  Perm = "content.edit"
	PermPersonalData Perm = "personal_data.manage" // subject access, erasure, retention
)

// grants is the permission table: the one place that says which role may
// do what. docs/security.md publishes it.
var grants = map[Role][]Perm{
	Admin: {PermUsersManage, PermAuditRead, PermSettings, PermChildRead, PermChildWrite, PermChildMerge,
		PermChildUnmerge, PermChildImport, PermChildExport, PermContactRead, PermCaseRead, PermIndicators,
		PermReturnsAppr, PermContentEdit, PermPersonalData, PermProviders},
	Analyst: {PermIndicators, PermChildRead, PermCaseRead, PermContactRead},
	ProvinceOfficer: {PermUsersManage, PermChildRead, PermChildWrite, PermChildMerge, PermChildImport,
		PermChildExport, PermCaseRead, PermCaseWrite, PermCaseApprove, PermIndicators, PermReturnsEnter,
		PermReturnsAppr, PermContactRead, PermPersonalData, PermProviders},
	CommuneOfficer: {PermChildRead, PermChildWrite, PermChildMerge, PermChildImport, PermChildExport,
		PermCaseRead, PermCaseWrite, PermCaseApprove, PermIndicators, PermReturnsEnter},
	Counsellor: {PermContactRead, PermContactWrite, PermChildRead},
	Supervisor: {PermContactRead, PermContactWrite, PermHotlineSuper, PermChildRead, PermIndicators},
	Provider:   {PermReferralWork},
	Editor:     {PermContentEdit},
}

// Grants returns the permissions of r (for documentation and tests).
func Grants(r Role) []Perm { return slices.Clone(grants[r]) }

// Principal is who makes a request: an account, through a session or a token.
type Principal struct {
	UserID   int64
	Username string
	Name     string
	Role     Role
	Unit     string // "" national, a province code or a commune code
	Province string // the province of Unit, "" when national
	Lang     string
	Via      string // "session" or "token"

	MustChangePassword bool
	TOTPEnabled        bool
	sessionHash        []byte
}

// Can reports whether p's role may take the action.
func (p *Principal) Can(perm Perm) bool {
	return p != nil && slices.Contains(grants[p.Role], perm)
}

// National reports whether p sees the whole country.
func (p *Principal) National() bool { return p != nil && p.Unit == "" }

// Sees reports whether a record of the given unit (commune or province
// code) is inside p's scope: national roles see everything, a province
// officer their province, a commune officer their commune.
func (p *Principal) Sees(unit string) bool {
	if p == nil {
		return false
	}
	return geo.Default().Covers(p.Unit, unit)
}

// SeesProvince reports whether p sees any of a province.
func (p *Principal) SeesProvince(province string) bool {
	return p != nil && (p.Unit == "" || p.Province == province)
}

// Scope is the part of the country p sees, for filtering queries: both
// empty means all; otherwise records must be in Province, and in Commune
// when it is set.
type Scope struct {
	Province string
	Commune  string
}

// Scope returns p's scope.
func (p *Principal) Scope() Scope {
	if p == nil || p.Unit == "" {
		return Scope{}
	}
	if len(p.Unit) == 2 {
		return Scope{Province: p.Unit}
	}
	return Scope{Province: p.Province, Commune: p.Unit}
}

// Actor is p as the audit log names it.
func (p *Principal) Actor(client string) audit.Actor {
	if p == nil {
		return audit.Actor{Name: "anonymous", Role: "public", Client: client}
	}
	return audit.Actor{ID: p.UserID, Name: p.Username, Role: string(p.Role), Unit: p.Unit, Client: client}
}

type principalKey struct{}

// With stores p in ctx.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the principal in ctx, or nil for an anonymous request.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
