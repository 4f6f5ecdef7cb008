// Package hotline is Tổng đài 111, the national child-protection hotline's
// contact centre: contacts from every channel (phone through a signed
// telephony webhook, Zalo Official Account, the website and the app, e-mail
// and walk-in), the live queue, counsellors' wrap-up, repeat callers,
// blocks, referrals to communes, the supervisor's figures and the contact
// search.
//
// Personal data is sealed at rest (caller's name and phone, summaries,
// message texts, attachments, recordings); a caller is found again through
// a keyed hash of their phone number or Zalo user id. Every read of a
// contact, every change and every search is audited.
package hotline

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/geo"
	"treem/internal/i18n"
	"treem/internal/jobs"
	"treem/internal/seal"
	"treem/internal/store"
)

// Config is the hotline's part of the configuration.
type Config struct {
	TelephonySecret string // HMAC-SHA256 key of the telephony webhook
	Zalo            ZaloConfig
}

// ZaloConfig configures the Zalo Official Account channel.
type ZaloConfig struct {
	AppID          string
	OASecret       string        // signs webhooks
	AppSecret      string        // refreshes access tokens
	APIURL         string        // https://openapi.zalo.me
	OAuthURL       string        // https://oauth.zaloapp.com
	MaxAge         time.Duration // webhook timestamps further from now are refused
	MediaHosts     []string      // host suffixes attachments may be downloaded from
	InitialRefresh string        // refresh token used while none is stored
	MaxAttachment  int64         // bytes; 0: 10 MiB
}

// Deps are the service's dependencies.
type Deps struct {
	DB     *store.DB
	Keys   *seal.Keyring
	Audit  *audit.Log
	Jobs   *jobs.Queue
	Log    *slog.Logger
	Now    func() time.Time
	Units  *geo.Units
	Config Config
	HTTP   *http.Client // for the Zalo API and attachments; nil: a client with timeouts
}

// Service is the hotline.
type Service struct {
	db    *store.DB
	keys  *seal.Keyring
	audit *audit.Log
	jobs  *jobs.Queue
	log   *slog.Logger
	now   func() time.Time
	units *geo.Units
	cfg   Config
	http  *http.Client

	refsMu     sync.Mutex
	refs       *refSet
	refsLoaded time.Time
}

// Job kinds.
const (
	jobZaloProcess = "hotline.zalo.process"
	jobZaloSend    = "hotline.zalo.send"
)

// New returns the service and registers its background jobs.
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
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if d.Config.Zalo.MaxAttachment <= 0 {
		d.Config.Zalo.MaxAttachment = 10 << 20
	}
	if d.Config.Zalo.MaxAge <= 0 {
		d.Config.Zalo.MaxAge = time.Hour
	}
	s := &Service{db: d.DB, keys: d.Keys, audit: d.Audit, jobs: d.Jobs, log: d.Log, now: d.Now, units: d.Units,
		cfg: d.Config, http: d.HTTP}
	if s.jobs != nil {
		s.jobs.Handle(jobZaloProcess, s.processZaloJob)
		s.jobs.Handle(jobZaloSend, s.sendZaloJob)
	}
	return s
}

// Channels a contact comes through.
const (
	ChannelPhone  = "phone"
	ChannelZalo   = "zalo"
	ChannelWeb    = "web"
	ChannelApp    = "app"
	ChannelEmail  = "email"
	ChannelWalkIn = "walk_in"
)

// States of a contact.
const (
	StateWaiting = "waiting" // in the queue
	StateActive  = "active"  // a counsellor has it
	StateClosed  = "closed"  // the wrap-up is complete
	StateMissed  = "missed"  // a call nobody answered (missed or abandoned)
	StateBlocked = "blocked" // from a blocked caller: counted, not queued
)

// urgencyRank orders the queue: emergencies first.
var urgencyRank = map[string]int{"emergency": 0, "high": 1, "medium": 2, "low": 3, "": 9}

// Caller is who contacted the hotline.
type Caller struct {
	Kind     string `json:"kind"`     // child, adult, or "" unknown
	Relation string `json:"relation"` // to the child: parent, relative, teacher, neighbour, …
	AgeBand  string `json:"age_band"` // 0_5, 6_10, 11_15, 16_17, 18_plus
	Sex      string `json:"sex"`      // male, female, or ""
	Commune  string `json:"commune"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
}

// Child is a child the contact is about: a registry child or a description.
type Child struct {
	ChildID *int64 `json:"child_id,omitempty"`
	Name    string `json:"name"`
	Age     *int   `json:"age,omitempty"`
	Sex     string `json:"sex"`
	Commune string `json:"commune"`
}

// Contact is one contact with the hotline.
type Contact struct {
	ID           int64      `json:"id"`
	Number       string     `json:"number"`
	Channel      string     `json:"channel"`
	State        string     `json:"state"`
	Outcome      string     `json:"outcome,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	QueuedAt     time.Time  `json:"queued_at,omitzero"`
	AnsweredAt   time.Time  `json:"answered_at,omitzero"`
	EndedAt      time.Time  `json:"ended_at,omitzero"`
	WaitSeconds  float64    `json:"wait_seconds"`
	TalkSeconds  float64    `json:"talk_seconds"`
	CounsellorID int64      `json:"counsellor_id,omitempty"`
	Counsellor   string     `json:"counsellor,omitempty"`
	Type         string     `json:"type"`
	TypeRef      int64      `json:"type_ref,omitempty"`
	Urgency      string     `json:"urgency"`
	Caller       Caller     `json:"caller"`
	Children     []Child    `json:"children"`
	Reasons      []string   `json:"reasons"`
	Actions      []string   `json:"actions"`
	Summary      string     `json:"summary"`
	FollowUpOn   string     `json:"follow_up_on,omitempty"` // yyyy-mm-dd
	Complete     bool       `json:"complete"`
	Province     string     `json:"province,omitempty"`
	Referred     string     `json:"referred_province,omitempty"`
	HasRecording bool       `json:"has_recording,omitempty"`
	Blocked      *Block     `json:"blocked,omitempty"` // the caller is blocked now
	Referrals    []Referral `json:"referrals"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`

	callerHash []byte
	zaloUser   string
}

// Summary is a contact as lists show it: no sealed field is opened.
type Summary struct {
	ID           int64     `json:"id"`
	Number       string    `json:"number"`
	Channel      string    `json:"channel"`
	State        string    `json:"state"`
	Outcome      string    `json:"outcome,omitempty"`
	StartedAt    time.Time `json:"started_at"`
	QueuedAt     time.Time `json:"queued_at,omitzero"`
	Type         string    `json:"type"`
	Urgency      string    `json:"urgency"`
	CounsellorID int64     `json:"counsellor_id,omitempty"`
	Counsellor   string    `json:"counsellor,omitempty"`
	CallerKind   string    `json:"caller_kind,omitempty"`
	Province     string    `json:"province,omitempty"`
	Complete     bool      `json:"complete"`
	Repeat       int       `json:"repeat,omitempty"` // earlier contacts from the same caller (queue only)
}

// Block stops a caller's contacts from entering the queue until a time.
type Block struct {
	ID     int64     `json:"id"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// SealedColumns are the hotline's encrypted columns, for key rotation.
var SealedColumns = []seal.Column{
	{Table: "contacts", Key: "id", Column: "caller_name", Context: "hotline.caller_name"},
	{Table: "contacts", Key: "id", Column: "caller_phone", Context: "hotline.caller_phone"},
	{Table: "contacts", Key: "id", Column: "summary", Context: "hotline.summary"},
	{Table: "contacts", Key: "id", Column: "recording", Context: "hotline.recording"},
	{Table: "contacts", Key: "id", Column: "reporter", Context: "hotline.reporter"},
	{Table: "hotline_call_events", Key: "call_id, event", Column: "caller", Context: "hotline.caller_phone"},
	{Table: "hotline_call_events", Key: "call_id, event", Column: "recording", Context: "hotline.recording"},
	{Table: "zalo_deliveries", Key: "id", Column: "body", Context: "hotline.zalo_delivery"},
	{Table: "hotline_messages", Key: "id", Column: "body", Context: "hotline.message"},
	{Table: "hotline_attachments", Key: "id", Column: "data", Context: "hotline.attachment"},
	{Table: "zalo_tokens", Key: "id", Column: "access_token", Context: "zalo.access_token"},
	{Table: "zalo_tokens", Key: "id", Column: "refresh_token", Context: "zalo.refresh_token"},
	{Table: "hotline_referrals", Key: "id", Column: "note", Context: "hotline.referral_note"},
}

// Referral hands a contact to a commune (the case area makes it a case).
type Referral struct {
	ID        int64     `json:"id"`
	Commune   string    `json:"commune"`
	Province  string    `json:"province"`
	Target    string    `json:"target"`
	Note      string    `json:"note,omitempty"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy int64     `json:"created_by"`
}

// Message is one message of a conversation.
type Message struct {
	ID          int64        `json:"id"`
	Direction   string       `json:"direction"` // in, out
	Kind        string       `json:"kind"`
	Text        string       `json:"text"`
	Status      string       `json:"status,omitempty"`
	AuthorID    int64        `json:"author_id,omitempty"`
	At          time.Time    `json:"at"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is an image or file a Zalo user sent, kept sealed.
type Attachment struct {
	ID    int64  `json:"id"`
	Kind  string `json:"kind"`
	Mime  string `json:"mime"`
	Size  int64  `json:"size"`
	Name  string `json:"name"`
	State string `json:"state"` // stored, refused, failed
}

// day returns the bounds of the Vietnamese calendar day of t.
func day(t time.Time) (time.Time, time.Time) {
	y, m, d := t.In(i18n.Vietnam).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, i18n.Vietnam)
	return start, start.AddDate(0, 0, 1)
}

// national reports whether p sees every contact.
func national(p *auth.Principal) bool { return p != nil && p.Unit == "" }

// sees reports whether p may see a contact (scope; the role is checked by
// the route). National hotline staff and analysts see every contact; a
// provincial hotline's staff the contacts of their province and those
// referred to it; a province officer the contacts referred to their
// province.
func (s *Service) sees(ctx context.Context, p *auth.Principal, c *Contact) bool {
	if p == nil {
		return false
	}
	if national(p) || (c.CounsellorID != 0 && c.CounsellorID == p.UserID) {
		return true
	}
	if p.Role != auth.ProvinceOfficer && c.Province != "" && c.Province == p.Province {
		return true
	}
	for _, r := range c.Referrals {
		if r.Province == p.Province {
			return true
		}
	}
	return false
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}
