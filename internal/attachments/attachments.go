// Package attachments keeps the files of a case (photos, scanned letters):
// sealed at rest, typed by their content (JPEG, PNG, WebP or PDF — never by
// what the client claims), bounded in size. Adding one appends to the case's
// timeline; every download is audited.
package attachments

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/seal"
	"treem/internal/store"
)

// DefaultMax is the size limit when none is configured: 10 MiB.
const DefaultMax = 10 << 20

// SealedColumns are this area's encrypted columns (app.sealedColumns).
var SealedColumns = []seal.Column{
	{Table: "case_attachments", Key: "id", Column: "name", Context: sealName},
	{Table: "case_attachments", Key: "id", Column: "data", Context: sealData},
}

const (
	sealName = "attachments.name"
	sealData = "attachments.data"
)

// Event is a case timeline entry (cases.Event).
type Event struct {
	At        time.Time
	ActorID   int64
	ActorName string
	Kind      string
	Detail    map[string]any
}

// Deps are the service's dependencies.
type Deps struct {
	DB    *store.DB
	Keys  *seal.Keyring
	Audit *audit.Log
	Now   func() time.Time
	Max   int64 // bytes; 0: DefaultMax
	// Authorize answers nil when p may act on the case with perm, else a
	// 404 (outside the scope) or 403 (cases.Service.Authorize).
	Authorize func(ctx context.Context, p *auth.Principal, caseID int64, perm auth.Perm) error
	// AppendEvent adds an entry to a case's timeline in tx (cases.AppendEvent).
	AppendEvent func(ctx context.Context, tx *store.Tx, caseID int64, e Event) error
}

// Service keeps attachments.
type Service struct{ Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Max <= 0 {
		d.Max = DefaultMax
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{Deps: d}
}

// Attachment describes a stored file.
type Attachment struct {
	ID        int64     `json:"id"`
	CaseID    int64     `json:"case_id"`
	Name      string    `json:"name"`
	MIME      string    `json:"mime"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Types are the content types accepted, by what the content is.
var Types = []string{"image/jpeg", "image/png", "image/webp", "application/pdf"}

// Sniff names the type of content from its first bytes: one of Types, or
// "" for anything else.
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "image/webp"
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	}
	return ""
}

// ext is the extension a file of each type gets when its name lacks one.
var ext = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}

// cleanName keeps a file name safe to show and to send back: its last
// path element, no control characters, at most 200 characters, with the
// extension of its real type.
func cleanName(name, mime string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(strings.TrimSpace(name))
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" {
		name = ""
	}
	if rs := []rune(name); len(rs) > 200 {
		name = string(rs[:200])
	}
	if name == "" {
		name = "tep"
	}
	if e := ext[mime]; !strings.HasSuffix(strings.ToLower(name), e) && !(mime == "image/jpeg" && strings.HasSuffix(strings.ToLower(name), ".jpeg")) {
		name += e
	}
	return name
}

// Add stores a file on a case. The body is read up to the limit: a larger
// one answers 413, content of another type 415, both with the reason.
func (s *Service) Add(ctx context.Context, p *auth.Principal, caseID int64, name string, body io.Reader) (Attachment, error) {
	if err := s.Authorize(ctx, p, caseID, auth.PermCaseWrite); err != nil {
		return Attachment{}, err
	}
	data, err := io.ReadAll(io.LimitReader(body, s.Max+1))
	if err != nil {
		if strings.Contains(err.Error(), "too large") { // a body limit of the server (http.MaxBytesReader)
			return Attachment{}, s.TooLarge()
		}
		return Attachment{}, errs.Invalid("attachments.read").Wrap(err)
	}
	if int64(len(data)) > s.Max {
		return Attachment{}, s.TooLarge()
	}
	if len(data) == 0 {
		return Attachment{}, errs.Validation().Field("file", "attachments.empty")
	}
	mime := Sniff(data)
	if mime == "" {
		return Attachment{}, &errs.Error{Status: 415, Code: "unsupported_media_type", Key: "attachments.type"}
	}
	a := Attachment{CaseID: caseID, Name: cleanName(name, mime), MIME: mime, Size: int64(len(data))}
	sealedName, err := s.Keys.SealString(sealName, a.Name)
	if err != nil {
		return Attachment{}, err
	}
	sealed, err := s.Keys.Seal(sealData, data)
	if err != nil {
		return Attachment{}, err
	}
	byID, byName := actor(ctx, p)
	now := s.Now()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO case_attachments (case_id, name, mime, size, data, created_at, created_by, created_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, caseID, sealedName, a.MIME, a.Size, sealed, store.Millis(now), byID, byName).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("insert attachment: %w", err)
		}
		if err := s.AppendEvent(ctx, tx, caseID, Event{At: now, ActorID: byID, ActorName: byName, Kind: "attachment.added",
			Detail: map[string]any{"attachment": a.ID, "mime": a.MIME, "size": a.Size}}); err != nil {
			return err
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "attachment.create", RecordType: "attachment", RecordID: strconv.FormatInt(a.ID, 10),
			Detail: fmt.Sprintf("case=%d mime=%s size=%d", caseID, a.MIME, a.Size)})
	})
	if err != nil {
		return Attachment{}, err
	}
	a.CreatedAt, a.CreatedBy = store.Time(store.Millis(now)), byName
	return a, nil
}

// TooLarge is the 413 for a file over the limit, saying the limit in MiB.
func (s *Service) TooLarge() error {
	e := errs.TooLarge(s.Max).With("size", humanSize(s.Max)).WithExtra("limit", s.Max)
	e.Key = "attachments.too_large"
	return e
}

// MaxBytes is the configured limit (TooLarge is its 413).
func (s *Service) MaxBytes() int64 { return s.Max }

func actor(ctx context.Context, p *auth.Principal) (int64, string) {
	if p != nil {
		if p.Name != "" {
			return p.UserID, p.Name
		}
		return p.UserID, p.Username
	}
	return 0, audit.ActorFrom(ctx).Name
}

// List returns a case's attachments (without their content), newest first.
func (s *Service) List(ctx context.Context, p *auth.Principal, caseID int64) ([]Attachment, error) {
	if err := s.Authorize(ctx, p, caseID, auth.PermCaseRead); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT id, case_id, name, mime, size, created_at, created_by_name FROM case_attachments
		WHERE case_id = $1 ORDER BY id DESC`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		var a Attachment
		var name []byte
		var at int64
		if err := rows.Scan(&a.ID, &a.CaseID, &name, &a.MIME, &a.Size, &at, &a.CreatedBy); err != nil {
			return nil, err
		}
		if a.Name, err = s.Keys.OpenString(sealName, name); err != nil {
			return nil, err
		}
		a.CreatedAt = store.Time(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Open returns an attachment and its content for someone who may read its
// case, and audits the download; anyone else gets 404.
func (s *Service) Open(ctx context.Context, p *auth.Principal, id int64) (Attachment, []byte, error) {
	var a Attachment
	var name, data []byte
	var at int64
	err := s.DB.Read().QueryRowContext(ctx, `SELECT id, case_id, name, mime, size, created_at, created_by_name, data FROM case_attachments
		WHERE id = $1`, id).Scan(&a.ID, &a.CaseID, &name, &a.MIME, &a.Size, &at, &a.CreatedBy, &data)
	if errors.Is(err, sql.ErrNoRows) {
		s.Audit.Record(ctx, audit.Event{Action: "attachment.download", RecordType: "attachment", RecordID: strconv.FormatInt(id, 10), Outcome: audit.NotFound})
		return Attachment{}, nil, errs.NotFound("attachment")
	}
	if err != nil {
		return Attachment{}, nil, err
	}
	if err := s.Authorize(ctx, p, a.CaseID, auth.PermCaseRead); err != nil {
		if errs.Is(err, 403) || errs.Is(err, 404) {
			s.Audit.Record(ctx, audit.Event{Action: "attachment.download", RecordType: "attachment", RecordID: strconv.FormatInt(id, 10), Outcome: audit.NotFound})
			return Attachment{}, nil, errs.NotFound("attachment")
		}
		return Attachment{}, nil, err
	}
	if a.Name, err = s.Keys.OpenString(sealName, name); err != nil {
		return Attachment{}, nil, err
	}
	content, err := s.Keys.Open(sealData, data)
	if err != nil {
		return Attachment{}, nil, err
	}
	a.CreatedAt = store.Time(at)
	if err := s.Audit.Record(ctx, audit.Event{Action: "attachment.download", RecordType: "attachment", RecordID: strconv.FormatInt(id, 10),
		Detail: fmt.Sprintf("case=%d", a.CaseID)}); err != nil {
		return Attachment{}, nil, err
	}
	return a, content, nil
}

// humanSize writes a limit as people read it: "10 MiB", "512 KiB", "900 B".
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
