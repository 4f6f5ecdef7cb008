package hotline

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strings"

	"treem/internal/audit"
	"treem/internal/errs"
	"treem/internal/ident"
	"treem/internal/store"
	"treem/internal/vntext"
)

// PublicReport is a concern reported on the website or in the app, without
// an account.
type PublicReport struct {
	Description string `json:"description"`
	Commune     string `json:"commune"`
	Channel     string `json:"channel"` // web (default) or app
	Child       *struct {
		Name string `json:"name"`
		Age  *int   `json:"age"`
		Sex  string `json:"sex"`
	} `json:"child"`
	Reporter *struct {
		Name     string `json:"name"`
		Phone    string `json:"phone"`
		Relation string `json:"relation"`
	} `json:"reporter"`
	Anonymous bool `json:"anonymous"`
	// Website is a honeypot: hidden from people, filled in by bots.
	Website string `json:"website"`
}

// ReportStatus is all a tracking code reveals.
type ReportStatus struct {
	TrackingCode string `json:"tracking_code"`
	Status       string `json:"status"` // received, in_progress, referred, closed
}

// trackingAlphabet leaves out letters read as digits (Crockford's base 32).
const trackingAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewTrackingCode returns a random code like "7KQ2M-XW9D4" (50 bits).
func NewTrackingCode() string {
	var b [10]byte
	rand.Read(b[:])
	out := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, trackingAlphabet[int(x)%32])
	}
	return string(out)
}

func normTracking(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	code = strings.NewReplacer("O", "0", "I", "1", "L", "1", " ", "").Replace(code)
	if len(code) == 10 && !strings.Contains(code, "-") {
		code = code[:5] + "-" + code[5:]
	}
	return code
}

// IsBot reports whether the honeypot was filled in: the caller answers as
// if the report were taken, and stores nothing.
func (r PublicReport) IsBot() bool { return strings.TrimSpace(r.Website) != "" }

// SubmitReport puts a public report in the counsellors' queue and returns
// its tracking code. An anonymous report keeps nothing of the reporter.
func (s *Service) SubmitReport(ctx context.Context, in PublicReport) (ReportStatus, error) {
	v := errs.Validation()
	in.Description = strings.TrimSpace(in.Description)
	switch n := len([]rune(in.Description)); {
	case n < 10:
		v.Field("description", "hotline.report_description")
	case n > 10000:
		v.Field("description", "hotline.too_long", "max", 10000)
	}
	in.Commune = strings.TrimSpace(in.Commune)
	if !s.isCommune(in.Commune) {
		v.Field("commune", "hotline.commune_unknown", "code", in.Commune)
	}
	channel := ChannelWeb
	switch in.Channel {
	case "", ChannelWeb:
	case ChannelApp:
		channel = ChannelApp
	default:
		v.Field("channel", "hotline.channel_unknown")
	}
	rec := &record{summary: in.Description, caller: Caller{Commune: in.Commune}}
	if in.Child != nil && (in.Child.Name != "" || in.Child.Age != nil || in.Child.Sex != "") {
		ch := Child{Name: vntext.Clean(in.Child.Name), Age: in.Child.Age, Commune: in.Commune}
		if len(ch.Name) > 200 {
			v.Field("child.name", "hotline.too_long", "max", 200)
		}
		if ch.Age != nil && (*ch.Age < 0 || *ch.Age > 17) {
			v.Field("child.age", "hotline.child_age_invalid")
		}
		if sex, err := ident.ParseSex(in.Child.Sex); err != nil {
			v.Field("child.sex", "hotline.sex_invalid")
		} else {
			ch.Sex = sex.String()
		}
		rec.children = []Child{ch}
	}
	reporter := ""
	if in.Reporter != nil && !in.Anonymous {
		name := vntext.Clean(in.Reporter.Name)
		if len(name) > 200 || len(in.Reporter.Relation) > 100 {
			v.Field("reporter.name", "hotline.too_long", "max", 200)
		}
		rec.caller.Name, rec.caller.Relation = name, strings.TrimSpace(in.Reporter.Relation)
		if strings.TrimSpace(in.Reporter.Phone) != "" {
			n, err := ident.NormalizePhone(in.Reporter.Phone)
			if err != nil {
				v.Field("reporter.phone", "hotline.phone_invalid")
			}
			rec.phone, rec.caller.Phone = n, n
		}
		reporter = "name=" + name + "\nrelation=" + rec.caller.Relation
	}
	if err := v.OrNil(); err != nil {
		return ReportStatus{}, err
	}
	rec.province = s.units.ProvinceOf(in.Commune)
	code := NewTrackingCode()
	now := s.now()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		id, _, err := s.insert(ctx, tx, base{channel: channel, state: StateWaiting, started: now, queued: now,
			tracking: s.keys.Lookup("tracking", code), reporter: reporter}, rec)
		if err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "contact.create", RecordType: "contact", RecordID: itoa(id),
			Detail: "channel=" + channel + " public report"})
	})
	if err != nil {
		return ReportStatus{}, err
	}
	return ReportStatus{TrackingCode: code, Status: "received"}, nil
}

// ReportStatusOf tells the status of a report from its tracking code, and
// nothing else.
func (s *Service) ReportStatusOf(ctx context.Context, code string) (ReportStatus, error) {
	code = normTracking(code)
	if len(code) != 11 {
		return ReportStatus{}, errs.NotFoundKey("hotline.tracking_unknown")
	}
	var state, referred string
	err := s.db.Read().QueryRowContext(ctx, `SELECT state, referred_province FROM contacts WHERE tracking_hash = $1`,
		s.keys.Lookup("tracking", code)).Scan(&state, &referred)
	if errors.Is(err, sql.ErrNoRows) {
		return ReportStatus{}, errs.NotFoundKey("hotline.tracking_unknown")
	}
	if err != nil {
		return ReportStatus{}, err
	}
	st := "received"
	switch {
	case referred != "":
		st = "referred"
	case state == StateClosed:
		st = "closed"
	case state == StateActive:
		st = "in_progress"
	}
	return ReportStatus{TrackingCode: code, Status: st}, nil
}
