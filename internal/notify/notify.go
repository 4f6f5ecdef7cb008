// Package notify tells people what needs them: notifications in the app
// (an unread count in the page header, a list with mark-as-read) and by
// e-mail over SMTP.
//
// A notification is written in the transaction of the event that causes
// it (a reminder, an escalation), with a key that makes a repeat of the same
// event a no-op. Its e-mail is a row of the outbox written in the same
// transaction, and a durable job (unique key mail:ID) delivers it: the mail
// exists exactly when the event does, survives restarts, and is sent by one
// instance. See Service.deliver for the one window where a mail can go out
// twice, and how it is kept small.
//
// Messages name their content by a kind and arguments (a case number, a
// deadline), rendered in the reader's language: never a child's personal
// data, which stays behind the link and its access checks.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/i18n"
	"treem/internal/jobs"
	"treem/internal/store"
)

// Deps are the service's dependencies.
type Deps struct {
	DB      *store.DB
	Audit   *audit.Log
	Jobs    *jobs.Queue
	I18n    *i18n.Bundle
	Log     *slog.Logger
	Now     func() time.Time
	Mail    Mail   // SMTP; no Host: no e-mail
	BaseURL string // the public address, for links in e-mails
}

// Service stores notifications and sends their e-mails.
type Service struct {
	db      *store.DB
	audit   *audit.Log
	jobs    *jobs.Queue
	i18n    *i18n.Bundle
	log     *slog.Logger
	now     func() time.Time
	mail    Mail
	baseURL string
}

// jobMail is the job kind that delivers one outbox row.
const jobMail = "notify.mail"

// New returns the service and registers its job.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.Mail.defaults()
	s := &Service{db: d.DB, audit: d.Audit, jobs: d.Jobs, i18n: d.I18n, log: d.Log, now: d.Now, mail: d.Mail,
		baseURL: strings.TrimSuffix(d.BaseURL, "/")}
	if s.jobs != nil {
		s.jobs.Handle(jobMail, s.mailJob)
	}
	return s
}

// MailEnabled reports whether e-mails are sent.
func (s *Service) MailEnabled() bool { return s.mail.Host != "" }

// Message is one event to tell some accounts about.
type Message struct {
	To   []auth.Recipient  // resolved by the caller (auth.Service.Recipients…)
	Kind string            // i18n keys notify.KIND.title and notify.KIND.body
	Args map[string]string // the message's arguments: no personal data
	Link string            // a path in treem, e.g. /cases/12
	// Key names the event: each recipient is notified of a key once, so an
	// event processed twice notifies nobody twice.
	Key string
}

// Notify writes m's notifications, and their e-mails to recipients with an
// address, in the caller's transaction. It returns how many notifications
// were new.
func (s *Service) Notify(ctx context.Context, tx *store.Tx, m Message) (int, error) {
	return s.NotifyAll(ctx, tx, []Message{m})
}

// row is one notification to write.
type row struct {
	m    *Message
	to   auth.Recipient
	args string
	key  string
}

// rowsPerStatement is how many rows a multi-row statement writes: SQLite
// looks $N parameters up in a list (quadratic in their number), while
// PostgreSQL pays a round trip per statement.
func rowsPerStatement(tx *store.Tx) int {
	if tx.Engine() == store.Postgres {
		return 500
	}
	return 50
}

// NotifyAll is Notify for many messages, in multi-row statements: a few
// round trips for hundreds of notifications.
func (s *Service) NotifyAll(ctx context.Context, tx *store.Tx, msgs []Message) (int, error) {
	var rows []row
	for i := range msgs {
		m := &msgs[i]
		if m.Kind == "" || m.Key == "" {
			return 0, errors.New("notify: a message needs a kind and a key")
		}
		if m.Args == nil {
			m.Args = map[string]string{}
		}
		raw, err := json.Marshal(m.Args)
		if err != nil {
			return 0, err
		}
		for _, to := range m.To {
			rows = append(rows, row{m: m, to: to, args: string(raw), key: fmt.Sprintf("%s|%d", m.Key, to.ID)})
		}
	}
	now := store.Millis(s.now())
	chunk := rowsPerStatement(tx)
	n := 0
	var mails []mailRow
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		byKey := make(map[string]*row, len(part))
		var sb strings.Builder
		sb.WriteString(`INSERT INTO notifications (user_id, kind, args, link, dedupe_key, created_at) VALUES `)
		args := make([]any, 0, len(part)*5+1)
		args = append(args, now)
		for i := range part {
			r := &part[i]
			byKey[r.key] = r
			if i > 0 {
				sb.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $1)", k+1, k+2, k+3, k+4, k+5)
			args = append(args, r.to.ID, r.m.Kind, r.args, r.m.Link, r.key)
		}
		// A key already used (the same event told twice) adds nothing.
		sb.WriteString(` ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key`)
		res, err := tx.QueryContext(ctx, sb.String(), args...)
		if err != nil {
			return n, fmt.Errorf("notify: %w", err)
		}
		for res.Next() {
			var id int64
			var key string
			if err := res.Scan(&id, &key); err != nil {
				res.Close()
				return n, err
			}
			n++
			if r := byKey[key]; r != nil && s.MailEnabled() && r.to.Email != "" {
				mails = append(mails, mailRow{nid: id, to: r.to, m: r.m})
			}
		}
		res.Close()
		if err := res.Err(); err != nil {
			return n, err
		}
	}
	if len(mails) > 0 {
		if err := s.queueMails(ctx, tx, mails); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Notification is one notification as its reader sees it.
type Notification struct {
	ID        int64             `json:"id"`
	Kind      string            `json:"kind"`
	Title     string            `json:"title"`
	Body      string            `json:"body"`
	Args      map[string]string `json:"args"`
	Link      string            `json:"link,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	ReadAt    *time.Time        `json:"read_at"`
}

// Filter selects a user's notifications.
type Filter struct {
	Unread bool  // only unread ones
	Before int64 // cursor: ids below this one
	Limit  int   // 1–200, default 50
}

// List returns a user's notifications, newest first, in lang, and how many
// match in all.
func (s *Service) List(ctx context.Context, userID int64, f Filter, lang string) ([]Notification, int, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	where := `user_id = $1`
	if f.Unread {
		where += ` AND read_at IS NULL`
	}
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE `+where, userID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count notifications: %w", err)
	}
	before := f.Before
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, kind, args, link, created_at, read_at FROM notifications
		WHERE `+where+` AND id < $2 ORDER BY id DESC LIMIT $3`, userID, before, f.Limit)
	if err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	l := s.i18n.For(lang)
	out := []Notification{}
	for rows.Next() {
		n, err := scan(rows, l)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	return out, total, rows.Err()
}

func scan(row interface{ Scan(...any) error }, l *i18n.Localizer) (Notification, error) {
	var n Notification
	var args string
	var created int64
	var read sql.NullInt64
	if err := row.Scan(&n.ID, &n.Kind, &args, &n.Link, &created, &read); err != nil {
		return n, store.NoRows(err)
	}
	n.Args = map[string]string{}
	json.Unmarshal([]byte(args), &n.Args)
	n.CreatedAt = store.Time(created)
	if read.Valid {
		t := store.Time(read.Int64)
		n.ReadAt = &t
	}
	n.Title, n.Body = render(l, n.Kind, n.Args)
	return n, nil
}

// render writes a message's title and body in l's language.
func render(l *i18n.Localizer, kind string, args map[string]string) (title, body string) {
	m := make(map[string]any, len(args))
	for k, v := range args {
		m[k] = v
	}
	if w, ok := args["what"]; ok {
		// The deadline's name, when the catalog has it; else its code.
		if t := l.T("notify.what." + w); !strings.HasPrefix(t, i18n.MissingMark) {
			m["what"] = t
		}
	}
	return l.T("notify."+kind+".title", m), l.T("notify."+kind+".body", m)
}

// Unread counts a user's unread notifications (the header's badge).
func (s *Service) Unread(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}

// MarkRead marks one of p's notifications read (again: a no-op) and
// returns it; another account's notification is not found.
func (s *Service) MarkRead(ctx context.Context, p *auth.Principal, id int64) (Notification, error) {
	var n Notification
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL`,
			store.Millis(s.now()), id, p.UserID)
		if err != nil {
			return err
		}
		n, err = scan(tx.QueryRowContext(ctx, `SELECT id, kind, args, link, created_at, read_at FROM notifications
			WHERE id = $1 AND user_id = $2`, id, p.UserID), s.i18n.For(p.Lang))
		if errors.Is(err, store.ErrNotFound) {
			return errs.NotFound("notification")
		}
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "notification.read", RecordType: "notification", RecordID: fmt.Sprint(id)})
	})
	return n, err
}

// MarkAllRead marks every unread notification of p read and returns how
// many there were.
func (s *Service) MarkAllRead(ctx context.Context, p *auth.Principal) (int, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`,
			store.Millis(s.now()), p.UserID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if n == 0 {
			return nil
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "notification.read_all", RecordType: "notification",
			Detail: fmt.Sprintf("count=%d", n)})
	})
	return int(n), err
}
