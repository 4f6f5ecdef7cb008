package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"treem/internal/audit"
	"treem/internal/errs"
	"treem/internal/store"
)

// Session states.
const (
	StateActive = "active"
	StateMFA    = "mfa" // the password was right; the second factor is awaited
)

// LoginResult is the outcome of a correct password.
type LoginResult struct {
	Token      string // the cookie value
	NeedsTOTP  bool   // the session waits for a code
	EnrollTOTP bool   // the role requires a second factor the account does not have yet
	User       User
}

// ErrBadLogin is the one answer for a wrong user name or password, so that
// the answer does not tell which was wrong.
var ErrBadLogin = errs.Unauthorized("login.bad_credentials")

// Login checks a user name and password and opens a session. After
// MaxFailures wrong passwords the account locks for LockBase, doubling
// with each further failure up to LockMax.
func (s *Service) Login(ctx context.Context, username, password, client, userAgent string) (LoginResult, error) {
	u, err := s.UserByName(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		CheckPassword(dummyHash, password) // the same time as a real check
		// The attempted name is not recorded: people type passwords there.
		s.audit.Record(audit.WithActor(ctx, audit.Actor{Name: "anonymous", Role: "public", Client: client}),
			audit.Event{Action: "auth.login", RecordType: "user", RecordID: "unknown", Outcome: audit.Failed})
		return LoginResult{}, ErrBadLogin
	}
	if err != nil {
		return LoginResult{}, err
	}
	actorCtx := audit.WithActor(ctx, u.Principal("login").Actor(client))
	now := s.now()
	if !u.Active {
		CheckPassword(dummyHash, password)
		s.audit.Record(actorCtx, audit.Event{Action: "auth.login", RecordType: "user", RecordID: itoa(u.ID), Outcome: audit.Denied, Detail: "inactive"})
		return LoginResult{}, ErrBadLogin
	}
	if u.LockedUntil.After(now) {
		s.audit.Record(actorCtx, audit.Event{Action: "auth.login", RecordType: "user", RecordID: itoa(u.ID), Outcome: audit.Denied, Detail: "locked"})
		mins := int(u.LockedUntil.Sub(now).Minutes()) + 1
		return LoginResult{}, errs.Unauthorized("login.locked").With("minutes", mins)
	}
	ok, err := CheckPassword(u.passwordHash, password)
	if err != nil {
		return LoginResult{}, fmt.Errorf("check password of user %d: %w", u.ID, err)
	}
	if !ok {
		failures := u.FailedLogins + 1
		var lockUntil int64
		if failures >= s.cfg.MaxFailures {
			d := s.cfg.LockBase << min(failures-s.cfg.MaxFailures, 16)
			if d > s.cfg.LockMax || d <= 0 {
				d = s.cfg.LockMax
			}
			lockUntil = store.Millis(now.Add(d))
		}
		s.db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE users SET failed_logins = failed_logins + 1, locked_until = $1 WHERE id = $2", lockUntil, u.ID); err != nil {
				return err
			}
			detail := "failures=" + strconv.Itoa(failures)
			if lockUntil > 0 {
				detail += " locked"
			}
			return s.audit.Append(actorCtx, tx, audit.Event{Action: "auth.login", RecordType: "user", RecordID: itoa(u.ID), Outcome: audit.Failed, Detail: detail})
		})
		return LoginResult{}, ErrBadLogin
	}
	res := LoginResult{User: u}
	state := StateActive
	expires := now.Add(s.cfg.SessionTTL)
	switch {
	case u.TOTPEnabled:
		state, res.NeedsTOTP = StateMFA, true
		expires = now.Add(s.cfg.MFAWindow)
	case s.RequiresTOTP(u.Role):
		res.EnrollTOTP = true // the session is active, but pages send the user to enrol first
	}
	tok, hash := randomToken()
	res.Token = tok
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, state, created_at, last_seen_at, expires_at, client_addr, user_agent)
			VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`, hash, u.ID, state, store.Millis(now), store.Millis(expires), client, truncate(userAgent, 200)); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET failed_logins = 0, locked_until = 0, last_login_at = $1 WHERE id = $2", store.Millis(now), u.ID); err != nil {
			return err
		}
		outcome, detail := audit.OK, ""
		if state == StateMFA {
			detail = "password ok, second factor awaited"
		}
		return s.audit.Append(actorCtx, tx, audit.Event{Action: "auth.login", RecordType: "user", RecordID: itoa(u.ID), Outcome: outcome, Detail: detail})
	})
	if err != nil {
		return LoginResult{}, err
	}
	return res, nil
}

// SessionPrincipal returns the principal of an active session token and
// records its use. A session waiting for its second factor answers
// ErrMFAPending.
func (s *Service) SessionPrincipal(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, errs.Unauthorized("login.required")
	}
	hash := hashToken(token)
	now := s.now()
	if p, ok := s.cache.get("s"+string(hash), now); ok {
		return p, nil
	}
	row := s.db.Read().QueryRowContext(ctx, sessionQuery, hash)
	var state string
	var expires, lastSeen int64
	u, err := scanUser(row, &state, &expires, &lastSeen)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.Unauthorized("login.expired")
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if !u.Active || now.UnixMilli() >= expires || now.Sub(store.Time(lastSeen)) > s.cfg.IdleTimeout {
		s.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", hash)
			return err
		})
		return nil, errs.Unauthorized("login.expired")
	}
	p := u.Principal("session")
	p.sessionHash = hash
	if state == StateMFA {
		return p, ErrMFAPending
	}
	s.cache.put("s"+string(hash), p, now)
	if now.Sub(store.Time(lastSeen)) >= s.cfg.TouchEvery {
		// Written at most once a minute per session, not on every request.
		s.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", store.Millis(now), hash)
			return err
		})
	}
	return p, nil
}

// ErrMFAPending means the session waits for its second factor.
var ErrMFAPending = errors.New("second factor pending")

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	hash := hashToken(token)
	return s.db.Write(ctx, func(tx *store.Tx) error {
		tx.After(s.cache.forget)
		var uid int64
		err := tx.QueryRowContext(ctx, "DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id", hash).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "auth.logout", RecordType: "user", RecordID: itoa(uid)})
	})
}

// PurgeSessions deletes expired sessions; run it now and then.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	var n int64
	now := s.now()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2",
			store.Millis(now), store.Millis(now.Add(-s.cfg.IdleTimeout)))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// CreateToken makes an API token for a user; only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string) (string, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return "", err
	}
	if name == "" {
		name = "cli"
	}
	raw, _ := randomToken()
	tok := "trm_" + raw
	now := s.now()
	var expires int64
	if s.cfg.TokenTTLDays > 0 {
		expires = store.Millis(now.AddDate(0, 0, s.cfg.TokenTTLDays))
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			hashToken(tok), u.ID, name, store.Millis(now), expires).Scan(&id); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "token.create", RecordType: "user", RecordID: itoa(u.ID), Detail: "token=" + itoa(id)})
	})
	return tok, err
}

// TokenPrincipal returns the principal of an API token.
func (s *Service) TokenPrincipal(ctx context.Context, token string) (*Principal, error) {
	if !strings.HasPrefix(token, "trm_") {
		return nil, errs.Unauthorized("token.invalid")
	}
	hash := hashToken(token)
	if p, ok := s.cache.get("t"+string(hash), s.now()); ok {
		return p, nil
	}
	var tokenID, expires, revoked, lastUsed int64
	row := s.db.Read().QueryRowContext(ctx, tokenQuery, hash)
	u, err := scanUser(row, &tokenID, &expires, &revoked, &lastUsed)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errs.Unauthorized("token.invalid")
	}
	if err != nil {
		return nil, fmt.Errorf("read token: %w", err)
	}
	now := s.now()
	if !u.Active || revoked != 0 || (expires != 0 && now.UnixMilli() >= expires) {
		return nil, errs.Unauthorized("token.invalid")
	}
	if now.Sub(store.Time(lastUsed)) >= s.cfg.TouchEvery {
		s.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", store.Millis(now), tokenID)
			return err
		})
	}
	p := u.Principal("token")
	p.MustChangePassword = false // tokens are for programs
	s.cache.put("t"+string(hash), p, now)
	return p, nil
}

var (
	sessionQuery = `SELECT s.state, s.expires_at, s.last_seen_at, ` + prefixed("u.", userCols) + `
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`
	tokenQuery = `SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, ` + prefixed("u.", userCols) + `
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`
)

func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// VerifyTOTP checks the code of a session waiting for its second factor
// and makes it active. Wrong codes count as failed logins.
func (s *Service) VerifyTOTP(ctx context.Context, token, code, client string) error {
	p, err := s.SessionPrincipal(ctx, token)
	if err != nil && !errors.Is(err, ErrMFAPending) {
		return err
	}
	if err == nil {
		return nil // already active
	}
	u, err := s.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	actorCtx := audit.WithActor(ctx, p.Actor(client))
	secret, err := s.keys.OpenString("users.totp", u.totpSecret)
	if err != nil {
		return fmt.Errorf("open second-factor secret of user %d: %w", u.ID, err)
	}
	now := s.now()
	step, err := checkTOTP(secret, code, now, u.totpLastStep)
	if err != nil {
		return err
	}
	if step == 0 {
		s.db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1", u.ID); err != nil {
				return err
			}
			return s.audit.Append(actorCtx, tx, audit.Event{Action: "auth.totp", RecordType: "user", RecordID: itoa(u.ID), Outcome: audit.Failed})
		})
		if u.FailedLogins+1 >= s.cfg.MaxFailures*2 {
			s.Logout(ctx, token) // too many guesses: start again from the password
		}
		return errs.Validation().Field("code", "totp.wrong")
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE sessions SET state = $1, expires_at = $2, last_seen_at = $3 WHERE id_hash = $4",
			StateActive, store.Millis(now.Add(s.cfg.SessionTTL)), store.Millis(now), hashToken(token)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET totp_last_step = $1, failed_logins = 0 WHERE id = $2", step, u.ID); err != nil {
			return err
		}
		tx.After(s.cache.forget)
		return s.audit.Append(actorCtx, tx, audit.Event{Action: "auth.totp", RecordType: "user", RecordID: itoa(u.ID)})
	})
}

// BeginTOTP makes a new secret for the caller and keeps it, sealed, in the
// session until ConfirmTOTP proves the app has it.
func (s *Service) BeginTOTP(ctx context.Context, p *Principal) (secret, uri string, err error) {
	secret = NewTOTPSecret()
	sealed, err := s.keys.SealString("sessions.pending", secret)
	if err != nil {
		return "", "", err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE sessions SET pending = $1 WHERE id_hash = $2", sealed, p.sessionHash)
		return err
	})
	return secret, TOTPURI(s.cfg.Issuer, p.Username, secret), err
}

// PendingTOTP returns the secret BeginTOTP kept in the session.
func (s *Service) PendingTOTP(ctx context.Context, p *Principal) (secret, uri string, err error) {
	var sealed []byte
	if err := s.db.Read().QueryRowContext(ctx, "SELECT pending FROM sessions WHERE id_hash = $1", p.sessionHash).Scan(&sealed); err != nil {
		return "", "", store.NoRows(err)
	}
	if len(sealed) == 0 {
		return "", "", store.ErrNotFound
	}
	secret, err = s.keys.OpenString("sessions.pending", sealed)
	return secret, TOTPURI(s.cfg.Issuer, p.Username, secret), err
}

// ConfirmTOTP turns the second factor on once a code from the new secret
// is right.
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, code string) error {
	secret, _, err := s.PendingTOTP(ctx, p)
	if errors.Is(err, store.ErrNotFound) {
		return errs.Invalid("totp.no_pending")
	}
	if err != nil {
		return err
	}
	step, err := checkTOTP(secret, code, s.now(), 0)
	if err != nil {
		return err
	}
	if step == 0 {
		return errs.Validation().Field("code", "totp.wrong")
	}
	sealed, err := s.keys.SealString("users.totp", secret)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET totp_secret = $1, totp_enabled = TRUE, totp_last_step = $2 WHERE id = $3", sealed, step, p.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE sessions SET pending = NULL WHERE id_hash = $1", p.sessionHash); err != nil {
			return err
		}
		tx.After(s.cache.forget)
		return s.audit.Append(ctx, tx, audit.Event{Action: "user.totp_enable", RecordType: "user", RecordID: itoa(p.UserID)})
	})
}

// DisableTOTP turns a user's second factor off (an admin helping someone
// who lost their phone). The role's requirement, if any, brings them back
// to enrolment at the next login.
func (s *Service) DisableTOTP(ctx context.Context, by *Principal, id int64) error {
	u, err := s.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !by.Manages(u)) {
		return errs.NotFound("user")
	}
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET totp_secret = NULL, totp_enabled = FALSE WHERE id = $1", id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", id); err != nil {
			return err
		}
		tx.After(s.cache.forget)
		return s.audit.Append(ctx, tx, audit.Event{Action: "user.totp_disable", RecordType: "user", RecordID: itoa(id)})
	})
}

// SetTOTPSecret turns the second factor on with a known secret (the demo
// data set and tests).
func (s *Service) SetTOTPSecret(ctx context.Context, id int64, secret string) error {
	sealed, err := s.keys.SealString("users.totp", secret)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE users SET totp_secret = $1, totp_enabled = TRUE WHERE id = $2", sealed, id)
		return err
	})
}

// NeedsEnrolment reports whether p must set up a second factor before
// going on: their role requires one and they have none yet.
func (p *Principal) NeedsEnrolment(s *Service) bool {
	return s.RequiresTOTP(p.Role) && !p.TOTPEnabled && p.Via == "session"
}
