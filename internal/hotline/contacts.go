package hotline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/geo"
	"treem/internal/i18n"
	"treem/internal/ident"
	"treem/internal/store"
	"treem/internal/vntext"
)

// WrapUp is what a counsellor records about a contact. In an update every
// field given replaces the stored one and absent fields stay.
type WrapUp struct {
	Type       *string   `json:"type"`
	Urgency    *string   `json:"urgency"`
	Caller     *Caller   `json:"caller"`
	Children   *[]Child  `json:"children"`
	Reasons    *[]string `json:"reasons"`
	Actions    *[]string `json:"actions"`
	Summary    *string   `json:"summary"`
	FollowUpOn *string   `json:"follow_up_on"`
	// Complete finishes the wrap-up (the contact leaves the counsellor's
	// desk); without it the wrap-up is saved unfinished.
	Complete *bool `json:"complete"`
}

// NewContact is a contact recorded by hand (walk-in, e-mail, a call taken
// outside the switch) through the API.
type NewContact struct {
	Channel   string     `json:"channel"`
	StartedAt *time.Time `json:"started_at"`
	WrapUp
}

// Age bands of a caller.
var ageBands = []string{"", "0_5", "6_10", "11_15", "16_17", "18_plus"}

// record is a contact's wrap-up as stored.
type record struct {
	typeRef    sql.NullInt64
	typeCode   string
	urgency    string
	caller     Caller
	phone      string // normalised
	children   []Child
	reasons    []Ref
	actions    []string
	summary    string
	followUp   int
	complete   bool
	province   string
	dataType   bool
	changedSet []string
}

// apply checks w against the reference data and merges it into rec.
// Every problem is reported at once.
func (s *Service) apply(ctx context.Context, rec *record, w WrapUp) error {
	rs, err := s.loadRefs(ctx)
	if err != nil {
		return err
	}
	v := errs.Validation()
	changed := func(f string) { rec.changedSet = append(rec.changedSet, f) }
	if w.Type != nil {
		changed("type")
		if *w.Type == "" {
			rec.typeCode, rec.typeRef = "", sql.NullInt64{}
		} else if r, ok := rs.cur(RefContactType, *w.Type); !ok || !r.Active {
			v.Field("type", "hotline.type_unknown")
		} else {
			rec.typeCode, rec.typeRef, rec.dataType = r.Code, sql.NullInt64{Int64: r.ID, Valid: true}, r.Data
		}
	} else if rec.typeRef.Valid {
		rec.dataType = rs.byID[rec.typeRef.Int64].Data
	}
	if w.Urgency != nil {
		changed("urgency")
		if r, ok := rs.cur(RefUrgency, *w.Urgency); *w.Urgency != "" && (!ok || !r.Active) {
			v.Field("urgency", "hotline.urgency_unknown")
		} else {
			rec.urgency = *w.Urgency
		}
	}
	if w.Caller != nil {
		changed("caller")
		c := *w.Caller
		c.Name = vntext.Clean(c.Name)
		c.Relation = strings.TrimSpace(c.Relation)
		switch c.Kind {
		case "", "child", "adult":
		default:
			v.Field("caller.kind", "hotline.caller_kind_invalid")
		}
		if !slices.Contains(ageBands, c.AgeBand) {
			v.Field("caller.age_band", "hotline.age_band_invalid")
		}
		if sex, err := ident.ParseSex(c.Sex); err != nil {
			v.Field("caller.sex", "hotline.sex_invalid")
		} else {
			c.Sex = sex.String()
		}
		if c.Commune != "" && !s.isCommune(c.Commune) {
			v.Field("caller.commune", "hotline.commune_unknown", "code", c.Commune)
		}
		if len(c.Name) > 200 {
			v.Field("caller.name", "hotline.too_long", "max", 200)
		}
		if len(c.Relation) > 100 {
			v.Field("caller.relation", "hotline.too_long", "max", 100)
		}
		rec.phone = ""
		if strings.TrimSpace(c.Phone) != "" {
			n, err := ident.NormalizePhone(c.Phone)
			if err != nil {
				v.Field("caller.phone", "hotline.phone_invalid")
			}
			rec.phone, c.Phone = n, n
		}
		rec.caller = c
	}
	if w.Children != nil {
		changed("children")
		if len(*w.Children) > 20 {
			v.Field("children", "hotline.too_many", "max", 20)
		}
		rec.children = rec.children[:0]
		for i, ch := range *w.Children {
			f := "children." + strconv.Itoa(i) + "."
			ch.Name = vntext.Clean(ch.Name)
			if len(ch.Name) > 200 {
				v.Field(f+"name", "hotline.too_long", "max", 200)
			}
			if ch.Age != nil && (*ch.Age < 0 || *ch.Age > 17) {
				v.Field(f+"age", "hotline.child_age_invalid")
			}
			if sex, err := ident.ParseSex(ch.Sex); err != nil {
				v.Field(f+"sex", "hotline.sex_invalid")
			} else {
				ch.Sex = sex.String()
			}
			if ch.Commune != "" && !s.isCommune(ch.Commune) {
				v.Field(f+"commune", "hotline.commune_unknown", "code", ch.Commune)
			}
			if ch.ChildID != nil && *ch.ChildID <= 0 {
				v.Field(f+"child_id", "hotline.child_id_invalid")
			}
			if ch.ChildID == nil && ch.Name == "" && ch.Age == nil && ch.Commune == "" {
				v.Field(f+"name", "hotline.child_empty")
			}
			rec.children = append(rec.children, ch)
		}
	}
	if w.Reasons != nil {
		changed("reasons")
		rec.reasons = rec.reasons[:0]
		seen := map[string]bool{}
		for _, code := range *w.Reasons {
			r, ok := rs.cur(RefReason, code)
			if !ok || !r.Active {
				v.Field("reasons", "hotline.reason_unknown", "code", code)
				continue
			}
			if !seen[code] {
				seen[code] = true
				rec.reasons = append(rec.reasons, r)
			}
		}
		if len(rec.reasons) > 10 {
			v.Field("reasons", "hotline.too_many", "max", 10)
		}
	}
	if w.Actions != nil {
		changed("actions")
		rec.actions = rec.actions[:0]
		for _, code := range *w.Actions {
			if r, ok := rs.cur(RefAction, code); !ok || !r.Active {
				v.Field("actions", "hotline.action_unknown", "code", code)
				continue
			}
			if !slices.Contains(rec.actions, code) {
				rec.actions = append(rec.actions, code)
			}
		}
	}
	if w.Summary != nil {
		changed("summary")
		rec.summary = strings.TrimSpace(*w.Summary)
		if len(rec.summary) > 20000 {
			v.Field("summary", "hotline.too_long", "max", 20000)
		}
	}
	if w.FollowUpOn != nil {
		changed("follow_up_on")
		rec.followUp = 0
		if strings.TrimSpace(*w.FollowUpOn) != "" {
			d, err := dates.ParseDay(*w.FollowUpOn)
			if err != nil {
				v.Field("follow_up_on", "date.invalid")
			} else {
				rec.followUp = d.Year()*10000 + int(d.Month())*100 + d.Day()
			}
		}
	}
	if w.Complete != nil {
		rec.complete = *w.Complete
	}
	if rec.complete {
		// A finished wrap-up says what the contact was; a data contact
		// also says why and how urgent, and who called.
		if rec.typeCode == "" && v.Fields["type"].Key == "" {
			v.Field("type", "hotline.type_required")
		}
		if rec.dataType {
			if len(rec.reasons) == 0 && v.Fields["reasons"].Key == "" {
				v.Field("reasons", "hotline.reasons_required")
			}
			if rec.urgency == "" && v.Fields["urgency"].Key == "" {
				v.Field("urgency", "hotline.urgency_required")
			}
			if rec.caller.Kind == "" && v.Fields["caller.kind"].Key == "" {
				v.Field("caller.kind", "hotline.caller_kind_required")
			}
		}
	}
	rec.province = ""
	for _, ch := range rec.children {
		if ch.Commune != "" {
			rec.province = s.units.ProvinceOf(ch.Commune)
			break
		}
	}
	if rec.province == "" && rec.caller.Commune != "" {
		rec.province = s.units.ProvinceOf(rec.caller.Commune)
	}
	return v.OrNil()
}

func (s *Service) isCommune(code string) bool {
	u, ok := s.units.Get(code)
	return ok && u.Level == geo.LevelCommune
}

// nextNumber takes the next contact number of the year. On SQLite the
// counter row is updated inside tx (there is one writer, so it costs no
// wait). On PostgreSQL it is taken in its own short transaction on the
// store's autonomous pool: inside tx the row lock would be held until the
// whole contact commits and serialise every creation in the country behind
// it. Numbers stay unique
// however many instances create contacts; a creation that fails after
// taking its number leaves a gap, as a sequence would.
func (s *Service) nextNumber(ctx context.Context, tx *store.Tx, at time.Time) (string, error) {
	year := at.In(i18n.Vietnam).Year()
	const q = `INSERT INTO hotline_counters (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = hotline_counters.last + 1 RETURNING last`
	var n int64
	var err error
	if tx.Engine() == store.Postgres {
		err = s.db.Autonomous().QueryRowContext(ctx, q, year).Scan(&n)
	} else {
		err = tx.QueryRowContext(ctx, q, year).Scan(&n)
	}
	if err != nil {
		return "", fmt.Errorf("next contact number: %w", err)
	}
	return fmt.Sprintf("111-%04d-%07d", year, n), nil
}

// base is what starts a contact.
type base struct {
	channel   string
	state     string
	outcome   string
	started   time.Time
	queued    time.Time
	answered  time.Time
	ended     time.Time
	counselor int64
	rawPhone  string // as the switch gave it, when it is not a Vietnamese number
	hash      []byte
	zaloUser  string
	callID    string
	tracking  []byte
	reporter  string
	createdBy int64
}

// insert writes a new contact and its rows inside tx and returns its id
// and number.
func (s *Service) insert(ctx context.Context, tx *store.Tx, b base, rec *record) (int64, string, error) {
	now := s.now()
	number, err := s.nextNumber(ctx, tx, b.started)
	if err != nil {
		return 0, "", err
	}
	name, err := s.keys.SealString("hotline.caller_name", rec.caller.Name)
	if err != nil {
		return 0, "", err
	}
	phoneText := rec.phone
	if phoneText == "" {
		phoneText = b.rawPhone
	}
	phone, err := s.keys.SealString("hotline.caller_phone", phoneText)
	if err != nil {
		return 0, "", err
	}
	hash := b.hash
	if hash == nil && rec.phone != "" {
		hash = s.keys.Lookup("phone", rec.phone)
	}
	summary, err := s.keys.SealString("hotline.summary", rec.summary)
	if err != nil {
		return 0, "", err
	}
	reporter, err := s.keys.SealString("hotline.reporter", b.reporter)
	if err != nil {
		return 0, "", err
	}
	var wait, talk int64
	if !b.answered.IsZero() {
		wait = b.answered.Sub(b.started).Milliseconds()
	}
	var counsellor, callID sql.NullInt64
	if b.counselor != 0 {
		counsellor = sql.NullInt64{Int64: b.counselor, Valid: true}
	}
	_ = callID
	var call sql.NullString
	if b.callID != "" {
		call = sql.NullString{String: b.callID, Valid: true}
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO contacts (number, channel, state, outcome, started_at, queued_at,
		answered_at, ended_at, wait_ms, talk_ms, counsellor_id, type_ref, type_code, urgency, urgency_rank,
		caller_kind, caller_relation, caller_age_band, caller_sex, caller_commune, caller_name, caller_phone,
		caller_hash, zalo_user, summary, actions, follow_up_on, complete, province_code, call_id, tracking_hash,
		reporter, created_by, created_at, updated_at, started_on)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
		$23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36) RETURNING id`,
		number, b.channel, b.state, b.outcome, store.Millis(b.started), store.Millis(b.queued),
		store.Millis(b.answered), store.Millis(b.ended), wait, talk, counsellor, rec.typeRef, rec.typeCode,
		rec.urgency, urgencyRank[rec.urgency], rec.caller.Kind, rec.caller.Relation, rec.caller.AgeBand,
		rec.caller.Sex, rec.caller.Commune, name, phone, hash, b.zaloUser, summary, strings.Join(rec.actions, ","),
		rec.followUp, rec.complete, rec.province, call, b.tracking, reporter, b.createdBy, store.Millis(now),
		store.Millis(now), vnDay(store.Millis(b.started))).Scan(&id)
	if err != nil {
		return 0, "", fmt.Errorf("insert contact: %w", err)
	}
	if err := s.writeRows(ctx, tx, id, b.started, number, rec, true); err != nil {
		return 0, "", err
	}
	if err := factsChanged(ctx, tx, now, id); err != nil {
		return 0, "", err
	}
	return id, number, nil
}

// writeRows (re)writes a contact's children, reasons and search words.
func (s *Service) writeRows(ctx context.Context, tx *store.Tx, id int64, started time.Time, number string, rec *record, fresh bool) error {
	has := func(f string) bool { return fresh || slices.Contains(rec.changedSet, f) }
	if has("children") {
		if !fresh {
			if _, err := tx.ExecContext(ctx, `DELETE FROM contact_children WHERE contact_id = $1`, id); err != nil {
				return err
			}
		}
		var vals []any
		for _, ch := range rec.children {
			age := -1
			if ch.Age != nil {
				age = *ch.Age
			}
			vals = append(vals, id, ch.ChildID, ch.Name, age, ch.Sex, ch.Commune)
		}
		if err := multiInsert(ctx, tx, `INSERT INTO contact_children (contact_id, child_id, name, age, sex, commune_code) VALUES `, 6, vals); err != nil {
			return fmt.Errorf("insert contact children: %w", err)
		}
	}
	if has("reasons") {
		if !fresh {
			if _, err := tx.ExecContext(ctx, `DELETE FROM contact_reasons WHERE contact_id = $1`, id); err != nil {
				return err
			}
		}
		var vals []any
		for _, r := range rec.reasons {
			top := r.Parent
			if top == "" {
				top = r.Code
			}
			vals = append(vals, id, r.ID, r.Code, top, store.Millis(started))
		}
		if err := multiInsert(ctx, tx, `INSERT INTO contact_reasons (contact_id, ref_id, code, top_code, started_at) VALUES `, 5, vals); err != nil {
			return fmt.Errorf("insert contact reasons: %w", err)
		}
	}
	if has("caller") || has("children") {
		if !fresh {
			if _, err := tx.ExecContext(ctx, `DELETE FROM contact_words WHERE contact_id = $1`, id); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		var words []string
		add := func(text string) {
			for _, w := range NameTokens(text) {
				if !seen[w] {
					seen[w] = true
					words = append(words, w)
				}
			}
		}
		add(rec.caller.Name)
		for _, ch := range rec.children {
			add(ch.Name)
		}
		var vals []any
		for _, w := range words {
			vals = append(vals, w, store.Millis(started), id)
		}
		if err := multiInsert(ctx, tx, `INSERT INTO contact_words (word, started_at, contact_id) VALUES `, 3, vals); err != nil {
			return fmt.Errorf("insert search words: %w", err)
		}
	}
	return nil
}

// maxNameWords bounds the words of a name that are indexed, and
// maxTokenWords the words of one token.
const (
	maxNameWords  = 6
	maxTokenWords = 4
)

// nameWords are the folded, distinct words of a name, sorted.
func nameWords(name string) []string {
	var out []string
	for _, w := range vntext.Words(name) {
		if len(w) >= 1 && len(w) <= 40 && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	if len(out) > maxNameWords {
		out = out[:maxNameWords]
	}
	return out
}

// NameTokens are the search tokens of a name: every set of up to four of
// its folded words, sorted and joined by spaces ("mai nguyen thi" for
// Nguyễn Thị Mai). A query of up to four words is then one token, found
// in one index lookup, whatever the order of the words and however common
// each word is alone (Nguyễn, Thị).
func NameTokens(name string) []string {
	words := nameWords(name)
	var out []string
	n := len(words)
	for mask := 1; mask < 1<<n; mask++ {
		var set []string
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				set = append(set, words[i])
			}
		}
		if len(set) <= maxTokenWords {
			out = append(out, strings.Join(set, " "))
		}
	}
	return out
}

// queryTokens are the tokens every match of a name query must have: the
// query's words as one token, or, for a longer query, its first and its
// last four words.
func queryTokens(q string) []string {
	words := nameWords(q)
	if len(words) == 0 {
		return nil
	}
	if len(words) <= maxTokenWords {
		return []string{strings.Join(words, " ")}
	}
	return []string{strings.Join(words[:maxTokenWords], " "), strings.Join(words[len(words)-maxTokenWords:], " ")}
}

// Create records a contact by hand. A complete wrap-up closes it at once;
// otherwise it stays with its counsellor, who finishes it later.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewContact) (*Contact, error) {
	now := s.now()
	v := errs.Validation()
	switch in.Channel {
	case ChannelPhone, ChannelEmail, ChannelWalkIn, ChannelWeb, ChannelApp, ChannelZalo:
	case "":
		v.Field("channel", "hotline.channel_required")
	default:
		v.Field("channel", "hotline.channel_unknown")
	}
	started := now
	if in.StartedAt != nil {
		started = *in.StartedAt
		if started.After(now.Add(5*time.Minute)) || started.Before(now.AddDate(-1, 0, 0)) {
			v.Field("started_at", "hotline.started_at")
		}
	}
	rec := &record{}
	if err := s.apply(ctx, rec, in.WrapUp); err != nil {
		var e *errs.Error
		if !errors.As(err, &e) {
			return nil, err
		}
		for k, f := range e.Fields {
			v.Field(k, f.Key, flat(f.Args)...)
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	state := StateActive
	if rec.complete {
		state = StateClosed
	}
	var id int64
	var number string
	b := base{channel: in.Channel, state: state, started: started, answered: started, ended: endIf(rec.complete, now),
		counselor: p.UserID, createdBy: p.UserID}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		id, number, err = s.insert(ctx, tx, b, rec)
		if err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "contact.create", RecordType: "contact", RecordID: itoa(id),
			Detail: "channel=" + in.Channel})
	})
	if err != nil {
		return nil, err
	}
	// The contact as written, without reading it back.
	ms := func(t time.Time) time.Time { return store.Time(store.Millis(t)) }
	c := &Contact{ID: id, Number: number, Channel: in.Channel, State: state, StartedAt: ms(started), AnsweredAt: ms(started),
		EndedAt: ms(b.ended), CounsellorID: p.UserID, Counsellor: p.Username, Type: rec.typeCode, TypeRef: rec.typeRef.Int64,
		Urgency: rec.urgency, Caller: rec.caller, Children: rec.children, Reasons: []string{}, Actions: rec.actions,
		Summary: rec.summary, Complete: rec.complete, Province: rec.province, Referrals: []Referral{},
		CreatedAt: ms(now), UpdatedAt: ms(now)}
	if c.Children == nil {
		c.Children = []Child{}
	}
	if c.Actions == nil {
		c.Actions = []string{}
	}
	for _, r := range rec.reasons {
		c.Reasons = append(c.Reasons, r.Code)
	}
	slices.Sort(c.Reasons)
	if rec.followUp > 0 {
		c.FollowUpOn = fmt.Sprintf("%04d-%02d-%02d", rec.followUp/10000, rec.followUp/100%100, rec.followUp%100)
	}
	return c, nil
}

func endIf(ok bool, t time.Time) time.Time {
	if ok {
		return t
	}
	return time.Time{}
}

func flat(m map[string]any) []any {
	var out []any
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

const contactCols = `c.id, c.number, c.channel, c.state, c.outcome, c.started_at, c.queued_at, c.answered_at,
	c.ended_at, c.wait_ms, c.talk_ms, c.counsellor_id, COALESCE(u.username, ''), c.type_ref, c.type_code, c.urgency,
	c.caller_kind, c.caller_relation, c.caller_age_band, c.caller_sex, c.caller_commune, c.caller_name,
	c.caller_phone, c.caller_hash, c.zalo_user, c.summary, c.actions, c.follow_up_on, c.complete, c.province_code,
	c.referred_province, c.recording, c.created_at, c.updated_at`

// load reads a whole contact (sealed fields opened); it does not audit.
func (s *Service) load(ctx context.Context, id int64) (*Contact, error) {
	return s.loadQ(ctx, s.db.Read(), id)
}

func (s *Service) loadQ(ctx context.Context, q store.Queryer, id int64) (*Contact, error) {
	var c Contact
	var started, queued, answered, ended, wait, talk, created, updated int64
	var counsellor, typeRef sql.NullInt64
	var name, phone, summary, recording []byte
	var actions string
	var follow int
	err := q.QueryRowContext(ctx, `SELECT `+contactCols+` FROM contacts c LEFT JOIN users u ON u.id = c.counsellor_id
		WHERE c.id = $1`, id).Scan(&c.ID, &c.Number, &c.Channel, &c.State, &c.Outcome, &started, &queued, &answered,
		&ended, &wait, &talk, &counsellor, &c.Counsellor, &typeRef, &c.Type, &c.Urgency, &c.Caller.Kind,
		&c.Caller.Relation, &c.Caller.AgeBand, &c.Caller.Sex, &c.Caller.Commune, &name, &phone, &c.callerHash,
		&c.zaloUser, &summary, &actions, &follow, &c.Complete, &c.Province, &c.Referred, &recording, &created, &updated)
	if err != nil {
		return nil, store.NoRows(err)
	}
	c.StartedAt, c.QueuedAt, c.AnsweredAt, c.EndedAt = store.Time(started), store.Time(queued), store.Time(answered), store.Time(ended)
	c.CreatedAt, c.UpdatedAt = store.Time(created), store.Time(updated)
	c.WaitSeconds, c.TalkSeconds = float64(wait)/1000, float64(talk)/1000
	c.CounsellorID, c.TypeRef = counsellor.Int64, typeRef.Int64
	c.Actions = splitList(actions)
	c.HasRecording = len(recording) > 0
	if follow > 0 {
		c.FollowUpOn = fmt.Sprintf("%04d-%02d-%02d", follow/10000, follow/100%100, follow%100)
	}
	if c.Caller.Name, err = s.keys.OpenString("hotline.caller_name", name); err != nil {
		return nil, err
	}
	if c.Caller.Phone, err = s.keys.OpenString("hotline.caller_phone", phone); err != nil {
		return nil, err
	}
	if c.Summary, err = s.keys.OpenString("hotline.summary", summary); err != nil {
		return nil, err
	}
	c.Children = []Child{}
	rows, err := q.QueryContext(ctx, `SELECT child_id, name, age, sex, commune_code FROM contact_children WHERE contact_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var ch Child
		var childID sql.NullInt64
		var age int
		if err := rows.Scan(&childID, &ch.Name, &age, &ch.Sex, &ch.Commune); err != nil {
			rows.Close()
			return nil, err
		}
		if childID.Valid {
			ch.ChildID = &childID.Int64
		}
		if age >= 0 {
			ch.Age = &age
		}
		c.Children = append(c.Children, ch)
	}
	rows.Close()
	c.Reasons = []string{}
	rows, err = q.QueryContext(ctx, `SELECT code FROM contact_reasons WHERE contact_id = $1 ORDER BY code`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			rows.Close()
			return nil, err
		}
		c.Reasons = append(c.Reasons, code)
	}
	rows.Close()
	c.Referrals = []Referral{}
	rows, err = q.QueryContext(ctx, `SELECT id, commune_code, province_code, target, note, state, created_at, created_by
		FROM hotline_referrals WHERE contact_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r Referral
		var note []byte
		var at int64
		if err := rows.Scan(&r.ID, &r.Commune, &r.Province, &r.Target, &note, &r.State, &at, &r.CreatedBy); err != nil {
			rows.Close()
			return nil, err
		}
		r.CreatedAt = store.Time(at)
		if r.Note, err = s.keys.OpenString("hotline.referral_note", note); err != nil {
			rows.Close()
			return nil, err
		}
		c.Referrals = append(c.Referrals, r)
	}
	rows.Close()
	if len(c.callerHash) > 0 {
		b, err := s.activeBlock(ctx, q, c.callerHash)
		if err != nil {
			return nil, err
		}
		c.Blocked = b
	}
	return &c, nil
}

// Get returns a contact the caller may see, and audits the read (and a
// refused read).
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (*Contact, error) {
	c, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.sees(ctx, p, c)) {
		s.audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "contact.read", RecordType: "contact", RecordID: itoa(id), Outcome: audit.NotFound})
		return nil, errs.NotFound("contact")
	}
	if err != nil {
		return nil, err
	}
	if err := s.audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "contact.read", RecordType: "contact", RecordID: itoa(id)}); err != nil {
		return nil, err
	}
	return c, nil
}

// writable loads a contact the caller may change: in scope, and (for a
// counsellor) unclaimed or their own.
func (s *Service) writable(ctx context.Context, q store.Queryer, p *auth.Principal, id int64) (*Contact, error) {
	c, err := s.loadQ(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.sees(ctx, p, c)) {
		return nil, errs.NotFound("contact")
	}
	if err != nil {
		return nil, err
	}
	if !p.Can(auth.PermHotlineSuper) && c.CounsellorID != 0 && c.CounsellorID != p.UserID {
		return nil, errs.Conflict("hotline.not_yours")
	}
	return c, nil
}

// recordOf turns a stored contact back into a record to merge a change into.
func (s *Service) recordOf(ctx context.Context, c *Contact) (*record, error) {
	rs, err := s.loadRefs(ctx)
	if err != nil {
		return nil, err
	}
	rec := &record{typeCode: c.Type, urgency: c.Urgency, caller: c.Caller, children: c.Children,
		actions: c.Actions, summary: c.Summary, complete: c.Complete, province: c.Province}
	if c.TypeRef != 0 {
		rec.typeRef = sql.NullInt64{Int64: c.TypeRef, Valid: true}
	}
	if n, err := ident.NormalizePhone(c.Caller.Phone); err == nil {
		rec.phone = n
	}
	for _, code := range c.Reasons {
		if r, ok := rs.cur(RefReason, code); ok {
			rec.reasons = append(rec.reasons, r)
		}
	}
	if c.FollowUpOn != "" {
		d, _ := time.Parse("2006-01-02", c.FollowUpOn)
		rec.followUp = d.Year()*10000 + int(d.Month())*100 + d.Day()
	}
	return rec, nil
}

// Update saves a wrap-up, finished or not. The first save by a counsellor
// of an unclaimed contact makes it theirs.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, w WrapUp) (*Contact, error) {
	c, err := s.writable(ctx, s.db.Read(), p, id)
	if err != nil {
		return nil, err
	}
	rec, err := s.recordOf(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.apply(ctx, rec, w); err != nil {
		return nil, err
	}
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		name, err := s.keys.SealString("hotline.caller_name", rec.caller.Name)
		if err != nil {
			return err
		}
		phone, err := s.keys.SealString("hotline.caller_phone", rec.caller.Phone)
		if err != nil {
			return err
		}
		summary, err := s.keys.SealString("hotline.summary", rec.summary)
		if err != nil {
			return err
		}
		hash := c.callerHash
		if slices.Contains(rec.changedSet, "caller") && rec.phone != "" && c.Channel != ChannelZalo {
			hash = s.keys.Lookup("phone", rec.phone)
		}
		state, ended := c.State, store.Millis(c.EndedAt)
		if rec.complete && (state == StateActive || state == StateWaiting) {
			state = StateClosed
			if ended == 0 {
				ended = store.Millis(now)
			}
		}
		counsellor := c.CounsellorID
		if counsellor == 0 && p.Role == auth.Counsellor {
			counsellor = p.UserID
		}
		answered := store.Millis(c.AnsweredAt)
		if state == StateWaiting && counsellor != 0 {
			// Working on a waiting conversation or report takes it off the queue.
			state = StateActive
			if answered == 0 {
				answered = store.Millis(now)
			}
		}
		// The update is conditional on the version read, so two saves
		// racing do not silently overwrite each other.
		res, err := tx.ExecContext(ctx, `UPDATE contacts SET type_ref = $1, type_code = $2, urgency = $3, urgency_rank = $4,
			caller_kind = $5, caller_relation = $6, caller_age_band = $7, caller_sex = $8, caller_commune = $9,
			caller_name = $10, caller_phone = $11, caller_hash = $12, summary = $13, actions = $14, follow_up_on = $15,
			complete = $16, province_code = $17, state = $18, ended_at = $19, counsellor_id = $20, updated_at = $21,
			answered_at = $24
			WHERE id = $22 AND updated_at = $23`,
			rec.typeRef, rec.typeCode, rec.urgency, urgencyRank[rec.urgency], rec.caller.Kind, rec.caller.Relation,
			rec.caller.AgeBand, rec.caller.Sex, rec.caller.Commune, name, phone, hash, summary,
			strings.Join(rec.actions, ","), rec.followUp, rec.complete, rec.province, state, ended,
			nullID(counsellor), store.Millis(now), id, store.Millis(c.UpdatedAt), answered)
		if err != nil {
			return fmt.Errorf("update contact: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict("hotline.changed_meanwhile")
		}
		if err := s.writeRows(ctx, tx, id, c.StartedAt, c.Number, rec, false); err != nil {
			return err
		}
		if err := factsChanged(ctx, tx, now, id); err != nil {
			return err
		}
		detail := "fields=" + strings.Join(rec.changedSet, ",")
		if rec.complete {
			detail += " complete"
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "contact.update", RecordType: "contact", RecordID: itoa(id), Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, id)
}

func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

// Claim gives a waiting conversation or report to the counsellor. Phone
// calls are answered on the telephone, not claimed.
func (s *Service) Claim(ctx context.Context, p *auth.Principal, id int64) (*Contact, error) {
	c, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.sees(ctx, p, c)) {
		return nil, errs.NotFound("contact")
	}
	if err != nil {
		return nil, err
	}
	if c.Channel == ChannelPhone {
		return nil, errs.Conflict("hotline.claim_phone")
	}
	now := s.now()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE contacts SET state = 'active', counsellor_id = $1, answered_at = $2,
			wait_ms = $3, updated_at = $2 WHERE id = $4 AND state = 'waiting'`,
			p.UserID, store.Millis(now), now.Sub(c.QueuedAt).Milliseconds(), id)
		if err != nil {
			return fmt.Errorf("claim contact: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict("hotline.already_claimed")
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "contact.claim", RecordType: "contact", RecordID: itoa(id)})
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, id)
}

// Previous lists the earlier contacts of the same caller (same phone
// number or Zalo user), newest first, with their count.
func (s *Service) Previous(ctx context.Context, p *auth.Principal, c *Contact, limit int) ([]Summary, int, error) {
	if len(c.callerHash) == 0 {
		return []Summary{}, 0, nil
	}
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE caller_hash = $1 AND id <> $2`,
		c.callerHash, c.ID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count previous contacts: %w", err)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+summaryCols+` FROM contacts c LEFT JOIN users u ON u.id = c.counsellor_id
		WHERE c.caller_hash = $1 AND c.id <> $2 ORDER BY c.started_at DESC, c.id DESC LIMIT $3`, c.callerHash, c.ID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("previous contacts: %w", err)
	}
	defer rows.Close()
	out, err := scanSummaries(rows)
	return out, total, err
}

const summaryCols = `c.id, c.number, c.channel, c.state, c.outcome, c.started_at, c.queued_at, c.type_code, c.urgency,
	c.counsellor_id, COALESCE(u.username, ''), c.caller_kind, c.province_code, c.complete`

func scanSummaries(rows *sql.Rows) ([]Summary, error) {
	out := []Summary{}
	for rows.Next() {
		var x Summary
		var started, queued int64
		var counsellor sql.NullInt64
		if err := rows.Scan(&x.ID, &x.Number, &x.Channel, &x.State, &x.Outcome, &started, &queued, &x.Type, &x.Urgency,
			&counsellor, &x.Counsellor, &x.CallerKind, &x.Province, &x.Complete); err != nil {
			return nil, err
		}
		x.StartedAt, x.QueuedAt, x.CounsellorID = store.Time(started), store.Time(queued), counsellor.Int64
		out = append(out, x)
	}
	return out, rows.Err()
}

// activeBlock returns the block on a caller in force now, or nil.
func (s *Service) activeBlock(ctx context.Context, q store.Queryer, hash []byte) (*Block, error) {
	var b Block
	var until int64
	err := q.QueryRowContext(ctx, `SELECT id, until_at, reason FROM hotline_blocks
		WHERE caller_hash = $1 AND until_at > $2 AND lifted_at = 0 ORDER BY until_at DESC LIMIT 1`,
		hash, store.Millis(s.now())).Scan(&b.ID, &until, &b.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read block: %w", err)
	}
	b.Until = store.Time(until)
	return &b, nil
}

// BlockInput blocks a contact's caller for a while.
type BlockInput struct {
	Hours  int    `json:"hours"`
	Reason string `json:"reason"` // abusive, prank, other
}

// BlockCaller stops the caller's next contacts from entering the queue
// until the time given (at most 30 days). They are still recorded and
// counted.
func (s *Service) BlockCaller(ctx context.Context, p *auth.Principal, id int64, in BlockInput) (*Block, error) {
	v := errs.Validation()
	if in.Hours < 1 || in.Hours > 720 {
		v.Field("hours", "hotline.block_hours_invalid")
	}
	switch in.Reason {
	case "abusive", "prank", "other":
	default:
		v.Field("reason", "hotline.block_reason_invalid")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	c, err := s.writable(ctx, s.db.Read(), p, id)
	if err != nil {
		return nil, err
	}
	if len(c.callerHash) == 0 {
		return nil, errs.Conflict("hotline.block_no_caller")
	}
	now := s.now()
	b := &Block{Until: now.Add(time.Duration(in.Hours) * time.Hour).UTC().Truncate(time.Millisecond), Reason: in.Reason}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO hotline_blocks (caller_hash, until_at, reason, contact_id, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.callerHash, store.Millis(b.Until), in.Reason, id, p.UserID,
			store.Millis(now)).Scan(&b.ID); err != nil {
			return fmt.Errorf("block caller: %w", err)
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "contact.block_caller", RecordType: "contact", RecordID: itoa(id),
			Detail: fmt.Sprintf("hours=%d reason=%s", in.Hours, in.Reason)})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// ReferralInput refers a contact to the child's commune.
type ReferralInput struct {
	Commune string `json:"commune"`
	Target  string `json:"target"` // commune (default), province, police, health
	Note    string `json:"note"`
}

// Refer records a referral to a commune with the time; the case area will
// turn open referrals into cases. The contact's province officers can see
// it from then on.
func (s *Service) Refer(ctx context.Context, p *auth.Principal, id int64, in ReferralInput) (*Referral, error) {
	v := errs.Validation()
	in.Commune = strings.TrimSpace(in.Commune)
	if !s.isCommune(in.Commune) {
		v.Field("commune", "hotline.commune_unknown", "code", in.Commune)
	}
	if in.Target == "" {
		in.Target = "commune"
	}
	action := map[string]string{"commune": "refer_commune", "province": "refer_province", "police": "refer_police", "health": "refer_health"}[in.Target]
	if action == "" {
		v.Field("target", "hotline.referral_target")
	}
	if len(in.Note) > 4000 {
		v.Field("note", "hotline.too_long", "max", 4000)
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	c, err := s.writable(ctx, s.db.Read(), p, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	province := s.units.ProvinceOf(in.Commune)
	ref := &Referral{Commune: in.Commune, Province: province, Target: in.Target, Note: strings.TrimSpace(in.Note),
		State: "open", CreatedAt: now.UTC().Truncate(time.Millisecond), CreatedBy: p.UserID}
	actions := c.Actions
	if !slices.Contains(actions, action) {
		actions = append(slices.Clone(actions), action)
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		note, err := s.keys.SealString("hotline.referral_note", ref.Note)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO hotline_referrals (contact_id, commune_code, province_code, target, note,
			created_by, created_at, created_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, id, in.Commune, province, in.Target,
			note, p.UserID, store.Millis(now), vnDay(store.Millis(now))).Scan(&ref.ID); err != nil {
			return fmt.Errorf("insert referral: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET referred_province = $1, actions = $2, updated_at = $3 WHERE id = $4`,
			province, strings.Join(actions, ","), store.Millis(now), id); err != nil {
			return fmt.Errorf("mark referral: %w", err)
		}
		if err := factsChanged(ctx, tx, now, id); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "contact.refer", RecordType: "contact", RecordID: itoa(id),
			Detail: "commune=" + in.Commune + " target=" + in.Target})
	})
	if err != nil {
		return nil, err
	}
	return ref, nil
}

// Recording returns the sealed recording address of a call, audited.
func (s *Service) Recording(ctx context.Context, p *auth.Principal, id int64) (string, error) {
	c, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.sees(ctx, p, c)) {
		return "", errs.NotFound("contact")
	}
	if err != nil {
		return "", err
	}
	var sealed []byte
	if err := s.db.Read().QueryRowContext(ctx, `SELECT recording FROM contacts WHERE id = $1`, id).Scan(&sealed); err != nil {
		return "", err
	}
	if len(sealed) == 0 {
		return "", errs.NotFound("recording")
	}
	url, err := s.keys.OpenString("hotline.recording", sealed)
	if err != nil {
		return "", err
	}
	return url, s.audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "contact.recording.read", RecordType: "contact", RecordID: itoa(id)})
}
