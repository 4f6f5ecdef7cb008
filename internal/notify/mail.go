package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"treem/internal/auth"
	"treem/internal/jobs"
	"treem/internal/store"
)

// Mail configures the SMTP server e-mails go through. Without Host no
// e-mail is written or sent; notifications stay in the app.
type Mail struct {
	Host     string
	Port     int    // 0: 587 (465 with TLS "tls")
	User     string // empty: no authentication
	Password string
	From     string // "treem <no-reply@example.gov.vn>"
	// TLS is "starttls" (the default: upgrade, and refuse a server that
	// cannot), "tls" (TLS from the first byte, port 465) or "none" (a
	// relay on the same host or network only).
	TLS     string
	Timeout time.Duration // per message; 0: 30 s
	// TLSConfig is for tests (a private certificate authority); nil: the
	// system's roots and Host as the server name.
	TLSConfig *tls.Config
}

func (m *Mail) defaults() {
	if m.TLS == "" {
		m.TLS = "starttls"
	}
	if m.Port == 0 {
		m.Port = 587
		if m.TLS == "tls" {
			m.Port = 465
		}
	}
	if m.Timeout <= 0 {
		m.Timeout = 30 * time.Second
	}
}

// mailRow is one e-mail to write into the outbox.
type mailRow struct {
	nid int64 // its notification
	to  auth.Recipient
	m   *Message
}

// queueMails writes the e-mails of new notifications into the outbox and
// enqueues their delivery (one job each, unique key mail:ID), in the
// event's transaction.
func (s *Service) queueMails(ctx context.Context, tx *store.Tx, mails []mailRow) error {
	domain := "treem"
	if a, err := mail.ParseAddress(s.mail.From); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	now := store.Millis(s.now())
	chunk := rowsPerStatement(tx)
	var pending []jobs.Pending
	for start := 0; start < len(mails); start += chunk {
		part := mails[start:min(start+chunk, len(mails))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO mail_outbox (notification_id, to_addr, subject, body, message_id, created_at) VALUES `)
		args := make([]any, 0, len(part)*5+1)
		args = append(args, now)
		for i, ml := range part {
			l := s.i18n.For(ml.to.Lang)
			title, body := render(l, ml.m.Kind, ml.m.Args)
			if ml.m.Link != "" && s.baseURL != "" {
				body += "\n\n" + s.baseURL + ml.m.Link
			}
			body += "\n\n-- \n" + l.T("notify.mail.footer")
			var rnd [8]byte
			rand.Read(rnd[:])
			msgID := fmt.Sprintf("<%d.%s@%s>", ml.nid, hex.EncodeToString(rnd[:]), domain)
			if i > 0 {
				sb.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $1)", k+1, k+2, k+3, k+4, k+5)
			args = append(args, ml.nid, ml.to.Email, "[treem] "+title, body, msgID)
		}
		sb.WriteString(` RETURNING id`)
		res, err := tx.QueryContext(ctx, sb.String(), args...)
		if err != nil {
			return fmt.Errorf("queue mail: %w", err)
		}
		for res.Next() {
			var id int64
			if err := res.Scan(&id); err != nil {
				res.Close()
				return err
			}
			pending = append(pending, jobs.Pending{Args: mailArgs{ID: id},
				Opts: jobs.Opts{UniqueKey: "mail:" + strconv.FormatInt(id, 10), MaxAttempts: 20}})
		}
		res.Close()
		if err := res.Err(); err != nil {
			return err
		}
	}
	return s.jobs.EnqueueMany(ctx, tx, jobMail, pending)
}

type mailArgs struct {
	ID int64 `json:"id"`
}

func (s *Service) mailJob(ctx context.Context, j jobs.Job) error {
	var a mailArgs
	if err := json.Unmarshal(j.Args, &a); err != nil {
		return err
	}
	return s.deliver(ctx, a.ID)
}

// deliver sends one outbox row unless it is marked sent, and marks it
// sent as soon as the SMTP server has accepted it, before saying goodbye.
//
// The one window for a repeat: the server accepted the message and the
// instance died (or the database failed) before the mark was committed.
// The job then runs again after its lease and sends the message again.
// The window is a single database write long, and the repeat carries the
// same Message-ID, which mail servers and clients use to drop duplicates.
// The other order (mark, then send) would lose mail in the same window,
// and a lost reminder is worse than a repeated one.
func (s *Service) deliver(ctx context.Context, id int64) error {
	var to, subject, body, msgID string
	var created int64
	var sent sql.NullInt64
	err := s.db.Read().QueryRowContext(ctx, `SELECT to_addr, subject, body, message_id, created_at, sent_at FROM mail_outbox WHERE id = $1`, id).
		Scan(&to, &subject, &body, &msgID, &created, &sent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // removed meanwhile: nothing to send
	}
	if err != nil {
		return err
	}
	if sent.Valid {
		return nil
	}
	if !s.MailEnabled() {
		return errors.New("e-mail is not configured (--smtp-host)")
	}
	msg, err := s.compose(to, subject, body, msgID, store.Time(created))
	if err != nil {
		return s.mailFailed(ctx, id, err)
	}
	err = s.mail.send(ctx, to, msg, func() error {
		wctx := context.WithoutCancel(ctx)
		return s.db.Write(wctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(wctx, `UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, last_error = ''
				WHERE id = $2`, store.Millis(s.now()), id)
			return err
		})
	})
	if err != nil {
		return s.mailFailed(ctx, id, err)
	}
	return nil
}

func (s *Service) mailFailed(ctx context.Context, id int64, cause error) error {
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	wctx := context.WithoutCancel(ctx)
	err := s.db.Write(wctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(wctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2 AND sent_at IS NULL`, msg, id)
		return err
	})
	return errors.Join(fmt.Errorf("send mail %d: %w", id, cause), err)
}

// compose writes the message: UTF-8 text, quoted-printable, with a
// Message-ID kept from the first attempt.
func (s *Service) compose(to, subject, body, msgID string, at time.Time) ([]byte, error) {
	if _, err := mail.ParseAddress(to); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", s.mail.From)
	h("To", to)
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", at.Format(time.RFC1123Z))
	h("Message-ID", msgID)
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes(), nil
}

// send delivers msg to one recipient; accepted runs once the server has
// taken responsibility for it (the answer to DATA), before QUIT.
func (m Mail) send(ctx context.Context, to string, msg []byte, accepted func() error) error {
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()
	addr := net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	tcfg := m.TLSConfig
	if tcfg == nil {
		tcfg = &tls.Config{ServerName: m.Host, MinVersion: tls.VersionTLS12}
	}
	if m.TLS == "tls" {
		conn = tls.Client(conn, tcfg)
	}
	c, err := smtp.NewClient(conn, m.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if m.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("smtp: the server does not offer STARTTLS (set --smtp-tls none only for a local relay)")
		}
		if err := c.StartTLS(tcfg); err != nil {
			return fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if m.User != "" {
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, m.Host)); err != nil {
			return fmt.Errorf("smtp: authenticate: %w", err)
		}
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return fmt.Errorf("smtp: sender: %w", err)
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("smtp: recipient: %w", err)
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: message refused: %w", err)
	}
	// Accepted: record it before anything else can fail.
	if err := accepted(); err != nil {
		return err
	}
	c.Quit() // the message is delivered whatever QUIT answers
	return nil
}
