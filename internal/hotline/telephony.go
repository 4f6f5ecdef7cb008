package hotline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/ident"
	"treem/internal/store"
)

// CallEvent is one event of a telephone call, as a switch (or the
// treem-asterisk bridge) posts it to /api/v1/telephony/events.
type CallEvent struct {
	CallID       string    `json:"call_id"`
	Event        string    `json:"event"` // ringing, answered, ended, missed, recording_ready
	Caller       string    `json:"caller"`
	Extension    string    `json:"extension"`
	At           time.Time `json:"at"`
	RecordingURL string    `json:"recording_url,omitempty"`
}

var callEvents = map[string]bool{"ringing": true, "answered": true, "ended": true, "missed": true, "recording_ready": true}

// VerifyTelephony checks the X-Treem-Signature header ("sha256=" and the
// hex HMAC-SHA256 of the raw body with the telephony secret) in constant
// time. Without a configured secret nothing is accepted.
func (s *Service) VerifyTelephony(body []byte, header string) error {
	secret := s.cfg.TelephonySecret
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if secret == "" || !ok {
		return errs.Unauthorized("hotline.signature")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return errs.Unauthorized("hotline.signature")
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return errs.Unauthorized("hotline.signature")
	}
	return nil
}

// SignTelephony returns the header value for body (for the bridge and tests).
func SignTelephony(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// call is what the events of one call say, whatever their order.
type call struct {
	started, answered, ended, missed time.Time
	caller, extension, recording     string
}

// CallEventResult says what an event did.
type CallEventResult struct {
	ContactID int64  `json:"contact_id"`
	Number    string `json:"number"`
	Duplicate bool   `json:"duplicate"`
}

// RecordCallEvent stores an event once (per call and event) and brings the
// call's contact up to date from all its events, so that events may come
// in any order and any number of times: one call is one contact.
func (s *Service) RecordCallEvent(ctx context.Context, ev CallEvent) (CallEventResult, error) {
	v := errs.Validation()
	ev.CallID = strings.TrimSpace(ev.CallID)
	if ev.CallID == "" || len(ev.CallID) > 128 {
		v.Field("call_id", "hotline.call_id")
	}
	if !callEvents[ev.Event] {
		v.Field("event", "hotline.call_event")
	}
	if ev.At.IsZero() {
		v.Field("at", "hotline.call_at")
	}
	if len(ev.Caller) > 64 || len(ev.Extension) > 32 || len(ev.RecordingURL) > 2000 {
		v.Field("caller", "hotline.too_long", "max", 64)
	}
	if err := v.OrNil(); err != nil {
		return CallEventResult{}, err
	}
	now := s.now()
	var res CallEventResult
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res = CallEventResult{}
		// Taking the call's row first serialises its events on PostgreSQL.
		var contactID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO hotline_calls (call_id, contact_id, updated_at) VALUES ($1, 0, $2)
			ON CONFLICT (call_id) DO UPDATE SET updated_at = $2 RETURNING contact_id`, ev.CallID, store.Millis(now)).Scan(&contactID); err != nil {
			return fmt.Errorf("lock call: %w", err)
		}
		caller, err := s.keys.SealString("hotline.caller_phone", ev.Caller)
		if err != nil {
			return err
		}
		rec, err := s.keys.SealString("hotline.recording", ev.RecordingURL)
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO hotline_call_events (call_id, event, at, caller, extension, recording, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_id, event) DO NOTHING`,
			ev.CallID, ev.Event, store.Millis(ev.At), caller, strings.TrimSpace(ev.Extension), rec, store.Millis(now))
		if err != nil {
			return fmt.Errorf("store call event: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res.Duplicate, res.ContactID = true, contactID
			return tx.QueryRowContext(ctx, `SELECT number FROM contacts WHERE id = $1`, contactID).Scan(&res.Number)
		}
		cl, err := s.callState(ctx, tx, ev.CallID)
		if err != nil {
			return err
		}
		id, number, err := s.applyCall(ctx, tx, contactID, ev.CallID, cl)
		if err != nil {
			return err
		}
		res.ContactID, res.Number = id, number
		if contactID == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE hotline_calls SET contact_id = $1 WHERE call_id = $2`, id, ev.CallID); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

func (s *Service) callState(ctx context.Context, tx *store.Tx, callID string) (call, error) {
	var cl call
	rows, err := tx.QueryContext(ctx, `SELECT event, at, caller, extension, recording FROM hotline_call_events WHERE call_id = $1`, callID)
	if err != nil {
		return cl, fmt.Errorf("read call events: %w", err)
	}
	defer rows.Close()
	var first time.Time
	for rows.Next() {
		var event, ext string
		var at int64
		var caller, rec []byte
		if err := rows.Scan(&event, &at, &caller, &ext, &rec); err != nil {
			return cl, err
		}
		t := store.Time(at)
		if first.IsZero() || t.Before(first) {
			first = t
		}
		c, err := s.keys.OpenString("hotline.caller_phone", caller)
		if err != nil {
			return cl, err
		}
		if c != "" && (cl.caller == "" || event == "ringing") {
			cl.caller = c
		}
		switch event {
		case "ringing":
			cl.started = t
		case "answered":
			cl.answered, cl.extension = t, ext
		case "ended":
			cl.ended = t
		case "missed":
			cl.missed = t
		case "recording_ready":
			if cl.recording, err = s.keys.OpenString("hotline.recording", rec); err != nil {
				return cl, err
			}
		}
	}
	if cl.started.IsZero() {
		cl.started = first // the ringing event has not come (yet): the earliest known moment
	}
	return cl, rows.Err()
}

// applyCall creates or updates the call's contact from its events.
func (s *Service) applyCall(ctx context.Context, tx *store.Tx, contactID int64, callID string, cl call) (int64, string, error) {
	rs, err := s.loadRefs(ctx)
	if err != nil {
		return 0, "", err
	}
	phone, perr := ident.NormalizePhone(cl.caller)
	var hash []byte
	if perr == nil {
		hash = s.keys.Lookup("phone", phone)
	}
	outcome, state := "", StateWaiting
	var waitEnd time.Time
	switch {
	case !cl.answered.IsZero():
		outcome, state, waitEnd = "answered", StateActive, cl.answered
	case !cl.missed.IsZero():
		outcome, state, waitEnd = "missed", StateMissed, cl.missed
	case !cl.ended.IsZero():
		outcome, state, waitEnd = "abandoned", StateMissed, cl.ended
	}
	var wait, talk int64
	if !waitEnd.IsZero() {
		wait = max(0, waitEnd.Sub(cl.started).Milliseconds())
	}
	if !cl.answered.IsZero() && !cl.ended.IsZero() {
		talk = max(0, cl.ended.Sub(cl.answered).Milliseconds())
	}
	var counsellor int64
	if cl.extension != "" {
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM hotline_extensions WHERE extension = $1`, cl.extension).Scan(&counsellor)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, "", fmt.Errorf("find extension: %w", err)
		}
	}
	var typeRef sql.NullInt64
	typeCode := ""
	if state == StateMissed {
		if r, ok := rs.cur(RefContactType, "missed"); ok {
			typeRef, typeCode = sql.NullInt64{Int64: r.ID, Valid: true}, r.Code
		}
	}
	recording, err := s.keys.SealString("hotline.recording", cl.recording)
	if err != nil {
		return 0, "", err
	}
	if contactID == 0 {
		if hash != nil {
			if b, err := s.activeBlock(ctx, tx, hash); err != nil {
				return 0, "", err
			} else if b != nil {
				state = StateBlocked
			}
		}
		rec := &record{typeRef: typeRef, typeCode: typeCode, phone: phone}
		b := base{channel: ChannelPhone, state: state, outcome: outcome, started: cl.started, queued: cl.started,
			answered: cl.answered, ended: cl.ended, counselor: counsellor, hash: hash, callID: callID}
		if perr != nil {
			b.rawPhone = cl.caller
		}
		id, number, err := s.insert(ctx, tx, b, rec)
		if err != nil {
			return 0, "", err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET wait_ms = $1, talk_ms = $2, recording = $3 WHERE id = $4`,
			wait, talk, recording, id); err != nil {
			return 0, "", err
		}
		return id, number, s.audit.Append(ctx, tx, audit.Event{Action: "contact.create", RecordType: "contact",
			RecordID: itoa(id), Detail: "channel=phone event"})
	}
	// An existing contact: the counsellor's work (state closed, a claimed
	// counsellor, a type chosen) is never undone by a late event.
	var number, curState, curType string
	var curCounsellor sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT number, state, type_code, counsellor_id FROM contacts WHERE id = $1`, contactID).
		Scan(&number, &curState, &curType, &curCounsellor); err != nil {
		return 0, "", fmt.Errorf("read call contact: %w", err)
	}
	if curState == StateClosed || curState == StateBlocked {
		state = curState
	}
	if curCounsellor.Valid {
		counsellor = curCounsellor.Int64
	}
	if curType != "" {
		typeRef, typeCode = sql.NullInt64{}, ""
	}
	q := `UPDATE contacts SET state = $1, outcome = $2, started_at = $3, queued_at = $3, answered_at = $4, ended_at = $5,
		wait_ms = $6, talk_ms = $7, counsellor_id = $8, recording = $9, updated_at = $10, started_on = $11`
	args := []any{state, outcome, store.Millis(cl.started), store.Millis(cl.answered), store.Millis(cl.ended), wait, talk,
		nullID(counsellor), recording, store.Millis(s.now()), vnDay(store.Millis(cl.started))}
	if typeCode != "" {
		q += `, type_ref = $12, type_code = $13 WHERE id = $14`
		args = append(args, typeRef, typeCode, contactID)
	} else {
		q += ` WHERE id = $12`
		args = append(args, contactID)
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return 0, "", fmt.Errorf("update call contact: %w", err)
	}
	if err := factsChanged(ctx, tx, s.now(), contactID); err != nil {
		return 0, "", err
	}
	if cl.caller != "" {
		// The caller's number came with a later event: keep it unless the
		// contact already has one (a counsellor's correction wins).
		sealed, err := s.keys.SealString("hotline.caller_phone", cl.caller)
		if err != nil {
			return 0, "", err
		}
		if perr == nil {
			sealed, err = s.keys.SealString("hotline.caller_phone", phone)
			if err != nil {
				return 0, "", err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET caller_phone = $1, caller_hash = $2 WHERE id = $3 AND caller_hash IS NULL`,
			sealed, hash, contactID); err != nil {
			return 0, "", fmt.Errorf("update call contact caller: %w", err)
		}
	}
	return contactID, number, s.audit.Append(ctx, tx, audit.Event{Action: "contact.update", RecordType: "contact",
		RecordID: itoa(contactID), Detail: "channel=phone event"})
}

// SetExtension ties the counsellor to a telephone extension (for a shift
// at a hot desk); "" frees their extension. An extension held by someone
// else moves to them.
func (s *Service) SetExtension(ctx context.Context, p *auth.Principal, ext string) error {
	ext = strings.TrimSpace(ext)
	if len(ext) > 32 || strings.ContainsAny(ext, " \t\r\n") {
		return errs.Validation().Field("extension", "hotline.extension_invalid")
	}
	now := s.now()
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM hotline_extensions WHERE user_id = $1 OR extension = $2`, p.UserID, ext); err != nil {
			return err
		}
		if ext != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hotline_extensions (extension, user_id, updated_at) VALUES ($1, $2, $3)`,
				ext, p.UserID, store.Millis(now)); err != nil {
				return fmt.Errorf("set extension: %w", err)
			}
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "hotline.extension.set", RecordType: "user", RecordID: itoa(p.UserID),
			Detail: "extension=" + ext})
	})
}

// Extension returns the counsellor's extension, or "".
func (s *Service) Extension(ctx context.Context, userID int64) string {
	var ext string
	s.db.Read().QueryRowContext(ctx, `SELECT extension FROM hotline_extensions WHERE user_id = $1`, userID).Scan(&ext)
	return ext
}
