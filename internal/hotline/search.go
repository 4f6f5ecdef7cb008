package hotline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/ident"
	"treem/internal/store"
)

// Query is a contact search. Every filter is optional.
type Query struct {
	Channel    string
	Q          string // a contact number, a phone number, or words of the caller's or a child's name
	Reason     string // a reason code; a level-1 code matches its sub-reasons too
	Type       string
	Urgency    string
	State      string
	Counsellor string // user name or id
	From, To   time.Time
	Limit      int
	Cursor     string
}

var numberRE = regexp.MustCompile(`^111-(\d{4})-(\d{1,7})$`)

// builder collects a WHERE clause and its arguments.
type builder struct {
	where []string
	args  []any
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (b *builder) add(cond string) { b.where = append(b.where, cond) }

func (b *builder) sql() string {
	if len(b.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.where, " AND ")
}

// scope adds p's scope to b (see sees).
func scope(b *builder, p *auth.Principal) {
	if national(p) {
		return
	}
	prov := b.arg(p.Province)
	referred := "c.id IN (SELECT r.contact_id FROM hotline_referrals r WHERE r.province_code = " + prov + ")"
	if p.Role == auth.ProvinceOfficer {
		b.add(referred)
		return
	}
	b.add("(c.province_code = " + prov + " OR " + referred + " OR c.counsellor_id = " + b.arg(p.UserID) + ")")
}

// Search finds contacts in the caller's scope, newest first, with the
// number of all matches and a cursor for the next page. The search is
// audited (without the search text, which may name a person).
func (s *Service) Search(ctx context.Context, p *auth.Principal, q Query) ([]Summary, int, string, error) {
	v := errs.Validation()
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 200 {
		v.Field("limit", "list.limit_range", "max", 200)
	}
	if len(q.Q) > 200 {
		v.Field("q", "search.too_long")
	}
	var curAt, curID int64
	if q.Cursor != "" {
		a, b, ok := strings.Cut(q.Cursor, ".")
		var e1, e2 error
		curAt, e1 = strconv.ParseInt(a, 10, 64)
		curID, e2 = strconv.ParseInt(b, 10, 64)
		if !ok || e1 != nil || e2 != nil {
			v.Field("next", "list.cursor_invalid")
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, 0, "", err
	}
	b := &builder{}
	scope(b, p)
	timeRange := func(col string) string {
		var c []string
		if !q.From.IsZero() {
			c = append(c, col+" >= "+b.arg(store.Millis(q.From)))
		}
		if !q.To.IsZero() {
			c = append(c, col+" < "+b.arg(store.Millis(q.To)))
		}
		if len(c) == 0 {
			return ""
		}
		return " AND " + strings.Join(c, " AND ")
	}
	if q.Channel != "" {
		b.add("c.channel = " + b.arg(q.Channel))
	}
	if q.Type != "" {
		b.add("c.type_code = " + b.arg(q.Type))
	}
	if q.Urgency != "" {
		b.add("c.urgency = " + b.arg(q.Urgency))
	}
	if q.State != "" {
		b.add("c.state = " + b.arg(q.State))
	}
	selective := false
	if q.Counsellor != "" {
		id, err := strconv.ParseInt(q.Counsellor, 10, 64)
		if err != nil {
			err = s.db.Read().QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1`, strings.ToLower(q.Counsellor)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				id = -1
			} else if err != nil {
				return nil, 0, "", err
			}
		}
		b.add("c.counsellor_id = " + b.arg(id))
	}
	// rangeCarried: a subquery already limits the dates (the same as the
	// contact's), so the contacts table's date index is not the way in.
	rangeCarried := false
	if q.Reason != "" {
		r := b.arg(q.Reason)
		b.add("c.id IN (SELECT cr.contact_id FROM contact_reasons cr WHERE (cr.code = " + r + " OR cr.top_code = " + r + ")" +
			timeRange("cr.started_at") + ")")
		if !q.From.IsZero() || !q.To.IsZero() {
			rangeCarried, selective = true, true
		}
	}
	// word: a name search is driven from the token index, which is in date
	// order: the page is read in that order (only its rows are fetched) and,
	// with no other filter, the total is counted on the index alone.
	word := ""
	var wordConds []string
	if text := strings.TrimSpace(q.Q); text != "" {
		selective = true
		if m := numberRE.FindStringSubmatch(strings.ToUpper(text)); m != nil {
			n, _ := strconv.Atoi(m[2])
			b.add("c.number = " + b.arg(fmt.Sprintf("111-%s-%07d", m[1], n)))
		} else if phone, err := ident.NormalizePhone(text); err == nil {
			b.add("c.caller_hash = " + b.arg(s.keys.Lookup("phone", phone)))
		} else {
			words := queryTokens(text)
			if len(words) == 0 {
				return []Summary{}, 0, "", nil
			}
			word = words[0]
			others := len(b.where)
			wordConds = append(wordConds, "cw.word = "+b.arg(word))
			if r := timeRange("cw.started_at"); r != "" {
				wordConds = append(wordConds, strings.TrimPrefix(r, " AND "))
			}
			for _, w := range words[1:] {
				b.add("c.id IN (SELECT cw2.contact_id FROM contact_words cw2 WHERE cw2.word = " + b.arg(w) + ")")
			}
			rangeCarried = true
			if others == 0 && len(words) == 1 {
				wordConds = append(wordConds, "") // marks: the index alone answers the count
			}
		}
	}
	if !rangeCarried {
		if !q.From.IsZero() {
			b.add("c.started_at >= " + b.arg(store.Millis(q.From)))
		}
		if !q.To.IsZero() {
			b.add("c.started_at < " + b.arg(store.Millis(q.To)))
		}
	}
	from := " FROM contacts c"
	order := " ORDER BY c.started_at DESC, c.id DESC"
	if selective {
		// A few matches: find them by their index, then sort, rather than
		// walk the whole table in date order.
		order = " ORDER BY c.started_at + 0 DESC, c.id DESC"
	}
	indexOnly := false
	if word != "" {
		if wordConds[len(wordConds)-1] == "" {
			indexOnly, wordConds = true, wordConds[:len(wordConds)-1]
		}
		from = " FROM contact_words cw JOIN contacts c ON c.id = cw.contact_id"
		b.where = append(wordConds, b.where...)
		order = " ORDER BY cw.started_at DESC, cw.contact_id DESC"
	}
	var total int
	countQ := "SELECT COUNT(*)" + from + b.sql()
	if indexOnly {
		countQ = "SELECT COUNT(*) FROM contact_words cw" + b.sql()
	}
	if err := s.db.Read().QueryRowContext(ctx, countQ, b.args...).Scan(&total); err != nil {
		return nil, 0, "", fmt.Errorf("count contacts: %w", err)
	}
	if q.Cursor != "" {
		a, i := b.arg(curAt), b.arg(curID)
		if word != "" {
			b.add("(cw.started_at < " + a + " OR (cw.started_at = " + a + " AND cw.contact_id < " + i + "))")
		} else {
			b.add("(c.started_at < " + a + " OR (c.started_at = " + a + " AND c.id < " + i + "))")
		}
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+summaryCols+from+" LEFT JOIN users u ON u.id = c.counsellor_id"+
		b.sql()+order+" LIMIT "+strconv.Itoa(q.Limit+1), b.args...)
	if err != nil {
		return nil, 0, "", fmt.Errorf("search contacts: %w", err)
	}
	out, err := scanSummaries(rows)
	rows.Close()
	if err != nil {
		return nil, 0, "", err
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		last := out[len(out)-1]
		next = strconv.FormatInt(store.Millis(last.StartedAt), 10) + "." + strconv.FormatInt(last.ID, 10)
	}
	var used []string
	for name, set := range map[string]bool{"channel": q.Channel != "", "q": q.Q != "", "reason": q.Reason != "",
		"counsellor": q.Counsellor != "", "from": !q.From.IsZero(), "to": !q.To.IsZero(), "type": q.Type != "",
		"urgency": q.Urgency != "", "state": q.State != ""} {
		if set {
			used = append(used, name)
		}
	}
	detail := fmt.Sprintf("filters=%s shown=%d total=%d", strings.Join(sortStrings(used), ","), len(out), total)
	if err := s.audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "contact.search", RecordType: "contact", Detail: detail}); err != nil {
		return nil, 0, "", err
	}
	return out, total, next, nil
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}
