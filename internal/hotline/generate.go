package hotline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"treem/internal/i18n"
	"treem/internal/store"
)

// GenOptions shape a generated national contact history.
type GenOptions struct {
	Contacts    int           // how many (5,000,000 is ten years of the national hotline)
	Years       int           // spread over this many years before End
	Span        time.Duration // instead of Years: spread over this long before End
	End         time.Time     // the newest contact; zero: now
	Seed        uint64
	Counsellors []int64 // user ids contacts are attributed to
	Batch       int     // contacts per transaction; zero: 2,000
}

// Vietnamese names as the generator combines them (frequencies roughly as
// in the population: Nguyễn is about four names in ten).
var (
	genFamily = []string{"Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh",
		"Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Lò", "Hà", "Đinh"}
	genMiddle = []string{"Văn", "Thị", "Thị", "Văn", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Thu", "Quốc", "Gia", "Bảo", "Khánh", "Hoài", "Xuân"}
	genGiven  = []string{"An", "Anh", "Bình", "Châu", "Chi", "Dũng", "Duy", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
		"Huy", "Hương", "Khang", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "My", "Nam", "Ngân", "Ngọc", "Nhi", "Phong",
		"Phúc", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Trung", "Tú", "Tuấn", "Uyên", "Vy", "Yến", "Thư", "Khôi"}
)

// GenName is a random Vietnamese name.
func GenName(r *rand.Rand) string {
	n := genFamily[r.IntN(len(genFamily))] + " " + genMiddle[r.IntN(len(genMiddle))]
	if r.IntN(4) == 0 {
		n += " " + genMiddle[r.IntN(len(genMiddle))]
	}
	return n + " " + genGiven[r.IntN(len(genGiven))]
}

// GenPhone is the i-th phone number of the generator's pool of callers.
func GenPhone(i int) string { return fmt.Sprintf("09%08d", 10000000+i*7919%89999999) }

// genPhones is the pool of callers: repeat callers come from it.
const genPhones = 1_500_000

type pick struct {
	code string
	w    int
}

func choose(r *rand.Rand, p []pick) string {
	t := 0
	for _, x := range p {
		t += x.w
	}
	n := r.IntN(t)
	for _, x := range p {
		if n < x.w {
			return x.code
		}
		n -= x.w
	}
	return p[0].code
}

var (
	genChannels = []pick{{"phone", 900}, {"zalo", 40}, {"web", 30}, {"app", 20}, {"email", 5}, {"walk_in", 5}}
	genTypes    = []pick{{"child_self", 50}, {"about_child", 70}, {"silent", 250}, {"hang_up", 250}, {"prank", 100},
		{"wrong_number", 80}, {"thanks", 60}, {"test", 20}, {"abusive", 40}, {"missed", 80}}
	genUrgency = []pick{{"emergency", 3}, {"high", 15}, {"medium", 40}, {"low", 42}}
)

// Generate writes a realistic contact history straight into the database
// (no audit entries: it is test data), in batches, oldest first, and sets
// the number counters after it. progress is called after each batch.
func (s *Service) Generate(ctx context.Context, o GenOptions, progress func(done int)) error {
	if o.Years <= 0 {
		o.Years = 10
	}
	if o.End.IsZero() {
		o.End = s.now()
	}
	if o.Batch <= 0 {
		o.Batch = 2000
	}
	rs, err := s.loadRefs(ctx)
	if err != nil {
		return err
	}
	var reasons []Ref
	for _, r := range rs.list[RefReason] {
		reasons = append(reasons, r)
	}
	communes := []string{}
	for _, p := range s.units.Provinces() {
		for _, c := range s.units.Communes(p.Code) {
			communes = append(communes, c.Code)
		}
	}
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	start := o.End.AddDate(-o.Years, 0, 0)
	if o.Span > 0 {
		start = o.End.Add(-o.Span)
	}
	span := o.End.Sub(start)
	step := span / time.Duration(o.Contacts)
	var nextID int64
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM contacts`).Scan(&nextID); err != nil {
		return err
	}
	counters := map[int]int64{}
	rows := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM hotline_counters`)
	var nc int
	rows.Scan(&nc)
	if nc > 0 {
		rr, err := s.db.Read().QueryContext(ctx, `SELECT year, last FROM hotline_counters`)
		if err != nil {
			return err
		}
		for rr.Next() {
			var y int
			var l int64
			rr.Scan(&y, &l)
			counters[y] = l
		}
		rr.Close()
	}
	summaries := []string{"Trẻ kể bị bố đánh khi say rượu.", "Mẹ hỏi cách giúp con bị bắt nạt ở trường.",
		"Hàng xóm báo trẻ bị bỏ một mình nhiều ngày.", "Trẻ buồn, không muốn đi học.", "Giáo viên báo học sinh có vết bầm."}
	for done := 0; done < o.Contacts; {
		n := min(o.Batch, o.Contacts-done)
		var cs, ws, rsn, chs []any
		var touched []int64
		for i := 0; i < n; i++ {
			id := nextID
			nextID++
			at := start.Add(time.Duration(done+i)*step + time.Duration(r.Int64N(int64(step)+1)))
			year := at.In(i18n.Vietnam).Year()
			counters[year]++
			number := fmt.Sprintf("111-%04d-%07d", year, counters[year])
			channel := choose(r, genChannels)
			typ := choose(r, genTypes)
			if channel != "phone" && (typ == "missed" || typ == "silent" || typ == "hang_up") {
				typ = "about_child"
			}
			ref := rs.current[RefContactType][typ]
			data := ref.Data
			state, outcome := StateClosed, ""
			var answered, ended, wait, talk int64
			startMs := store.Millis(at)
			if channel == "phone" {
				wait = int64(5000 + r.IntN(60000))
				if typ == "missed" {
					outcome, state = []string{"missed", "abandoned"}[r.IntN(2)], StateMissed
					ended = startMs + wait
				} else {
					outcome = "answered"
					answered = startMs + wait
					talk = int64(10000 + r.IntN(600000))
					if data {
						talk += int64(r.IntN(1200000))
					}
					ended = answered + talk
				}
			} else {
				answered, ended = startMs+60000, startMs+900000
			}
			var counsellor any
			if len(o.Counsellors) > 0 && answered > 0 {
				counsellor = o.Counsellors[r.IntN(len(o.Counsellors))]
			}
			var phoneSealed, hash []byte
			if channel == "phone" || (data && r.IntN(2) == 0) {
				ph := GenPhone(int(r.Int64N(genPhones)))
				if phoneSealed, err = s.keys.SealString("hotline.caller_phone", ph); err != nil {
					return err
				}
				hash = s.keys.Lookup("phone", ph)
			}
			urgency, kind, sex, commune, province := "", "", "", "", ""
			var summary []byte
			if data {
				urgency = choose(r, genUrgency)
				kind = map[string]string{"child_self": "child", "about_child": "adult"}[typ]
				sex = []string{"male", "female", ""}[r.IntN(3)]
				commune = communes[r.IntN(len(communes))]
				province = s.units.ProvinceOf(commune)
				if summary, err = s.keys.SealString("hotline.summary", summaries[r.IntN(len(summaries))]); err != nil {
					return err
				}
				var names []string
				if r.IntN(2) == 0 {
					names = append(names, GenName(r))
				}
				nch := 1 + r.IntN(10)/8
				for k := 0; k < nch; k++ {
					name := GenName(r)
					names = append(names, name)
					chs = append(chs, id, name, 3+r.IntN(14), []string{"male", "female"}[r.IntN(2)], commune)
				}
				seen := map[string]bool{}
				for _, name := range names {
					for _, w := range NameTokens(name) {
						if !seen[w] {
							seen[w] = true
							ws = append(ws, w, startMs, id)
						}
					}
				}
				nr := 1 + r.IntN(3)/2
				seenR := map[string]bool{}
				for k := 0; k < nr; k++ {
					rf := reasons[r.IntN(len(reasons))]
					if seenR[rf.Code] {
						continue
					}
					seenR[rf.Code] = true
					top := rf.Parent
					if top == "" {
						top = rf.Code
					}
					rsn = append(rsn, id, rf.ID, rf.Code, top, startMs)
				}
			}
			cs = append(cs, id, number, channel, state, outcome, startMs, startMs, answered, ended, wait, talk, counsellor,
				ref.ID, typ, urgency, urgencyRank[urgency], kind, sex, commune, phoneSealed, hash, summary, true, province,
				startMs, startMs, vnDay(startMs))
			touched = append(touched, id)
		}
		err := s.db.Write(ctx, func(tx *store.Tx) error {
			if err := multiInsert(ctx, tx, `INSERT INTO contacts (id, number, channel, state, outcome, started_at, queued_at,
				answered_at, ended_at, wait_ms, talk_ms, counsellor_id, type_ref, type_code, urgency, urgency_rank, caller_kind,
				caller_sex, caller_commune, caller_phone, caller_hash, summary, complete, province_code, created_at, updated_at,
				started_on) VALUES `, 27, cs); err != nil {
				return err
			}
			if err := factsChanged(ctx, tx, s.now(), touched...); err != nil {
				return err
			}
			if err := multiInsert(ctx, tx, `INSERT INTO contact_children (contact_id, name, age, sex, commune_code) VALUES `, 5, chs); err != nil {
				return err
			}
			if err := multiInsert(ctx, tx, `INSERT INTO contact_words (word, started_at, contact_id) VALUES `, 3, ws); err != nil {
				return err
			}
			return multiInsert(ctx, tx, `INSERT INTO contact_reasons (contact_id, ref_id, code, top_code, started_at) VALUES `, 5, rsn)
		})
		if err != nil {
			return fmt.Errorf("generate contacts: %w", err)
		}
		done += n
		if progress != nil {
			progress(done)
		}
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		for y, last := range counters {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hotline_counters (year, last) VALUES ($1, $2)
				ON CONFLICT (year) DO UPDATE SET last = $2`, y, last); err != nil {
				return err
			}
		}
		if tx.Engine() == store.Postgres {
			// Explicit ids do not move the identity sequence.
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('contacts', 'id'), (SELECT MAX(id) FROM contacts))`); err != nil {
				return err
			}
		}
		return nil
	})
}

// multiInsert inserts rows of cols values each, several rows a statement.
func multiInsert(ctx context.Context, tx *store.Tx, prefix string, cols int, vals []any) error {
	// Small statements: SQLite parses a long VALUES list slowly.
	per := min(30000/cols, 40)
	for len(vals) > 0 {
		n := min(per, len(vals)/cols)
		var sb strings.Builder
		sb.WriteString(prefix)
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for j := 0; j < cols; j++ {
				if j > 0 {
					sb.WriteByte(',')
				}
				sb.WriteByte('$')
				sb.WriteString(strconv.Itoa(i*cols + j + 1))
			}
			sb.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, sb.String(), vals[:n*cols]...); err != nil {
			return err
		}
		vals = vals[n*cols:]
	}
	return nil
}

// SeedDemo gives a demonstration database a month of invented contacts
// and a few waiting in the queue (a report, a Zalo conversation, a call),
// once: it does nothing when contacts exist.
func (s *Service) SeedDemo(ctx context.Context, counsellors []int64) error {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts`).Scan(&n); err != nil || n > 0 {
		return err
	}
	now := s.now()
	if err := s.Generate(ctx, GenOptions{Contacts: 1200, Span: 30 * 24 * time.Hour, End: now.Add(-time.Hour), Seed: 2026,
		Counsellors: counsellors}, nil); err != nil {
		return err
	}
	age := 9
	if _, err := s.SubmitReport(ctx, PublicReport{Description: "Cháu bé nhà bên cạnh thường xuyên bị bố đánh, tối qua khóc rất lâu.",
		Commune: "00004", Child: &struct {
			Name string `json:"name"`
			Age  *int   `json:"age"`
			Sex  string `json:"sex"`
		}{Name: "Lê Minh Khôi", Age: &age, Sex: "Nam"}, Anonymous: true}); err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, _, err := s.insert(ctx, tx, base{channel: ChannelZalo, state: StateWaiting, started: now.Add(-4 * time.Minute),
			queued: now.Add(-4 * time.Minute), hash: s.keys.Lookup("zalo", "demo-zalo-user"), zaloUser: "demo-zalo-user"},
			&record{urgency: "emergency"})
		if err != nil {
			return err
		}
		_, _, err = s.insert(ctx, tx, base{channel: ChannelPhone, state: StateWaiting, started: now.Add(-90 * time.Second),
			queued: now.Add(-90 * time.Second), hash: s.keys.Lookup("phone", "0912345678"), callID: "demo-call"},
			&record{phone: "0912345678"})
		return err
	})
}
