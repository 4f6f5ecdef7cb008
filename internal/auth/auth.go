// Package auth holds accounts, roles and scopes, passwords (argon2id),
// server-side sessions, lock-out after repeated failures, the TOTP second
// factor and API tokens.
//
// Sessions live in the database, so any instance behind a load balancer can
// serve any request. The cookie carries a random token; the database keeps
// only its SHA-256, so a copy of the database opens no session.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/errs"
	"treem/internal/geo"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/vntext"
)

// SealedColumns are the encrypted columns of accounts and sessions, for
// key rotation.
var SealedColumns = []seal.Column{
	{Table: "users", Key: "id", Column: "totp_secret", Context: "users.totp"},
	{Table: "sessions", Key: "id_hash", Column: "pending", Context: "sessions.pending"},
}

// Config tunes accounts and sessions.
type Config struct {
	SessionTTL   time.Duration // absolute lifetime of a session
	IdleTimeout  time.Duration // a session unused this long ends
	MaxFailures  int           // failed logins before the account locks
	LockBase     time.Duration // first lock; doubles with each further failure
	LockMax      time.Duration
	RequireTOTP  []Role // roles that must use a second factor
	Issuer       string // shown in authenticator apps
	MFAWindow    time.Duration
	TouchEvery   time.Duration // how often a session's last use is written
	TokenTTLDays int           // 0: API tokens do not expire
}

// DefaultConfig is right for production.
func DefaultConfig() Config {
	return Config{
		SessionTTL:  12 * time.Hour,
		IdleTimeout: 30 * time.Minute,
		MaxFailures: 5,
		LockBase:    time.Minute,
		LockMax:     time.Hour,
		RequireTOTP: []Role{Admin, Analyst, ProvinceOfficer, Supervisor, Counsellor}, // every role that sees a province or the country
		Issuer:      "treem",
		MFAWindow:   5 * time.Minute,
		TouchEvery:  time.Minute,
	}
}

// Service manages accounts and sessions.
type Service struct {
	db    *store.DB
	keys  *seal.Keyring
	audit *audit.Log
	cfg   Config
	now   func() time.Time
	cache principalCache
}

// NewService returns a Service.
func NewService(db *store.DB, keys *seal.Keyring, log *audit.Log, cfg Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, keys: keys, audit: log, cfg: cfg, now: now}
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// User is an account.
type User struct {
	ID                 int64     `json:"id"`
	Username           string    `json:"username"`
	FullName           string    `json:"name"`
	Email              string    `json:"email,omitempty"`
	Role               Role      `json:"role"`
	Unit               string    `json:"unit"`
	Province           string    `json:"province,omitempty"`
	Active             bool      `json:"active"`
	TOTPEnabled        bool      `json:"totp_enabled"`
	MustChangePassword bool      `json:"must_change_password"`
	LockedUntil        time.Time `json:"locked_until,omitzero"`
	FailedLogins       int       `json:"failed_logins"`
	Lang               string    `json:"lang"`
	CreatedAt          time.Time `json:"created_at"`
	LastLoginAt        time.Time `json:"last_login_at,omitzero"`

	passwordHash string
	totpSecret   []byte
	totpLastStep int64
}

const userCols = `id, username, full_name, email, role, unit_code, province_code, active, totp_enabled,
	must_change_password, locked_until, failed_logins, lang, created_at, last_login_at, password_hash,
	totp_secret, totp_last_step`

// scanUser reads userCols, after any extra leading columns of the query.
func scanUser(row interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	var locked, created, last int64
	var role string
	dest := append(extra, &u.ID, &u.Username, &u.FullName, &u.Email, &role, &u.Unit, &u.Province, &u.Active,
		&u.TOTPEnabled, &u.MustChangePassword, &locked, &u.FailedLogins, &u.Lang, &created, &last,
		&u.passwordHash, &u.totpSecret, &u.totpLastStep)
	if err := row.Scan(dest...); err != nil {
		return u, store.NoRows(err)
	}
	u.Role = Role(role)
	u.LockedUntil, u.CreatedAt, u.LastLoginAt = store.Time(locked), store.Time(created), store.Time(last)
	return u, nil
}

// Principal is the user acting through via.
func (u User) Principal(via string) *Principal {
	return &Principal{UserID: u.ID, Username: u.Username, Name: u.FullName, Role: u.Role, Unit: u.Unit,
		Province: u.Province, Lang: u.Lang, Via: via, MustChangePassword: u.MustChangePassword, TOTPEnabled: u.TOTPEnabled}
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,39}$`)

// NewUser is an account to create.
type NewUser struct {
	Username string `json:"username"`
	FullName string `json:"name"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Unit     string `json:"unit"`
	Password string `json:"password"` // empty: generate one
}

// validate checks a new or changed account against the rules and against
// what the acting principal may create; every problem is reported at once.
func validateAccount(by *Principal, username, role, unit string, checkName bool) (Role, string, error) {
	v := errs.Validation()
	if checkName && !usernameRE.MatchString(username) {
		v.Field("username", "user.username_format")
	}
	r, ok := ParseRole(role)
	if !ok {
		v.Field("role", "user.role_unknown")
	}
	province := ""
	if ok {
		u, known := geo.Default().Get(unit)
		switch rule := UnitRuleOf(r); {
		case unit != "" && !known:
			v.Field("unit", "unit.unknown", "code", unit)
		case rule == UnitNone && unit != "":
			v.Field("unit", "user.unit_national")
		case rule == UnitProvince && (unit == "" || u.Level != geo.LevelProvince):
			v.Field("unit", "user.unit_province")
		case rule == UnitCommune && (unit == "" || u.Level != geo.LevelCommune):
			v.Field("unit", "user.unit_commune")
		default:
			province = u.Province
		}
	}
	if err := v.OrNil(); err != nil {
		return "", "", err
	}
	// What the acting principal may manage: admins anything; a province
	// officer commune officers and providers inside their province.
	if by != nil && by.Role != Admin {
		if by.Role != ProvinceOfficer || (r != CommuneOfficer && r != Provider) {
			return "", "", errs.Forbidden().With("what", "role")
		}
		if unit == "" || !by.Sees(unit) {
			return "", "", errs.NotFound("unit")
		}
	}
	return r, province, nil
}

// CreateUser creates an account and returns it with its password (the one
// given, or a generated one to hand over). by is nil for the command line.
func (s *Service) CreateUser(ctx context.Context, by *Principal, in NewUser) (User, string, error) {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.FullName = vntext.Clean(in.FullName)
	in.Unit = strings.TrimSpace(in.Unit)
	role, province, err := validateAccount(by, in.Username, in.Role, in.Unit, true)
	if err != nil {
		return User{}, "", err
	}
	password := in.Password
	generated := password == ""
	if generated {
		password = GeneratePassword()
	} else if err := CheckPolicy(password, in.Username); err != nil {
		var pe *PolicyError
		errors.As(err, &pe)
		return User{}, "", errs.Validation().Field("password", pe.Key)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, "", err
	}
	now := s.now()
	var createdBy sql.NullInt64
	if by != nil {
		createdBy = sql.NullInt64{Int64: by.UserID, Valid: true}
	}
	var id int64
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (username, full_name, email, role, unit_code, province_code,
			password_hash, password_changed_at, must_change_password, created_at, created_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			in.Username, in.FullName, strings.TrimSpace(in.Email), string(role), in.Unit, province, hash,
			store.Millis(now), generated, store.Millis(now), createdBy, store.Millis(now)).Scan(&id)
		if store.IsUnique(err) {
			return errs.Validation().Field("username", "user.username_taken")
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "user.create", RecordType: "user",
			RecordID: strconv.FormatInt(id, 10), Detail: "role=" + string(role) + " unit=" + in.Unit})
	})
	if err != nil {
		return User{}, "", err
	}
	u, err := s.User(ctx, id)
	return u, password, err
}

// User returns an account by id.
func (s *Service) User(ctx context.Context, id int64) (User, error) {
	return scanUser(s.db.Read().QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = $1", id))
}

// UserByName returns an account by user name.
func (s *Service) UserByName(ctx context.Context, username string) (User, error) {
	return scanUser(s.db.Read().QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE username = $1",
		strings.ToLower(strings.TrimSpace(username))))
}

// UserFilter selects accounts.
type UserFilter struct {
	Role   string
	Unit   string
	Text   string // part of the user name or full name, diacritics ignored
	Limit  int
	Offset int
}

// Users lists the accounts by sees: everything for admins, their province
// for province officers.
func (s *Service) Users(ctx context.Context, by *Principal, f UserFilter) ([]User, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	sc := by.Scope()
	if sc.Province != "" {
		add("province_code = ?", sc.Province)
	}
	if sc.Commune != "" {
		add("unit_code = ?", sc.Commune)
	}
	if f.Role != "" {
		add("role = ?", f.Role)
	}
	if f.Unit != "" {
		if len(f.Unit) == 2 {
			add("province_code = ?", f.Unit)
		} else {
			add("unit_code = ?", f.Unit)
		}
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+userCols+" FROM users"+cond+" ORDER BY username", args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	text := vntext.Fold(f.Text)
	var all []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		if text != "" && !strings.Contains(vntext.Fold(u.Username+" "+u.FullName), text) {
			continue
		}
		all = append(all, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	total := len(all)
	if f.Offset > 0 {
		all = all[min(f.Offset, len(all)):]
	}
	if f.Limit > 0 && len(all) > f.Limit {
		all = all[:f.Limit]
	}
	return all, total, nil
}

// Manages reports whether by may manage the account u.
func (by *Principal) Manages(u User) bool {
	if !by.Can(PermUsersManage) {
		return false
	}
	if by.Role == Admin {
		return true
	}
	return (u.Role == CommuneOfficer || u.Role == Provider) && u.Unit != "" && by.Sees(u.Unit)
}

// UserUpdate changes an account; nil fields stay as they are.
type UserUpdate struct {
	FullName *string `json:"name"`
	Email    *string `json:"email"`
	Role     *string `json:"role"`
	Unit     *string `json:"unit"`
	Active   *bool   `json:"active"`
}

// UpdateUser changes an account that by manages.
func (s *Service) UpdateUser(ctx context.Context, by *Principal, id int64, up UserUpdate) (User, error) {
	u, err := s.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !by.Manages(u) && by.UserID != u.ID) {
		return User{}, errs.NotFound("user")
	}
	if err != nil {
		return User{}, err
	}
	if !by.Manages(u) {
		return User{}, errs.Forbidden()
	}
	role, unit := string(u.Role), u.Unit
	if up.Role != nil {
		role = *up.Role
	}
	if up.Unit != nil {
		unit = strings.TrimSpace(*up.Unit)
	}
	r, province, err := validateAccount(by, u.Username, role, unit, false)
	if err != nil {
		return User{}, err
	}
	if by.UserID == u.ID && (up.Active != nil && !*up.Active || r != u.Role) {
		return User{}, errs.Invalid("user.not_yourself")
	}
	name, email, active := u.FullName, u.Email, u.Active
	if up.FullName != nil {
		name = vntext.Clean(*up.FullName)
	}
	if up.Email != nil {
		email = strings.TrimSpace(*up.Email)
	}
	if up.Active != nil {
		active = *up.Active
	}
	var changed []string
	for _, c := range []struct {
		name string
		diff bool
	}{{"name", name != u.FullName}, {"email", email != u.Email}, {"role", r != u.Role}, {"unit", unit != u.Unit}, {"active", active != u.Active}} {
		if c.diff {
			changed = append(changed, c.name)
		}
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET full_name = $1, email = $2, role = $3, unit_code = $4,
			province_code = $5, active = $6, updated_at = $7 WHERE id = $8`,
			name, email, string(r), unit, province, active, store.Millis(s.now()), id); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if !active || r != u.Role || unit != u.Unit {
			// A changed role or unit takes effect at once: end the sessions.
			if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", id); err != nil {
				return err
			}
		}
		tx.After(s.cache.forget)
		return s.audit.Append(ctx, tx, audit.Event{Action: "user.update", RecordType: "user",
			RecordID: strconv.FormatInt(id, 10), Detail: "fields=" + strings.Join(changed, ",")})
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, id)
}

// ResetPassword sets a generated password that must be changed at the next
// login, unlocks the account and ends its sessions.
func (s *Service) ResetPassword(ctx context.Context, by *Principal, id int64) (string, error) {
	u, err := s.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !by.Manages(u)) {
		return "", errs.NotFound("user")
	}
	if err != nil {
		return "", err
	}
	password := GeneratePassword()
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	now := store.Millis(s.now())
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2,
			must_change_password = TRUE, failed_logins = 0, locked_until = 0, updated_at = $2 WHERE id = $3`, hash, now, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", id); err != nil {
			return err
		}
		tx.After(s.cache.forget)
		return s.audit.Append(ctx, tx, audit.Event{Action: "user.reset_password", RecordType: "user", RecordID: strconv.FormatInt(id, 10)})
	})
	return password, err
}

// Unlock clears a lock-out.
func (s *Service) Unlock(ctx context.Context, by *Principal, id int64) error {
	u, err := s.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !by.Manages(u)) {
		return errs.NotFound("user")
	}
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1", id); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "user.unlock", RecordType: "user", RecordID: strconv.FormatInt(id, 10)})
	})
}

// ChangePassword changes the caller's own password after checking the old one.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, old, new string) error {
	u, err := s.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	if ok, _ := CheckPassword(u.passwordHash, old); !ok {
		return errs.Validation().Field("old_password", "password.wrong")
	}
	if err := CheckPolicy(new, u.Username); err != nil {
		var pe *PolicyError
		errors.As(err, &pe)
		return errs.Validation().Field("new_password", pe.Key)
	}
	if old == new {
		return errs.Validation().Field("new_password", "password.same")
	}
	hash, err := HashPassword(new)
	if err != nil {
		return err
	}
	now := store.Millis(s.now())
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2,
			must_change_password = FALSE, updated_at = $2 WHERE id = $3`, hash, now, u.ID); err != nil {
			return err
		}
		// Other sessions of the account end; this one goes on.
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2", u.ID, p.sessionHash); err != nil {
			return err
		}
		tx.After(s.cache.forget)
		return s.audit.Append(ctx, tx, audit.Event{Action: "user.change_password", RecordType: "user", RecordID: strconv.FormatInt(u.ID, 10)})
	})
}

// SetLang stores the caller's language.
func (s *Service) SetLang(ctx context.Context, p *Principal, lang string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		tx.After(s.cache.forget)
		_, err := tx.ExecContext(ctx, "UPDATE users SET lang = $1 WHERE id = $2", lang, p.UserID)
		return err
	})
}

// RequiresTOTP reports whether accounts of role r must use a second factor.
func (s *Service) RequiresTOTP(r Role) bool {
	for _, x := range s.cfg.RequireTOTP {
		if x == r {
			return true
		}
	}
	return false
}

func randomToken() (string, []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok)
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// Contact is an officer others may ask about a record of their unit.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// UnitContacts names the active commune officers of a commune, or when it
// has none the province officers of its province: whom an officer
// elsewhere should ask about a record there. It gives names and e-mail
// addresses only.
func (s *Service) UnitContacts(ctx context.Context, commune string) ([]Contact, error) {
	for _, q := range []struct {
		role Role
		unit string
	}{{CommuneOfficer, commune}, {ProvinceOfficer, geo.Default().ProvinceOf(commune)}} {
		if q.unit == "" {
			continue
		}
		rows, err := s.db.Read().QueryContext(ctx, `SELECT full_name, username, email FROM users
			WHERE role = $1 AND unit_code = $2 AND active = TRUE ORDER BY username`, string(q.role), q.unit)
		if err != nil {
			return nil, fmt.Errorf("unit contacts: %w", err)
		}
		var out []Contact
		for rows.Next() {
			var name, username, email string
			if err := rows.Scan(&name, &username, &email); err != nil {
				rows.Close()
				return nil, err
			}
			if name == "" {
				name = username
			}
			out = append(out, Contact{Name: name, Email: email})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}
