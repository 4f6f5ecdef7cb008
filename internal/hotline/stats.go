package hotline

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"treem/internal/auth"
	"treem/internal/store"
)

// Queue lists the waiting contacts in the caller's scope: emergencies
// first, then the longest waiting. Each says how many earlier contacts its
// caller made.
func (s *Service) Queue(ctx context.Context, p *auth.Principal) ([]Summary, error) {
	b := &builder{}
	b.add("c.state = 'waiting'")
	scope(b, p)
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+summaryCols+", c.caller_hash FROM contacts c LEFT JOIN users u ON u.id = c.counsellor_id"+
		b.sql()+" ORDER BY c.urgency_rank, c.queued_at, c.id LIMIT 200", b.args...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	out := []Summary{}
	var hashes [][]byte
	for rows.Next() {
		var x Summary
		var started, queued int64
		var counsellor nullInt
		var hash []byte
		if err := rows.Scan(&x.ID, &x.Number, &x.Channel, &x.State, &x.Outcome, &started, &queued, &x.Type, &x.Urgency,
			&counsellor, &x.Counsellor, &x.CallerKind, &x.Province, &x.Complete, &hash); err != nil {
			rows.Close()
			return nil, err
		}
		x.StartedAt, x.QueuedAt, x.CounsellorID = store.Time(started), store.Time(queued), counsellor.Int64
		out = append(out, x)
		hashes = append(hashes, hash)
	}
	rows.Close()
	for i, h := range hashes {
		if len(h) == 0 {
			continue
		}
		if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE caller_hash = $1 AND id <> $2`, h, out[i].ID).
			Scan(&out[i].Repeat); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Desk lists the contacts a counsellor has in hand: calls answered and
// conversations claimed whose wrap-up is not finished, oldest first.
func (s *Service) Desk(ctx context.Context, p *auth.Principal) ([]Summary, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+summaryCols+` FROM contacts c LEFT JOIN users u ON u.id = c.counsellor_id
		WHERE c.counsellor_id = $1 AND c.state = 'active' ORDER BY c.started_at, c.id LIMIT 100`, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	defer rows.Close()
	return scanSummaries(rows)
}

// Count is one bar of a breakdown.
type Count struct {
	Code string `json:"code"`
	N    int    `json:"n"`
}

// CounsellorLoad is one counsellor's day.
type CounsellorLoad struct {
	UserID      int64   `json:"user_id"`
	Username    string  `json:"username"`
	Name        string  `json:"name"`
	Extension   string  `json:"extension,omitempty"`
	Busy        bool    `json:"busy"`
	Active      int     `json:"active"`
	Handled     int     `json:"handled"`
	TalkMinutes float64 `json:"talk_minutes"`
}

// Stats are the supervisor's figures for one day (Vietnam time).
type Stats struct {
	Day             time.Time        `json:"day"`
	Total           int              `json:"total"`
	ByChannel       []Count          `json:"by_channel"`
	ByType          []Count          `json:"by_type"`
	ByReason        []Count          `json:"by_reason"`
	Waiting         int              `json:"waiting"`
	LongestWait     float64          `json:"longest_wait_seconds"`
	Answered        int              `json:"answered"`
	Missed          int              `json:"missed"`
	Abandoned       int              `json:"abandoned"`
	AvgWait         float64          `json:"average_wait_seconds"`
	AvgTalk         float64          `json:"average_talk_seconds"`
	Emergencies     int              `json:"emergencies"`
	Referred        int              `json:"referred"`
	Counsellors     []CounsellorLoad `json:"counsellors"`
	OnDuty          int              `json:"on_duty"`
	Busy            int              `json:"busy"`
	OccupancyPct    float64          `json:"occupancy_percent"`
	GeneratedAtTime time.Time        `json:"generated_at"`
}

// Today computes the day's figures in the caller's scope: contacts by
// channel, type and reason; the queue now and its longest wait; answered,
// missed and abandoned calls; and each counsellor's load. A counsellor is
// on duty when they hold an extension, have a contact in hand, or signed
// in within the last 30 minutes; occupancy is the share of those on duty
// who have a contact in hand.
func (s *Service) Today(ctx context.Context, p *auth.Principal) (*Stats, error) {
	now := s.now()
	from, to := day(now)
	st := &Stats{Day: from, GeneratedAtTime: now}
	b := &builder{}
	b.add("c.started_at >= " + b.arg(store.Millis(from)))
	b.add("c.started_at < " + b.arg(store.Millis(to)))
	scope(b, p)
	where := b.sql()
	group := func(col string) ([]Count, error) {
		rows, err := s.db.Read().QueryContext(ctx, "SELECT "+col+", COUNT(*) FROM contacts c"+where+" GROUP BY "+col, b.args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []Count{}
		for rows.Next() {
			var c Count
			if err := rows.Scan(&c.Code, &c.N); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].N > out[j].N || out[i].N == out[j].N && out[i].Code < out[j].Code })
		return out, rows.Err()
	}
	var err error
	if st.ByChannel, err = group("c.channel"); err != nil {
		return nil, err
	}
	if st.ByType, err = group("c.type_code"); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT cr.top_code, COUNT(*) FROM contact_reasons cr JOIN contacts c ON c.id = cr.contact_id`+
		where+` GROUP BY cr.top_code`, b.args...)
	if err != nil {
		return nil, err
	}
	st.ByReason = []Count{}
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Code, &c.N); err != nil {
			rows.Close()
			return nil, err
		}
		st.ByReason = append(st.ByReason, c)
	}
	rows.Close()
	sort.Slice(st.ByReason, func(i, j int) bool { return st.ByReason[i].N > st.ByReason[j].N })
	var avgWait, avgTalk nullFloat
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN c.outcome = 'answered' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome = 'missed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome = 'abandoned' THEN 1 ELSE 0 END), 0),
		AVG(CASE WHEN c.answered_at > 0 THEN c.wait_ms END), AVG(CASE WHEN c.talk_ms > 0 THEN c.talk_ms END),
		COALESCE(SUM(CASE WHEN c.urgency = 'emergency' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.referred_province <> '' THEN 1 ELSE 0 END), 0)
		FROM contacts c`+where, b.args...).Scan(&st.Total, &st.Answered, &st.Missed, &st.Abandoned, &avgWait, &avgTalk,
		&st.Emergencies, &st.Referred); err != nil {
		return nil, fmt.Errorf("day totals: %w", err)
	}
	st.AvgWait, st.AvgTalk = avgWait.Float64/1000, avgTalk.Float64/1000
	q := &builder{}
	q.add("c.state = 'waiting'")
	scope(q, p)
	var oldest nullInt
	if err := s.db.Read().QueryRowContext(ctx, "SELECT COUNT(*), MIN(c.queued_at) FROM contacts c"+q.sql(), q.args...).
		Scan(&st.Waiting, &oldest); err != nil {
		return nil, fmt.Errorf("queue totals: %w", err)
	}
	if oldest.Valid && oldest.Int64 > 0 {
		st.LongestWait = float64(store.Millis(now)-oldest.Int64) / 1000
	}
	if st.Counsellors, err = s.loads(ctx, from, to, now); err != nil {
		return nil, err
	}
	for _, c := range st.Counsellors {
		st.OnDuty++
		if c.Busy {
			st.Busy++
		}
	}
	if st.OnDuty > 0 {
		st.OccupancyPct = 100 * float64(st.Busy) / float64(st.OnDuty)
	}
	return st, nil
}

func (s *Service) loads(ctx context.Context, from, to, now time.Time) ([]CounsellorLoad, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT u.id, u.username, u.full_name, COALESCE(e.extension, ''),
		(SELECT COUNT(*) FROM contacts c WHERE c.counsellor_id = u.id AND c.state = 'active'),
		(SELECT COUNT(*) FROM contacts c WHERE c.counsellor_id = u.id AND c.started_at >= $1 AND c.started_at < $2),
		(SELECT COALESCE(SUM(c.talk_ms), 0) FROM contacts c WHERE c.counsellor_id = u.id AND c.started_at >= $1 AND c.started_at < $2),
		(SELECT COUNT(*) FROM sessions se WHERE se.user_id = u.id AND se.last_seen_at > $3 AND se.expires_at > $4)
		FROM users u LEFT JOIN hotline_extensions e ON e.user_id = u.id
		WHERE u.role IN ('counsellor', 'supervisor') AND u.active = TRUE`,
		store.Millis(from), store.Millis(to), store.Millis(now.Add(-30*time.Minute)), store.Millis(now))
	if err != nil {
		return nil, fmt.Errorf("counsellor loads: %w", err)
	}
	defer rows.Close()
	out := []CounsellorLoad{}
	for rows.Next() {
		var c CounsellorLoad
		var talk int64
		var sessions int
		if err := rows.Scan(&c.UserID, &c.Username, &c.Name, &c.Extension, &c.Active, &c.Handled, &talk, &sessions); err != nil {
			return nil, err
		}
		c.Busy = c.Active > 0
		c.TalkMinutes = float64(talk) / 60000
		if c.Extension != "" || c.Busy || sessions > 0 {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Busy != out[j].Busy {
			return out[i].Busy
		}
		return out[i].Username < out[j].Username
	})
	return out, rows.Err()
}

type (
	nullInt   = sql.NullInt64
	nullFloat = sql.NullFloat64
)
