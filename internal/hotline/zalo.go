package hotline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/jobs"
	"treem/internal/store"
)

// ZaloEvent is the part of a Zalo OA webhook event the hotline reads.
type ZaloEvent struct {
	AppID     string          `json:"app_id"`
	EventName string          `json:"event_name"`
	Timestamp json.RawMessage `json:"timestamp"` // milliseconds, as a string (or a number)
	Sender    struct {
		ID string `json:"id"`
	} `json:"sender"`
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Message struct {
		MsgID       string `json:"msg_id"`
		Text        string `json:"text"`
		Attachments []struct {
			Type    string `json:"type"`
			Payload struct {
				URL         string `json:"url"`
				Thumbnail   string `json:"thumbnail"`
				Name        string `json:"name"`
				Size        any    `json:"size"`
				Coordinates *struct {
					Latitude  any `json:"latitude"`
					Longitude any `json:"longitude"`
				} `json:"coordinates"`
			} `json:"payload"`
		} `json:"attachments"`
	} `json:"message"`
}

func (e *ZaloEvent) timestamp() (string, int64, bool) {
	raw := strings.TrimSpace(string(e.Timestamp))
	raw = strings.Trim(raw, `"`)
	ms, err := strconv.ParseInt(raw, 10, 64)
	return raw, ms, err == nil && ms > 0
}

// ZaloMAC is the signature Zalo sends in X-ZEvent-Signature (without the
// "mac=" prefix): the lowercase hex SHA-256 of app id + raw body +
// timestamp + OA secret key (Zalo's MacUtils.buildMac). Plain SHA-256, not
// an HMAC.
func ZaloMAC(appID string, body []byte, timestamp, oaSecret string) string {
	h := sha256.New()
	h.Write([]byte(appID))
	h.Write(body)
	h.Write([]byte(timestamp))
	h.Write([]byte(oaSecret))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyZalo checks a delivery's signature and age and returns its event.
// Every refusal is the same 401, so that a prober learns nothing.
func (s *Service) VerifyZalo(body []byte, header string) (*ZaloEvent, error) {
	z := s.cfg.Zalo
	refuse := errs.Unauthorized("hotline.signature")
	sig := strings.TrimPrefix(strings.TrimSpace(header), "mac=")
	if z.AppID == "" || z.OASecret == "" || sig == "" {
		return nil, refuse
	}
	var ev ZaloEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, refuse
	}
	ts, ms, ok := ev.timestamp()
	if !ok {
		return nil, refuse
	}
	want := ZaloMAC(z.AppID, body, ts, z.OASecret)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return nil, refuse
	}
	age := s.now().Sub(time.UnixMilli(ms))
	if age > z.MaxAge || age < -z.MaxAge {
		return nil, refuse
	}
	return &ev, nil
}

// ReceiveZalo verifies a delivery, stores it durably once (a retry with
// the same msg_id stores nothing) and enqueues its processing in the same
// transaction. It returns when the delivery is committed: the webhook then
// answers 200.
func (s *Service) ReceiveZalo(ctx context.Context, body []byte, header string) (dup bool, err error) {
	ev, err := s.VerifyZalo(body, header)
	if err != nil {
		return false, err
	}
	ts, _, _ := ev.timestamp()
	// Signed does not mean well formed: ids go into text columns, which
	// hold neither NUL nor invalid UTF-8 (PostgreSQL refuses both).
	for _, v := range []string{ev.EventName, ev.Sender.ID, ev.Message.MsgID} {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return false, errs.Invalid("hotline.zalo_event")
		}
	}
	key := ev.Message.MsgID
	if key == "" {
		key = ev.EventName + ":" + ev.Sender.ID + ":" + ts
	}
	if len(key) > 200 {
		key = strings.ToValidUTF8(key[:200], "")
	}
	sealed, err := s.keys.Seal("hotline.zalo_delivery", body)
	if err != nil {
		return false, err
	}
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		dup = false
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO zalo_deliveries (msg_key, event_name, body, received_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (msg_key) DO NOTHING RETURNING id`,
			key, ev.EventName, sealed, store.Millis(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			dup = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("store zalo delivery: %w", err)
		}
		return s.jobs.Enqueue(ctx, tx, jobZaloProcess, map[string]int64{"delivery": id},
			jobs.Opts{UniqueKey: "zalo-delivery:" + itoa(id), MaxAttempts: 20})
	})
	return dup, err
}

// processZaloJob turns a stored delivery into a message of the Zalo user's
// conversation. It is idempotent: a rerun finds the message and its
// attachments already there.
func (s *Service) processZaloJob(ctx context.Context, j jobs.Job) error {
	var args struct {
		Delivery int64 `json:"delivery"`
	}
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return fmt.Errorf("zalo job args: %w", err)
	}
	var sealed []byte
	var processed int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT body, processed_at FROM zalo_deliveries WHERE id = $1`, args.Delivery).Scan(&sealed, &processed)
	if errors.Is(err, sql.ErrNoRows) || processed != 0 {
		return nil
	}
	if err != nil {
		return err
	}
	body, err := s.keys.Open("hotline.zalo_delivery", sealed)
	if err != nil {
		return err
	}
	var ev ZaloEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return s.markProcessed(ctx, args.Delivery)
	}
	ctx = audit.WithActor(ctx, audit.Actor{Name: "zalo", Role: "system"})
	kind, ok := zaloKinds[ev.EventName]
	if !ok || ev.Sender.ID == "" {
		// follow, unfollow, seen, OA's own messages: nothing to queue.
		return s.markProcessed(ctx, args.Delivery)
	}
	_, ms, _ := ev.timestamp()
	at := time.UnixMilli(ms).UTC()
	msgID := ev.Message.MsgID
	if msgID == "" {
		msgID = "delivery:" + itoa(args.Delivery)
	}
	text := ev.Message.Text
	if kind == "location" {
		for _, a := range ev.Message.Attachments {
			if a.Payload.Coordinates != nil {
				text = fmt.Sprintf("%v,%v", a.Payload.Coordinates.Latitude, a.Payload.Coordinates.Longitude)
			}
		}
	}
	var messageID, contactID int64
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		messageID, contactID = 0, 0
		err := tx.QueryRowContext(ctx, `SELECT id, contact_id FROM hotline_messages WHERE msg_id = $1`, msgID).Scan(&messageID, &contactID)
		if err == nil {
			return nil // done before a crash
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		contactID, err = s.conversation(ctx, tx, ev.Sender.ID, at)
		if err != nil {
			return err
		}
		sealedText, err := s.keys.SealString("hotline.message", text)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO hotline_messages (contact_id, direction, msg_id, kind, body, at)
			VALUES ($1, 'in', $2, $3, $4, $5) RETURNING id`, contactID, msgID, kind, sealedText, store.Millis(at)).Scan(&messageID); err != nil {
			return fmt.Errorf("insert zalo message: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET updated_at = $1 WHERE id = $2`, store.Millis(s.now()), contactID); err != nil {
			return err
		}
		if len(ev.Message.Attachments) == 0 || kind == "location" {
			// Nothing more to fetch: done in the same transaction.
			_, err := tx.ExecContext(ctx, `UPDATE zalo_deliveries SET processed_at = $1 WHERE id = $2`, store.Millis(s.now()), args.Delivery)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(ev.Message.Attachments) == 0 || kind == "location" {
		return nil
	}
	for i, a := range ev.Message.Attachments {
		if a.Type != "image" && a.Type != "file" && a.Type != "gif" {
			continue
		}
		if err := s.keepAttachment(ctx, messageID, contactID, i, a.Type, a.Payload.URL, a.Payload.Name); err != nil {
			return err
		}
	}
	return s.markProcessed(ctx, args.Delivery)
}

var zaloKinds = map[string]string{
	"user_send_text": "text", "user_send_image": "image", "user_send_file": "file", "user_send_location": "location",
	"user_send_sticker": "sticker", "user_send_gif": "image", "user_send_link": "text", "user_send_audio": "file",
	"user_send_video": "file",
}

func (s *Service) markProcessed(ctx context.Context, id int64) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE zalo_deliveries SET processed_at = $1 WHERE id = $2`, store.Millis(s.now()), id)
		return err
	})
}

// conversation returns the Zalo user's open contact, opening one (in the
// queue) when they have none. The conversation row's lock keeps two
// messages of one user from opening two contacts.
func (s *Service) conversation(ctx context.Context, tx *store.Tx, user string, at time.Time) (int64, error) {
	now := s.now()
	var contactID int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO zalo_conversations (zalo_user, contact_id, updated_at) VALUES ($1, 0, $2)
		ON CONFLICT (zalo_user) DO UPDATE SET updated_at = $2 RETURNING contact_id`, user, store.Millis(now)).Scan(&contactID); err != nil {
		return 0, fmt.Errorf("lock zalo conversation: %w", err)
	}
	if contactID != 0 {
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM contacts WHERE id = $1`, contactID).Scan(&state); err != nil {
			return 0, err
		}
		if state == StateWaiting || state == StateActive {
			return contactID, nil
		}
	}
	hash := s.keys.Lookup("zalo", user)
	if contactID != 0 {
		// A blocked user's messages gather in their blocked conversation
		// while the block lasts.
		var state string
		tx.QueryRowContext(ctx, `SELECT state FROM contacts WHERE id = $1`, contactID).Scan(&state)
		if state == StateBlocked {
			if b, err := s.activeBlock(ctx, tx, hash); err != nil {
				return 0, err
			} else if b != nil {
				return contactID, nil
			}
		}
	}
	state := StateWaiting
	if b, err := s.activeBlock(ctx, tx, hash); err != nil {
		return 0, err
	} else if b != nil {
		state = StateBlocked
	}
	id, _, err := s.insert(ctx, tx, base{channel: ChannelZalo, state: state, started: at, queued: now, hash: hash,
		zaloUser: user}, &record{})
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE zalo_conversations SET contact_id = $1 WHERE zalo_user = $2`, id, user); err != nil {
		return 0, err
	}
	return id, s.audit.Append(ctx, tx, audit.Event{Action: "contact.create", RecordType: "contact", RecordID: itoa(id), Detail: "channel=zalo"})
}

// allowed attachment types, by sniffed content type.
var attachmentTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf",
	"application/zip", "text/plain; charset=utf-8", "audio/mpeg", "video/mp4", "audio/wave", "application/msword"}

// keepAttachment downloads an attachment from Zalo's media servers
// (allowed hosts only), checks its size and type and keeps it sealed. A
// refused file is recorded as refused, without content.
func (s *Service) keepAttachment(ctx context.Context, messageID, contactID int64, idx int, kind, rawURL, name string) error {
	var exists int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM hotline_attachments WHERE message_id = $1 AND idx = $2`,
		messageID, idx).Scan(&exists); err != nil {
		return err
	}
	if exists > 0 {
		return nil
	}
	if kind == "gif" {
		kind = "image"
	}
	state, mime, data := "refused", "", []byte(nil)
	if u, err := url.Parse(rawURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && s.mediaHostAllowed(u.Hostname()) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return err
		}
		res, err := s.http.Do(req)
		if err != nil {
			return fmt.Errorf("download zalo attachment: %w", err) // retried
		}
		body, rerr := io.ReadAll(io.LimitReader(res.Body, s.cfg.Zalo.MaxAttachment+1))
		res.Body.Close()
		switch {
		case rerr != nil:
			return fmt.Errorf("download zalo attachment: %w", rerr)
		case res.StatusCode != http.StatusOK:
			state = "failed"
		case int64(len(body)) > s.cfg.Zalo.MaxAttachment:
			state = "refused"
		default:
			mime = http.DetectContentType(body)
			if slices.Contains(attachmentTypes, mime) {
				state, data = "stored", body
			}
		}
	}
	size := int64(len(data))
	sealed, err := s.keys.Seal("hotline.attachment", data)
	if err != nil {
		return err
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO hotline_attachments (message_id, contact_id, idx, kind, mime, size, name, data, state, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (message_id, idx) DO NOTHING`,
			messageID, contactID, idx, kind, mime, size, name, sealed, state, store.Millis(s.now()))
		return err
	})
}

func (s *Service) mediaHostAllowed(host string) bool {
	host = strings.ToLower(host)
	for _, suffix := range s.cfg.Zalo.MediaHosts {
		suffix = strings.ToLower(strings.TrimSpace(suffix))
		if suffix != "" && (host == suffix || strings.HasSuffix(host, "."+suffix)) {
			return true
		}
	}
	return false
}

// Messages returns a contact's conversation, oldest first. The caller has
// read the contact (and that read is audited).
func (s *Service) Messages(ctx context.Context, contactID int64) ([]Message, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, direction, kind, body, status, author_id, at FROM hotline_messages
		WHERE contact_id = $1 ORDER BY at, id`, contactID)
	if err != nil {
		return nil, err
	}
	out := []Message{}
	idx := map[int64]int{}
	for rows.Next() {
		var m Message
		var body []byte
		var at int64
		if err := rows.Scan(&m.ID, &m.Direction, &m.Kind, &body, &m.Status, &m.AuthorID, &at); err != nil {
			rows.Close()
			return nil, err
		}
		m.At = store.Time(at)
		if m.Text, err = s.keys.OpenString("hotline.message", body); err != nil {
			rows.Close()
			return nil, err
		}
		idx[m.ID] = len(out)
		out = append(out, m)
	}
	rows.Close()
	arows, err := s.db.Read().QueryContext(ctx, `SELECT id, message_id, kind, mime, size, name, state FROM hotline_attachments
		WHERE contact_id = $1 ORDER BY message_id, idx`, contactID)
	if err != nil {
		return nil, err
	}
	defer arows.Close()
	for arows.Next() {
		var a Attachment
		var mid int64
		if err := arows.Scan(&a.ID, &mid, &a.Kind, &a.Mime, &a.Size, &a.Name, &a.State); err != nil {
			return nil, err
		}
		if i, ok := idx[mid]; ok {
			out[i].Attachments = append(out[i].Attachments, a)
		}
	}
	return out, arows.Err()
}

// AttachmentData returns an attachment's content for a caller who may see
// its contact, audited.
func (s *Service) AttachmentData(ctx context.Context, p *auth.Principal, contactID, id int64) (Attachment, []byte, error) {
	c, err := s.load(ctx, contactID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.sees(ctx, p, c)) {
		return Attachment{}, nil, errs.NotFound("attachment")
	}
	if err != nil {
		return Attachment{}, nil, err
	}
	var a Attachment
	var sealed []byte
	err = s.db.Read().QueryRowContext(ctx, `SELECT id, kind, mime, size, name, state, data FROM hotline_attachments
		WHERE id = $1 AND contact_id = $2`, id, contactID).Scan(&a.ID, &a.Kind, &a.Mime, &a.Size, &a.Name, &a.State, &sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && a.State != "stored") {
		return Attachment{}, nil, errs.NotFound("attachment")
	}
	if err != nil {
		return Attachment{}, nil, err
	}
	data, err := s.keys.Open("hotline.attachment", sealed)
	if err != nil {
		return Attachment{}, nil, err
	}
	return a, data, s.audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "contact.attachment.read", RecordType: "contact",
		RecordID: itoa(contactID), Detail: "attachment=" + itoa(id)})
}

// Reply queues a counsellor's answer to a Zalo conversation; a job sends
// it through the OA API (and retries while Zalo is unreachable).
func (s *Service) Reply(ctx context.Context, p *auth.Principal, contactID int64, text string) (Message, error) {
	text = strings.TrimSpace(text)
	if text == "" || len([]rune(text)) > 2000 {
		return Message{}, errs.Validation().Field("text", "hotline.reply_length")
	}
	c, err := s.writable(ctx, s.db.Read(), p, contactID)
	if err != nil {
		return Message{}, err
	}
	if c.Channel != ChannelZalo || c.zaloUser == "" {
		return Message{}, errs.Conflict("hotline.reply_not_zalo")
	}
	now := s.now()
	m := Message{Direction: "out", Kind: "text", Text: text, Status: "queued", AuthorID: p.UserID, At: now.UTC().Truncate(time.Millisecond)}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		sealed, err := s.keys.SealString("hotline.message", text)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO hotline_messages (contact_id, direction, kind, body, author_id, status, at)
			VALUES ($1, 'out', 'text', $2, $3, 'queued', $4) RETURNING id`, contactID, sealed, p.UserID, store.Millis(now)).Scan(&m.ID); err != nil {
			return fmt.Errorf("insert reply: %w", err)
		}
		if c.State == StateWaiting {
			if _, err := tx.ExecContext(ctx, `UPDATE contacts SET state = 'active', counsellor_id = $1, answered_at = $2,
				wait_ms = $3 WHERE id = $4 AND state = 'waiting'`, p.UserID, store.Millis(now), now.Sub(c.QueuedAt).Milliseconds(), contactID); err != nil {
				return err
			}
		}
		if err := s.jobs.Enqueue(ctx, tx, jobZaloSend, map[string]int64{"message": m.ID}, jobs.Opts{UniqueKey: "zalo-send:" + itoa(m.ID), MaxAttempts: 8}); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "contact.reply", RecordType: "contact", RecordID: itoa(contactID),
			Detail: "message=" + itoa(m.ID)})
	})
	return m, err
}

// sendZaloJob sends a queued reply. A reply already sent is not sent again.
func (s *Service) sendZaloJob(ctx context.Context, j jobs.Job) error {
	var args struct {
		Message int64 `json:"message"`
	}
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return err
	}
	var status, user string
	var body []byte
	err := s.db.Read().QueryRowContext(ctx, `SELECT m.status, m.body, c.zalo_user FROM hotline_messages m
		JOIN contacts c ON c.id = m.contact_id WHERE m.id = $1`, args.Message).Scan(&status, &body, &user)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && status != "queued") {
		return nil
	}
	if err != nil {
		return err
	}
	text, err := s.keys.OpenString("hotline.message", body)
	if err != nil {
		return err
	}
	msgID, zerr := s.sendZalo(ctx, user, text)
	var ze *zaloError
	if errors.As(zerr, &ze) && !ze.retry {
		return s.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE hotline_messages SET status = 'failed', error = $1 WHERE id = $2`, ze.Error(), args.Message)
			return err
		})
	}
	if zerr != nil {
		return zerr
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		var id sql.NullString
		if msgID != "" {
			id = sql.NullString{String: msgID, Valid: true}
		}
		_, err := tx.ExecContext(ctx, `UPDATE hotline_messages SET status = 'sent', msg_id = $1, error = '' WHERE id = $2`, id, args.Message)
		return err
	})
}

type zaloError struct {
	code  int
	msg   string
	retry bool
}

func (e *zaloError) Error() string { return fmt.Sprintf("zalo error %d: %s", e.code, e.msg) }

// sendZalo posts a customer-service text message. An access token Zalo
// no longer accepts is refreshed once.
func (s *Service) sendZalo(ctx context.Context, user, text string) (string, error) {
	for attempt := 0; attempt < 2; attempt++ {
		token, err := s.accessToken(ctx, attempt > 0)
		if err != nil {
			return "", err
		}
		payload, _ := json.Marshal(map[string]any{"recipient": map[string]string{"user_id": user}, "message": map[string]string{"text": text}})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.cfg.Zalo.APIURL, "/")+"/v3.0/oa/message/cs", bytes.NewReader(payload))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("access_token", token)
		res, err := s.http.Do(req)
		if err != nil {
			return "", fmt.Errorf("zalo send: %w", err)
		}
		var out struct {
			Error   int    `json:"error"`
			Message string `json:"message"`
			Data    struct {
				MessageID string `json:"message_id"`
			} `json:"data"`
		}
		derr := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&out)
		res.Body.Close()
		if res.StatusCode >= 500 || derr != nil {
			return "", fmt.Errorf("zalo send: status %d", res.StatusCode)
		}
		switch {
		case out.Error == 0:
			return out.Data.MessageID, nil
		case out.Error == -216 || out.Error == -124: // access token invalid or expired
			continue
		default:
			return "", &zaloError{code: out.Error, msg: out.Message}
		}
	}
	return "", &zaloError{code: -216, msg: "access token refused after a refresh", retry: true}
}

// accessToken returns a usable OA access token, refreshing it when it is
// about to expire (or force). The refresh token is single-use: the new
// pair is committed to the database before the new access token is
// returned, and a lease makes one instance refresh at a time.
func (s *Service) accessToken(ctx context.Context, force bool) (string, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		now := s.now()
		var access, refresh []byte
		var accessExp, leased int64
		err := s.db.Read().QueryRowContext(ctx, `SELECT access_token, access_expires_at, refresh_token, refreshing_until
			FROM zalo_tokens WHERE id = 1`).Scan(&access, &accessExp, &refresh, &leased)
		if errors.Is(err, sql.ErrNoRows) {
			if s.cfg.Zalo.InitialRefresh == "" {
				return "", &zaloError{code: -1, msg: "no Zalo refresh token: set one (PUT /api/v1/hotline/zalo/token)"}
			}
			if err := s.storeTokens(ctx, "", s.cfg.Zalo.InitialRefresh, 0, true); err != nil {
				return "", err
			}
			continue
		}
		if err != nil {
			return "", err
		}
		if !force && len(access) > 0 && accessExp > store.Millis(now.Add(time.Minute)) {
			return s.keys.OpenString("zalo.access_token", access)
		}
		// Take the lease.
		var got bool
		if err := s.db.Write(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE zalo_tokens SET refreshing_until = $1 WHERE id = 1 AND refreshing_until < $2`,
				store.Millis(now.Add(30*time.Second)), store.Millis(now))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			got = n == 1
			return nil
		}); err != nil {
			return "", err
		}
		if !got {
			if time.Now().After(deadline) {
				return "", errors.New("zalo: another instance is refreshing the access token")
			}
			time.Sleep(200 * time.Millisecond)
			force = false
			continue
		}
		rt, err := s.keys.OpenString("zalo.refresh_token", refresh)
		if err != nil {
			return "", err
		}
		newAccess, newRefresh, expires, err := s.refresh(ctx, rt)
		if err != nil {
			s.db.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE zalo_tokens SET refreshing_until = 0 WHERE id = 1`)
				return err
			})
			return "", err
		}
		// Durable before use: if this write fails the new access token is
		// not used (and an operator must authorise the OA again).
		if err := s.storeTokens(ctx, newAccess, newRefresh, store.Millis(s.now().Add(expires)), false); err != nil {
			return "", fmt.Errorf("zalo: store refreshed tokens: %w", err)
		}
		return newAccess, nil
	}
}

func (s *Service) storeTokens(ctx context.Context, access, refresh string, accessExp int64, initial bool) error {
	a, err := s.keys.SealString("zalo.access_token", access)
	if err != nil {
		return err
	}
	r, err := s.keys.SealString("zalo.refresh_token", refresh)
	if err != nil {
		return err
	}
	now := store.Millis(s.now())
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if initial {
			_, err := tx.ExecContext(ctx, `INSERT INTO zalo_tokens (id, access_token, access_expires_at, refresh_token, updated_at)
				VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET access_token = $1, access_expires_at = $2,
				refresh_token = $3, refreshing_until = 0, updated_at = $4`, a, accessExp, r, now)
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE zalo_tokens SET access_token = $1, access_expires_at = $2, refresh_token = $3,
			refreshing_until = 0, updated_at = $4 WHERE id = 1`, a, accessExp, r, now)
		return err
	})
}

// SetZaloRefreshToken stores a refresh token an operator got by
// authorising the OA (the old access token is dropped).
func (s *Service) SetZaloRefreshToken(ctx context.Context, p *auth.Principal, token string) error {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 4000 {
		return errs.Validation().Field("refresh_token", "hotline.zalo_token")
	}
	if err := s.storeTokens(ctx, "", token, 0, true); err != nil {
		return err
	}
	return s.audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "hotline.zalo_token.set", RecordType: "setting", RecordID: "zalo_tokens"})
}

// refresh trades the refresh token for a new pair at Zalo's OAuth server.
func (s *Service) refresh(ctx context.Context, refreshToken string) (string, string, time.Duration, error) {
	form := url.Values{"refresh_token": {refreshToken}, "app_id": {s.cfg.Zalo.AppID}, "grant_type": {"refresh_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.cfg.Zalo.OAuthURL, "/")+"/v4/oa/access_token",
		strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("secret_key", s.cfg.Zalo.AppSecret)
	res, err := s.http.Do(req)
	if err != nil {
		return "", "", 0, fmt.Errorf("zalo refresh: %w", err)
	}
	defer res.Body.Close()
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    any    `json:"expires_in"`
		Error        any    `json:"error"`
		ErrorName    string `json:"error_name"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&out); err != nil {
		return "", "", 0, fmt.Errorf("zalo refresh: status %d: %w", res.StatusCode, err)
	}
	if out.AccessToken == "" || out.RefreshToken == "" {
		return "", "", 0, fmt.Errorf("zalo refresh refused: status %d %v %s", res.StatusCode, out.Error, out.ErrorName)
	}
	secs := int64(90000)
	switch x := out.ExpiresIn.(type) {
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			secs = n
		}
	case float64:
		secs = int64(x)
	}
	return out.AccessToken, out.RefreshToken, time.Duration(secs) * time.Second, nil
}
