package referrals

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

// Provider is a service provider of the directory.
type Provider struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	Kind      string         `json:"kind"`
	Unit      string         `json:"unit"`     // the province or commune it serves
	Province  string         `json:"province"` // the province of Unit
	Address   string         `json:"address"`
	Services  string         `json:"services"`
	Active    bool           `json:"active"`
	Contacts  []ContactPoint `json:"contacts"`
	Users     []int64        `json:"users,omitempty"` // linked accounts (for those who manage the directory)
	Version   int            `json:"version"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// ContactPoint is a desk or person to call at a provider.
type ContactPoint struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
	Hours string `json:"hours"` // opening hours, as written
}

// ProviderInput creates or changes a provider. On a change, fields left
// out (nil) stay as they are and Version must be the version changed.
type ProviderInput struct {
	Name     *string         `json:"name"`
	Kind     *string         `json:"kind"`
	Unit     *string         `json:"unit"`
	Address  *string         `json:"address"`
	Services *string         `json:"services"`
	Active   *bool           `json:"active"`
	Contacts *[]ContactPoint `json:"contacts"`
	Version  int             `json:"version"`
}

// Limits of the directory's text fields.
const (
	maxName     = 200
	maxText     = 1000
	maxContacts = 20
)

// ProviderFilter narrows the directory.
type ProviderFilter struct {
	Unit   string // a province or commune: the providers serving it
	Kind   string
	Active *bool
}

// ManageableBy reports whether p may change providers of the unit.
func ManageableBy(p *auth.Principal, unit string) bool {
	return p != nil && p.Can(auth.PermProviders) && p.Sees(unit)
}

// visibleTo reports whether p may see a provider: the directory of a
// province is open to everyone working in it (officers choose where to
// refer among the province's providers).
func visibleTo(p *auth.Principal, pr Provider) bool {
	return p == nil || p.SeesProvince(pr.Province)
}

func (s *Service) checkProvider(p *auth.Principal, pr *Provider, in ProviderInput) error {
	v := errs.Validation()
	if in.Name != nil {
		pr.Name = strings.TrimSpace(*in.Name)
	}
	if in.Kind != nil {
		pr.Kind = strings.TrimSpace(*in.Kind)
	}
	if in.Unit != nil {
		pr.Unit = strings.TrimSpace(*in.Unit)
	}
	if in.Address != nil {
		pr.Address = strings.TrimSpace(*in.Address)
	}
	if in.Services != nil {
		pr.Services = strings.TrimSpace(*in.Services)
	}
	if in.Active != nil {
		pr.Active = *in.Active
	}
	switch n := len([]rune(pr.Name)); {
	case n == 0:
		v.Field("name", "referrals.required")
	case n > maxName:
		v.Field("name", "referrals.too_long", "max", maxName)
	}
	if !slices.Contains(Kinds, pr.Kind) {
		v.Field("kind", "referrals.provider_kind")
	}
	if u, ok := s.Units.Get(pr.Unit); !ok {
		v.Field("unit", "referrals.unit_unknown")
	} else if p != nil && !p.Sees(pr.Unit) {
		v.Field("unit", "referrals.unit_outside")
	} else {
		pr.Province = u.Province
	}
	if len([]rune(pr.Address)) > maxText {
		v.Field("address", "referrals.too_long", "max", maxText)
	}
	if len([]rune(pr.Services)) > maxText {
		v.Field("services", "referrals.too_long", "max", maxText)
	}
	if in.Contacts != nil {
		pr.Contacts = nil
		for _, c := range *in.Contacts {
			c = ContactPoint{Name: strings.TrimSpace(c.Name), Phone: strings.TrimSpace(c.Phone),
				Email: strings.TrimSpace(c.Email), Hours: strings.TrimSpace(c.Hours)}
			if c == (ContactPoint{}) {
				continue
			}
			pr.Contacts = append(pr.Contacts, c)
		}
	}
	if len(pr.Contacts) > maxContacts {
		v.Field("contacts", "referrals.too_many_contacts", "max", maxContacts)
	}
	for i, c := range pr.Contacts {
		f := fmt.Sprintf("contacts[%d].", i)
		if c.Name == "" {
			v.Field(f+"name", "referrals.required")
		} else if len([]rune(c.Name)) > maxName {
			v.Field(f+"name", "referrals.too_long", "max", maxName)
		}
		if c.Phone == "" && c.Email == "" {
			v.Field(f+"phone", "referrals.contact_reach")
		}
		if c.Phone != "" && !validPhone(c.Phone) {
			v.Field(f+"phone", "referrals.phone")
		}
		if c.Email != "" && (len(c.Email) > maxName || !strings.Contains(c.Email, "@") || strings.ContainsAny(c.Email, " <>,;")) {
			v.Field(f+"email", "referrals.email")
		}
		if len([]rune(c.Hours)) > maxName {
			v.Field(f+"hours", "referrals.too_long", "max", maxName)
		}
	}
	return v.OrNil()
}

// validPhone accepts a telephone number as institutions write theirs:
// digits with spaces, dots, dashes, brackets and a leading +; 3 to 15
// digits (111 is one).
func validPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '.', r == '-', r == '(', r == ')':
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 15 && len(s) <= 30
}

// CreateProvider adds a provider to the directory.
func (s *Service) CreateProvider(ctx context.Context, p *auth.Principal, in ProviderInput) (Provider, error) {
	if p != nil && !p.Can(auth.PermProviders) {
		return Provider{}, errs.Forbidden()
	}
	pr := Provider{Active: true}
	if err := s.checkProvider(p, &pr, in); err != nil {
		return Provider{}, err
	}
	now := store.Millis(s.Now())
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO providers (name, kind, unit, province, address, services, active, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id`,
			pr.Name, pr.Kind, pr.Unit, pr.Province, pr.Address, pr.Services, pr.Active, now).Scan(&pr.ID)
		if err != nil {
			return fmt.Errorf("insert provider: %w", err)
		}
		if err := putContacts(ctx, tx, pr.ID, pr.Contacts); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "provider.create", RecordType: "provider", RecordID: idStr(pr.ID),
			Detail: "unit=" + pr.Unit + " kind=" + pr.Kind})
	})
	if err != nil {
		return Provider{}, err
	}
	return s.load(ctx, pr.ID)
}

func putContacts(ctx context.Context, tx *store.Tx, id int64, cs []ContactPoint) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM provider_contacts WHERE provider_id = $1`, id); err != nil {
		return fmt.Errorf("replace provider contacts: %w", err)
	}
	for i, c := range cs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO provider_contacts (provider_id, position, name, phone, email, hours)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, i, c.Name, c.Phone, c.Email, c.Hours); err != nil {
			return fmt.Errorf("insert provider contact: %w", err)
		}
	}
	return nil
}

// UpdateProvider changes a provider; a stale version answers 409.
func (s *Service) UpdateProvider(ctx context.Context, p *auth.Principal, id int64, in ProviderInput) (Provider, error) {
	pr, err := s.Provider(ctx, p, id)
	if err != nil {
		return Provider{}, err
	}
	if !ManageableBy(p, pr.Unit) {
		return Provider{}, errs.Forbidden()
	}
	if in.Version != pr.Version {
		return Provider{}, errs.Conflict("referrals.provider_version").With("version", pr.Version).WithExtra("version", pr.Version)
	}
	if err := s.checkProvider(p, &pr, in); err != nil {
		return Provider{}, err
	}
	now := store.Millis(s.Now())
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE providers SET name = $1, kind = $2, unit = $3, province = $4, address = $5,
			services = $6, active = $7, version = version + 1, updated_at = $8 WHERE id = $9 AND version = $10`,
			pr.Name, pr.Kind, pr.Unit, pr.Province, pr.Address, pr.Services, pr.Active, now, id, pr.Version)
		if err != nil {
			return fmt.Errorf("update provider: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict("referrals.provider_version").With("version", pr.Version)
		}
		if in.Contacts != nil {
			if err := putContacts(ctx, tx, id, pr.Contacts); err != nil {
				return err
			}
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "provider.update", RecordType: "provider", RecordID: idStr(id),
			Detail: "unit=" + pr.Unit + " active=" + fmt.Sprint(pr.Active)})
	})
	if err != nil {
		return Provider{}, err
	}
	return s.load(ctx, id)
}

const providerCols = `id, name, kind, unit, province, address, services, active, version, created_at, updated_at`

func scanProvider(sc interface{ Scan(...any) error }) (Provider, error) {
	var pr Provider
	var created, updated int64
	err := sc.Scan(&pr.ID, &pr.Name, &pr.Kind, &pr.Unit, &pr.Province, &pr.Address, &pr.Services, &pr.Active,
		&pr.Version, &created, &updated)
	pr.CreatedAt, pr.UpdatedAt = store.Time(created), store.Time(updated)
	return pr, err
}

// load reads a provider with its contact points and linked accounts.
func (s *Service) load(ctx context.Context, id int64) (Provider, error) {
	pr, err := scanProvider(s.DB.Read().QueryRowContext(ctx, `SELECT `+providerCols+` FROM providers WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Provider{}, store.ErrNotFound
	}
	if err != nil {
		return Provider{}, fmt.Errorf("load provider %d: %w", id, err)
	}
	cs, err := s.contacts(ctx, []int64{id})
	if err != nil {
		return Provider{}, err
	}
	pr.Contacts = cs[id]
	if pr.Contacts == nil {
		pr.Contacts = []ContactPoint{}
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT user_id FROM provider_users WHERE provider_id = $1 ORDER BY user_id`, id)
	if err != nil {
		return Provider{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			return Provider{}, err
		}
		pr.Users = append(pr.Users, u)
	}
	return pr, rows.Err()
}

func (s *Service) contacts(ctx context.Context, ids []int64) (map[int64][]ContactPoint, error) {
	out := map[int64][]ContactPoint{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT provider_id, name, phone, email, hours FROM provider_contacts
		WHERE provider_id IN (`+strings.Join(ph, ", ")+`) ORDER BY provider_id, position`, args...)
	if err != nil {
		return nil, fmt.Errorf("provider contacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c ContactPoint
		if err := rows.Scan(&id, &c.Name, &c.Phone, &c.Email, &c.Hours); err != nil {
			return nil, err
		}
		out[id] = append(out[id], c)
	}
	return out, rows.Err()
}

// Provider returns a provider p may see (404 otherwise). Linked accounts
// are shown only to those who manage the directory.
func (s *Service) Provider(ctx context.Context, p *auth.Principal, id int64) (Provider, error) {
	pr, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !visibleTo(p, pr)) {
		return Provider{}, errs.NotFound("provider")
	}
	if err != nil {
		return Provider{}, err
	}
	if p != nil && !ManageableBy(p, pr.Unit) {
		pr.Users = nil
	}
	return pr, nil
}

// Providers lists the directory within p's province (the nation for
// national roles), by kind then name. With a unit, the providers serving
// it: those of the unit itself and, for a commune, of its province.
func (s *Service) Providers(ctx context.Context, p *auth.Principal, f ProviderFilter) ([]Provider, error) {
	where := []string{"1 = 1"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if p != nil && !p.National() {
		where = append(where, "province = "+arg(p.Province))
	}
	if f.Unit != "" {
		u, ok := s.Units.Get(f.Unit)
		if !ok {
			return nil, errs.Validation().Field("unit", "referrals.unit_unknown")
		}
		if u.Code == u.Province {
			where = append(where, "province = "+arg(u.Code))
		} else {
			where = append(where, "(unit = "+arg(u.Code)+" OR unit = "+arg(u.Province)+")")
		}
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.Active != nil {
		where = append(where, "active = "+arg(*f.Active))
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+providerCols+` FROM providers WHERE `+strings.Join(where, " AND ")+
		` ORDER BY kind, id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list providers: %w", err)
	}
	var out []Provider
	var ids []int64
	for rows.Next() {
		pr, err := scanProvider(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, pr)
		ids = append(ids, pr.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cs, err := s.contacts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Contacts = cs[out[i].ID]
		if out[i].Contacts == nil {
			out[i].Contacts = []ContactPoint{}
		}
	}
	slices.SortStableFunc(out, func(a, b Provider) int {
		if c := slices.Index(Kinds, a.Kind) - slices.Index(Kinds, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	if out == nil {
		out = []Provider{}
	}
	return out, nil
}

// LinkUser makes an account of role provider work for the provider (an
// account works for one provider: linking moves it).
func (s *Service) LinkUser(ctx context.Context, p *auth.Principal, providerID int64, u auth.User) error {
	pr, err := s.Provider(ctx, p, providerID)
	if err != nil {
		return err
	}
	if !ManageableBy(p, pr.Unit) {
		return errs.Forbidden()
	}
	if p != nil && !(p.National() || (u.Unit != "" && p.Sees(u.Unit))) {
		return errs.NotFound("user")
	}
	if u.Role != auth.Provider {
		return errs.Validation().Field("user_id", "referrals.user_not_provider")
	}
	byID, _ := actorName(ctx, p)
	now := store.Millis(s.Now())
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO provider_users (user_id, provider_id, linked_at, linked_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET provider_id = excluded.provider_id, linked_at = excluded.linked_at, linked_by = excluded.linked_by`,
			u.ID, providerID, now, byID)
		if err != nil {
			return fmt.Errorf("link provider user: %w", err)
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "provider.link_user", RecordType: "provider", RecordID: idStr(providerID),
			Detail: "user=" + idStr(u.ID)})
	})
}

// UnlinkUser ends an account's work for the provider.
func (s *Service) UnlinkUser(ctx context.Context, p *auth.Principal, providerID, userID int64) error {
	pr, err := s.Provider(ctx, p, providerID)
	if err != nil {
		return err
	}
	if !ManageableBy(p, pr.Unit) {
		return errs.Forbidden()
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM provider_users WHERE user_id = $1 AND provider_id = $2`, userID, providerID)
		if err != nil {
			return fmt.Errorf("unlink provider user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFound("user")
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "provider.unlink_user", RecordType: "provider", RecordID: idStr(providerID),
			Detail: "user=" + idStr(userID)})
	})
}

// ProviderOf returns the provider an account works for, 0 if none.
func (s *Service) ProviderOf(ctx context.Context, userID int64) (int64, error) {
	var id int64
	err := s.DB.Read().QueryRowContext(ctx, `SELECT provider_id FROM provider_users WHERE user_id = $1`, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// SeedDemo fills the directory of the demo's province (Hà Nội, 01) once
// and links the demo provider account to the commune's health station.
func (s *Service) SeedDemo(ctx context.Context, providerUser int64) error {
	var n int
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM providers`).Scan(&n); err != nil || n > 0 {
		return err
	}
	str := func(v string) *string { return &v }
	seed := []ProviderInput{
		{Name: str("Trạm y tế phường Ba Đình"), Kind: str(KindHealth), Unit: str("00004"), Address: str("Phường Ba Đình, Hà Nội"),
			Contacts: &[]ContactPoint{{Name: "Trực trạm", Phone: "024 3823 0000", Hours: "7:00–17:00, thứ Hai–thứ Bảy"}}},
		{Name: str("Công an phường Ba Đình"), Kind: str(KindPolice), Unit: str("00004"), Contacts: &[]ContactPoint{{Name: "Trực ban", Phone: "113"}}},
		{Name: str("Trung tâm Trợ giúp pháp lý Nhà nước thành phố Hà Nội"), Kind: str(KindLegalAid), Unit: str("01"),
			Contacts: &[]ContactPoint{{Name: "Bộ phận tiếp nhận", Phone: "024 3974 0000", Email: "trogiupphaply@example.vn"}}},
		{Name: str("Trung tâm Công tác xã hội Hà Nội"), Kind: str(KindSocialWork), Unit: str("01"), Services: str("Tư vấn tâm lý, quản lý trường hợp, nhà tạm lánh"),
			Contacts: &[]ContactPoint{{Name: "Đường dây nóng", Phone: "024 3200 0000", Hours: "24/7"}}},
	}
	var first int64
	for i, in := range seed {
		pr, err := s.CreateProvider(ctx, nil, in)
		if err != nil {
			return fmt.Errorf("seed provider %d: %w", i, err)
		}
		if i == 0 {
			first = pr.ID
		}
	}
	if providerUser == 0 {
		return nil
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO provider_users (user_id, provider_id, linked_at, linked_by) VALUES ($1, $2, $3, 0)
			ON CONFLICT (user_id) DO NOTHING`, providerUser, first, store.Millis(s.Now()))
		return err
	})
}
