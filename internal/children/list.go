package children

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/dates"
	"treem/internal/errs"
	"treem/internal/geo"
	"treem/internal/ident"
	"treem/internal/match"
	"treem/internal/vntext"
)

// Filter selects children for a list, a search or an export.
type Filter struct {
	Text   string // a name however typed, a 12-digit identification number or a phone number
	Unit   string // a province or commune inside the caller's scope
	Group  string // a group letter
	Helped string // "yes": helped in Year; "no": not; "" either
	Year   int    // the year "helped" counts; 0 is this year
	Age    string // an age band (AgeBands)
	Limit  int
	Cursor string
}

// AgeBands are the age bands lists filter by.
var AgeBands = []string{"0-5", "6-10", "11-15", "16-17"}

// Item is a child in a list.
type Item struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	DOB          dates.Date `json:"dob"`
	DOBEstimated bool       `json:"dob_estimated"`
	Sex          ident.Sex  `json:"sex"`
	Commune      string     `json:"commune"`
	Groups       []string   `json:"groups"`
	Helped       bool       `json:"helped"`          // helped in the filter's year
	Score        float64    `json:"score,omitempty"` // relevance, for a search
}

// Page is one page of a list.
type Page struct {
	Items []Item
	Total int
	Next  string
	Year  int
}

// Limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	maxRanked    = 10000 // ranked hits filtered further (helped) are read up to this many
)

// query is a checked filter.
type query struct {
	Filter
	province, commune string // the scope: caller's scope narrowed by Unit
	from, to          dates.Date
	bornFrom, bornTo  dates.Date
	pid               string
	phoneHash         []byte
	cursorKey         []byte
	cursorID          int64
	offset            int
	day               int // today, as stored
}

// check validates a filter against the caller's scope; every problem is
// reported at once.
func (s *Service) check(by *auth.Principal, f Filter, export bool) (query, error) {
	v := errs.Validation()
	q := query{Filter: f}
	if by != nil {
		sc := by.Scope()
		q.province, q.commune = sc.Province, sc.Commune
	}
	q.Unit = strings.TrimSpace(f.Unit)
	if q.Unit != "" {
		u, ok := s.Units.Get(q.Unit)
		switch {
		case !ok:
			v.Field("unit", "children.unit_unknown", "code", q.Unit)
		case !sees(by, q.Unit):
			v.Field("unit", "children.unit_out_of_scope", "code", q.Unit)
		case u.Level == geo.LevelProvince:
			q.province = u.Code
		default:
			q.province, q.commune = u.Province, u.Code
		}
	}
	if f.Group != "" {
		q.Group = normalGroup(strings.TrimSpace(f.Group))
		if !s.Options().valid(ListGroup, q.Group, "") {
			v.Field("group", "children.group_unknown", "code", f.Group)
		}
	}
	today := s.today()
	q.day = dateNum(today)
	if q.Year == 0 {
		q.Year = today.Year
	}
	if q.Year < 2000 || q.Year > today.Year+1 { // -1: not a number
		v.Field("year", "children.year_range")
	}
	q.from, q.to = yearSpan(q.Year)
	switch strings.ToLower(f.Helped) {
	case "":
	case "yes", "true", "1", "co", "có":
		q.Helped = "yes"
	case "no", "false", "0", "khong", "không":
		q.Helped = "no"
	default:
		v.Field("helped", "children.helped_value")
	}
	if f.Age != "" {
		lo, hi, ok := ageBand(f.Age)
		if !ok {
			v.Field("age", "children.age_band")
		} else {
			// Born after (today − (hi+1) years) and on or before (today − lo years).
			q.bornFrom = dates.Date{Year: today.Year - hi - 1, Month: today.Month, Day: today.Day, Precision: dates.Day}
			q.bornTo = dates.Date{Year: today.Year - lo, Month: today.Month, Day: today.Day, Precision: dates.Day}
		}
	}
	if !export {
		switch {
		case f.Limit == 0:
			q.Limit = DefaultLimit
		case f.Limit < 1 || f.Limit > MaxLimit:
			v.Field("limit", "list.limit_range", "max", MaxLimit)
		}
	}
	q.Text = strings.TrimSpace(f.Text)
	if len(q.Text) > 200 {
		v.Field("q", "search.too_long")
	}
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' {
			return -1
		}
		return r
	}, q.Text)
	if digits != "" && strings.Trim(digits, "0123456789+") == "" {
		if p, err := ident.ParsePID(digits); err == nil {
			q.pid = p.String()
		} else if ph, err := ident.NormalizePhone(digits); err == nil {
			q.phoneHash = s.phoneLookup(ph)
		} else {
			v.Field("q", "children.q_number")
		}
	}
	if c := f.Cursor; c != "" {
		ok := false
		switch {
		case strings.HasPrefix(c, "o") && q.ranked():
			n, err := strconv.Atoi(c[1:])
			q.offset, ok = n, err == nil && n >= 0
		case strings.HasPrefix(c, "k") && !q.ranked():
			key, id, found := strings.Cut(c[1:], ".")
			b, err := base64.RawURLEncoding.DecodeString(key)
			n, err2 := strconv.ParseInt(id, 10, 64)
			q.cursorKey, q.cursorID, ok = b, n, found && err == nil && err2 == nil
		}
		if !ok {
			v.Field("next", "list.cursor_invalid")
		}
	}
	return q, v.OrNil()
}

// ranked reports whether the query is a name search, ranked by relevance;
// other lists are in Vietnamese name order.
func (q query) ranked() bool { return q.Text != "" && q.pid == "" && q.phoneHash == nil }

func ageBand(s string) (int, int, bool) {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || a < 0 || b < a || b > 17 {
		return 0, 0, false
	}
	return a, b, true
}

// where builds the conditions of a query in SQL, with its arguments.
func (q query) where() (string, []any) {
	c := conds{list: []string{"c.merged_into IS NULL"}}
	if q.province != "" {
		c.add("c.province_code = ?", q.province)
	}
	if q.commune != "" {
		c.add("c.commune_code = ?", q.commune)
	}
	q.filters(&c)
	return strings.Join(c.list, " AND "), c.args
}

// conds are SQL conditions and their arguments, numbered $1, $2, … in
// the order added.
type conds struct {
	list []string
	args []any
}

func (c *conds) add(cond string, vals ...any) {
	for _, v := range vals {
		c.args = append(c.args, v)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1)
	}
	c.list = append(c.list, cond)
}

// filters adds the conditions of a query other than its scope.
func (q query) filters(c *conds) {
	if q.pid != "" {
		c.add("c.pid = ?", q.pid)
	}
	if q.phoneHash != nil {
		c.add("c.phone_hash = ?", q.phoneHash)
	}
	if q.Group != "" {
		c.add("EXISTS (SELECT 1 FROM child_groups g WHERE g.child_id = c.id AND g.code = ? AND (g.end_on = 0 OR g.end_on > ?))",
			q.Group, q.day)
	}
	if q.Helped != "" {
		not := ""
		if q.Helped == "no" {
			not = "NOT "
		}
		c.add(not+"EXISTS (SELECT 1 FROM supports s WHERE s.child_id = c.id AND s.status = ? AND s.given_on >= ? AND s.given_on <= ?)",
			StatusDelivered, dateNum(q.from), dateNum(q.to))
	}
	if !q.bornFrom.IsZero() {
		c.add("c.dob_on > ? AND c.dob_on <= ?", dateNum(q.bornFrom), dateNum(q.bornTo))
	}
}

// covers reports whether a commune is inside the query's scope.
func (q query) covers(units *geo.Units, commune string) bool {
	if q.commune != "" {
		return commune == q.commune
	}
	if q.province != "" {
		u, ok := units.Get(commune)
		return ok && u.Province == q.province
	}
	return true
}

// scopeOnly reports whether the query selects by scope alone, so that the
// name index can count it.
func (q query) scopeOnly() bool {
	return q.pid == "" && q.phoneHash == nil && q.Group == "" && q.Helped == "" && q.bornFrom.IsZero()
}

// List returns a page of the children the principal sees that match the
// filter: ranked by relevance for a name search, otherwise in Vietnamese
// name order. Total counts every match in scope.
func (s *Service) List(ctx context.Context, by *auth.Principal, f Filter) (Page, error) {
	q, err := s.check(by, f, false)
	if err != nil {
		return Page{}, err
	}
	var p Page
	if q.ranked() {
		p, err = s.search(ctx, q)
	} else {
		p, err = s.list(ctx, q)
	}
	if err != nil {
		return Page{}, err
	}
	p.Year = q.Year
	detail := fmt.Sprintf("results=%d total=%d%s", len(p.Items), p.Total, q.describe())
	if err := s.Audit.Record(ctx, audit.Event{Action: "children.list", RecordType: "child", Detail: detail}); err != nil {
		return Page{}, err
	}
	return p, nil
}

// describe is the filter for an audit entry: never the text searched for,
// which is a name.
func (q query) describe() string {
	var b strings.Builder
	for _, kv := range [][2]string{{"unit", q.Unit}, {"group", q.Group}, {"helped", q.Helped}, {"age", q.Age}} {
		if kv[1] != "" {
			b.WriteString(" " + kv[0] + "=" + kv[1])
		}
	}
	if q.Helped != "" {
		b.WriteString(" year=" + strconv.Itoa(q.Year))
	}
	if q.Text != "" {
		b.WriteString(" search=yes")
	}
	return b.String()
}

func (s *Service) list(ctx context.Context, q query) (Page, error) {
	where, args := q.where()
	var p Page
	if q.scopeOnly() {
		// The index holds every child not merged, by unit: no need to
		// count a province's (or the country's) rows at every page.
		p.Total = s.Index.Count(match.Scope{Province: q.province, Commune: q.commune})
	} else if err := s.DB.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM children c WHERE "+where, args...).Scan(&p.Total); err != nil {
		return p, fmt.Errorf("count children: %w", err)
	}
	if q.cursorKey != nil {
		n := len(args)
		where += fmt.Sprintf(" AND (c.name_key > $%d OR (c.name_key = $%d AND c.id > $%d))", n+1, n+1, n+2)
		args = append(args, q.cursorKey, q.cursorID)
	}
	args = append(args, q.Limit+1)
	rows, err := s.DB.Read().QueryContext(ctx, "SELECT c.id, c.name_key FROM children c WHERE "+where+
		fmt.Sprintf(" ORDER BY c.name_key, c.id LIMIT $%d", len(args)), args...)
	if err != nil {
		return p, fmt.Errorf("list children: %w", err)
	}
	defer rows.Close()
	var ids []int64
	var key, lastKey []byte
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &key); err != nil {
			return p, err
		}
		if len(ids) == q.Limit {
			p.Next = "k" + base64.RawURLEncoding.EncodeToString(lastKey) + "." + strconv.FormatInt(ids[len(ids)-1], 10)
			break
		}
		lastKey = append(lastKey[:0], key...)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return p, err
	}
	// Close before the items' query: after the break the rows still hold
	// their connection, and requests each holding one while waiting for a
	// second would take the whole reader pool and wait for ever.
	rows.Close()
	p.Items, err = s.items(ctx, q, ids, false)
	return p, err
}

// itemsQuery reads list items with their open group periods (one row
// each, or one with none) and whether they were helped in a year:
// $1 the delivered status, $2 and $3 the year, $4 today.
const itemsQuery = `SELECT c.id, c.name, c.dob_on, c.dob_estimated, c.sex, c.commune_code, c.province_code, c.merged_into,
	g.id, g.code, g.start_on,
	EXISTS (SELECT 1 FROM supports s WHERE s.child_id = c.id AND s.status = $1 AND s.given_on >= $2 AND s.given_on <= $3)
FROM children c LEFT JOIN child_groups g ON g.child_id = c.id AND (g.end_on = 0 OR g.end_on > $4)
WHERE `

// items reads the children with the given ids as list items — the record,
// its current groups and whether it was helped in the query's year — in
// one query, in the order of ids. With confirm only those the database
// shows inside the query's scope and filters are kept: a search's hits
// come from the name index, which may trail the database by a moment.
// The scope is checked here rather than in SQL so that the ids alone lead
// the query (SQLite would otherwise read a whole province by its index).
func (s *Service) items(ctx context.Context, q query, ids []int64, confirm bool) ([]Item, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	c := conds{args: []any{StatusDelivered, dateNum(q.from), dateNum(q.to), q.day}}
	if confirm {
		q.filters(&c)
	}
	c.list = append(c.list, "c.id IN ("+s.params(len(c.args)+1, len(ids))+")")
	rows, err := s.DB.Read().QueryContext(ctx, itemsQuery+strings.Join(c.list, " AND "), append(c.args, int64Args(ids)...)...)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	found := make(map[int64]*Item, len(ids))
	periods := map[int64][]GroupPeriod{}
	for rows.Next() {
		var it Item
		var dob int
		var sex, province string
		var merged, gid, gstart sql.NullInt64
		var gcode sql.NullString
		if err := rows.Scan(&it.ID, &it.Name, &dob, &it.DOBEstimated, &sex, &it.Commune, &province, &merged,
			&gid, &gcode, &gstart, &it.Helped); err != nil {
			return nil, err
		}
		if confirm && (merged.Valid || (q.province != "" && province != q.province) || (q.commune != "" && it.Commune != q.commune)) {
			continue
		}
		if gid.Valid {
			periods[it.ID] = append(periods[it.ID], GroupPeriod{ID: gid.Int64, Code: gcode.String, Start: numDate(int(gstart.Int64), false)})
		}
		if _, ok := found[it.ID]; ok {
			continue
		}
		it.DOB = numDate(dob, it.DOBEstimated)
		it.Sex, _ = ident.ParseSex(sex)
		found[it.ID] = &it
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	today := s.today()
	out := make([]Item, 0, len(found))
	for _, id := range ids {
		it, ok := found[id]
		if !ok {
			continue
		}
		ps := periods[id]
		sortPeriods(ps)
		if it.Groups = currentGroups(ps, today); it.Groups == nil {
			it.Groups = []string{}
		}
		out = append(out, *it)
	}
	return out, nil
}

// freshQuery is for a page answered from the name index: the children
// changed since the index may not know of it ($1; read up to 1,001), and
// the page's children's help in a year ($2 to $4) and open group periods
// ($5, today). The ids follow, twice.
const freshQuery = `SELECT 2, r.id, '', 0, 0 FROM (SELECT c.id FROM children c WHERE c.updated_at >= $1
	ORDER BY c.updated_at LIMIT 1001) r
UNION ALL SELECT 1, s.child_id, '', 0, 0 FROM supports s
	WHERE s.status = $2 AND s.given_on >= $3 AND s.given_on <= $4 AND s.child_id IN (%s)
UNION ALL SELECT 0, g.child_id, g.code, g.start_on, g.id FROM child_groups g
	WHERE (g.end_on = 0 OR g.end_on > $5) AND g.child_id IN (%s)`

// indexItems answers a page of hits from the name index, which holds each
// child's name, date of birth, sex and commune: no row of children is read.
// One query brings the groups and the help, and tells whether the index
// could be behind the database for any child of the page (another
// instance changed it since unsure, the index's mark read before the
// search): then ok is false and the page must be read from the database.
func (s *Service) indexItems(ctx context.Context, q query, hits []match.Hit, unsure int64) (items []Item, ok bool, err error) {
	// The ids are padded with -1 (no child's) to one of a few lengths,
	// so that the statement is parsed once per length and reader.
	n := pageSizes[len(pageSizes)-1]
	for _, size := range pageSizes {
		if size >= len(hits) {
			n = size
			break
		}
	}
	ids := make([]any, n)
	for i := range ids {
		ids[i] = int64(-1)
		if i < len(hits) {
			ids[i] = hits[i].ID
		}
	}
	// Named $N on both engines: on SQLite a ?NNN list after a $N first
	// met later in the text takes that $N's slot.
	st, err := s.prepared(ctx, fmt.Sprintf(freshQuery, dollars(6, n), dollars(6+n, n)))
	if err != nil {
		return nil, false, err
	}
	args := append([]any{unsure, StatusDelivered, dateNum(q.from), dateNum(q.to), q.day}, ids...)
	rows, err := st.QueryContext(ctx, append(args, ids...)...)
	if err != nil {
		return nil, false, fmt.Errorf("search page: %w", err)
	}
	defer rows.Close()
	changed := map[int64]bool{}
	helped := map[int64]bool{}
	periods := map[int64][]GroupPeriod{}
	for rows.Next() {
		var kind, start int
		var id, gid int64
		var code string
		if err := rows.Scan(&kind, &id, &code, &start, &gid); err != nil {
			return nil, false, err
		}
		switch kind {
		case 2:
			changed[id] = true
		case 1:
			helped[id] = true
		default:
			periods[id] = append(periods[id], GroupPeriod{ID: gid, Code: code, Start: numDate(start, false)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(changed) > 1000 {
		return nil, false, nil
	}
	for _, h := range hits {
		if changed[h.ID] {
			return nil, false, nil
		}
	}
	today := s.today()
	items = make([]Item, 0, len(hits))
	for _, h := range hits {
		r, found := s.Index.Get(h.ID)
		if !found {
			continue // deleted (merged) since the search
		}
		if !q.covers(s.Units, r.Commune) {
			return nil, false, nil // changed by this instance since the query
		}
		it := Item{ID: h.ID, Name: r.Name, DOB: r.DOB, DOBEstimated: r.DOB.Estimated, Sex: r.Sex, Commune: r.Commune,
			Helped: helped[h.ID], Score: round2(h.Score)}
		it.Groups = []string{}
		if ps := periods[h.ID]; len(ps) > 0 {
			sortPeriods(ps)
			it.Groups = currentGroups(ps, today)
		}
		items = append(items, it)
	}
	return items, true, nil
}

// pageSizes are the lengths a page's list of ids is padded to.
var pageSizes = []int{10, 20, 50, 100, MaxLimit}

// prepared returns the statement text prepared on the reader pool.
func (s *Service) prepared(ctx context.Context, text string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	st := s.stmts[text]
	s.stmtMu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := s.DB.Read().PrepareContext(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if first := s.stmts[text]; first != nil {
		st.Close() // another request prepared it meanwhile
		return first, nil
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[text] = st
	return st, nil
}

// dollars returns "$from, $from+1, …" for n values.
func dollars(from, n int) string {
	b := make([]byte, 0, n*6)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(from+i), 10)
	}
	return string(b)
}

func sortPeriods(ps []GroupPeriod) {
	slices.SortFunc(ps, func(a, b GroupPeriod) int {
		return cmp.Or(cmp.Compare(dateNum(a.Start), dateNum(b.Start)), cmp.Compare(a.ID, b.ID))
	})
}

// search ranks children by name through the index. A plain search's page
// is answered from the index when the database says none of its children
// changed since the index last looked; otherwise, and with filters the
// index cannot judge (help, groups and ages as the database counts them),
// the page keeps only the children the database confirms in scope.
func (s *Service) search(ctx context.Context, q query) (Page, error) {
	mq := match.Query{Text: q.Text, Scope: match.Scope{Province: q.province, Commune: q.commune},
		BornFrom: q.bornFrom, BornTo: q.bornTo}
	if q.Group != "" {
		mq.Groups = groupBit(q.Group)
	}
	var p Page
	var hits []match.Hit
	unsure := s.sync.unsure.Load()
	if q.Helped != "" {
		// "helped" lives in the database: filter the ranked hits there.
		mq.Limit = maxRanked
		all, _ := s.Index.Search(mq)
		ids := make([]int64, len(all))
		for i, h := range all {
			ids[i] = h.ID
		}
		helped, err := s.Helped(ctx, ids, q.from, q.to)
		if err != nil {
			return p, err
		}
		for _, h := range all {
			if helped[h.ID] == (q.Helped == "yes") {
				hits = append(hits, h)
			}
		}
		p.Total = len(hits)
		hits = hits[min(q.offset, len(hits)):]
		hits = hits[:min(q.Limit, len(hits))]
	} else {
		mq.Limit = q.offset + q.Limit
		var total int
		hits, total = s.Index.Search(mq)
		p.Total = total
		hits = hits[min(q.offset, len(hits)):]
	}
	if q.offset+len(hits) < p.Total {
		p.Next = "o" + strconv.Itoa(q.offset+len(hits))
	}
	if len(hits) == 0 {
		return p, nil
	}
	if q.scopeOnly() {
		// A plain name search: the index answers, unless it may be
		// behind for one of the page's children.
		items, ok, err := s.indexItems(ctx, q, hits, unsure)
		if err != nil {
			return p, err
		}
		if ok {
			p.Items = items
			return p, nil
		}
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	items, err := s.items(ctx, q, ids, true)
	if err != nil {
		return p, err
	}
	j := 0
	for _, h := range hits {
		if j < len(items) && items[j].ID == h.ID {
			items[j].Score = round2(h.Score)
			j++
		}
	}
	p.Items = items
	return p, nil
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// MatchInput is a reported child to look for in the registry; any field
// may be missing, but a name, an identification number or a phone is needed.
type MatchInput struct {
	Name       string `json:"name"`
	DOB        string `json:"dob"`
	Sex        string `json:"sex"`
	Commune    string `json:"commune"`
	OldCommune string `json:"old_commune"`
	PID        string `json:"pid"`
	Phone      string `json:"phone"`
}

// MatchHit is a child in the caller's scope who may be the one reported.
type MatchHit struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	DOB          dates.Date `json:"dob"`
	DOBEstimated bool       `json:"dob_estimated"`
	Sex          ident.Sex  `json:"sex"`
	Commune      string     `json:"commune"`
	Score        float64    `json:"score"`
	Verdict      string     `json:"verdict"` // likely or possible
	Reasons      []string   `json:"reasons"`
}

// Elsewhere says that a likely match lives outside the caller's scope, and
// whom to ask — never who the child is.
type Elsewhere struct {
	Commune     string    `json:"commune"`
	CommuneName string    `json:"commune_name"`
	Province    string    `json:"province"`
	Contacts    []Contact `json:"contacts"`
}

// MatchResult is the answer to a match.
type MatchResult struct {
	Hits      []MatchHit
	Elsewhere []Elsewhere
}

// MaxMatches is the most matches an answer gives.
const MaxMatches = 10

// Match finds the registry children who may be the one reported, best
// first. Children in the caller's scope are named; a likely match outside
// it is only reported as existing in its commune, with whom to ask.
func (s *Service) Match(ctx context.Context, by *auth.Principal, in MatchInput) (MatchResult, error) {
	v := errs.Validation()
	cand := match.Candidate{Name: vntext.Clean(in.Name), Commune: strings.TrimSpace(in.Commune),
		OldCommune: strings.TrimSpace(in.OldCommune)}
	if d := strings.TrimSpace(in.DOB); d != "" {
		dob, err := dates.Parse(d)
		if de, ok := err.(*dates.Error); ok {
			v.Field("dob", "children.date."+string(de.Reason), argPairs(de.Args())...)
		}
		cand.DOB = dob
	}
	if sx, err := ident.ParseSex(in.Sex); err != nil {
		v.Field("sex", "children.sex_invalid")
	} else {
		cand.Sex = sx
	}
	if cand.Commune != "" {
		if u, ok := s.Units.Get(cand.Commune); !ok || u.Level != geo.LevelCommune {
			v.Field("commune", "children.commune_unknown", "code", cand.Commune)
		}
	}
	if cand.OldCommune != "" {
		if _, ok := s.Units.ResolveOld(cand.OldCommune); !ok {
			v.Field("old_commune", "children.old_commune_unknown", "code", cand.OldCommune)
		}
	}
	if p := strings.TrimSpace(in.PID); p != "" {
		pid, err := ident.ParsePID(p)
		if pe, ok := err.(*ident.PIDError); ok {
			v.Field("pid", "children.pid."+string(pe.Reason), argPairs(pe.Args())...)
		}
		cand.PID = pid.String()
	}
	if p := strings.TrimSpace(in.Phone); p != "" {
		ph, err := ident.NormalizePhone(p)
		if err != nil {
			v.Field("phone", "children.phone.invalid")
		}
		cand.Phone = phoneKey(s.phoneLookup(ph))
	}
	if err := v.OrNil(); err != nil {
		return MatchResult{}, err
	}
	if cand.Name == "" && cand.PID == "" && cand.Phone == "" {
		return MatchResult{}, errs.Invalid("children.match_empty")
	}
	var out MatchResult
	elsewhere := map[string]bool{}
	for _, m := range s.Index.Match(cand, match.Scope{}, 5*MaxMatches) {
		if sees(by, m.Commune) {
			if len(out.Hits) == MaxMatches {
				continue
			}
			r, ok := s.Index.Get(m.ID)
			if !ok {
				continue
			}
			out.Hits = append(out.Hits, MatchHit{ID: m.ID, Name: r.Name, DOB: r.DOB, DOBEstimated: r.DOB.Estimated,
				Sex: r.Sex, Commune: r.Commune, Score: round2(m.Score), Verdict: m.Verdict, Reasons: nonNil(m.Reasons)})
			continue
		}
		if m.Verdict != "likely" || elsewhere[m.Commune] {
			continue
		}
		elsewhere[m.Commune] = true
		u, _ := s.Units.Get(m.Commune)
		e := Elsewhere{Commune: m.Commune, CommuneName: u.FullName, Province: u.Province, Contacts: []Contact{}}
		if s.Contacts != nil {
			cs, err := s.Contacts(ctx, m.Commune)
			if err != nil {
				return MatchResult{}, err
			}
			if cs != nil {
				e.Contacts = cs
			}
		}
		out.Elsewhere = append(out.Elsewhere, e)
	}
	detail := fmt.Sprintf("results=%d elsewhere=%d", len(out.Hits), len(out.Elsewhere))
	if err := s.Audit.Record(ctx, audit.Event{Action: "children.match", RecordType: "child", Detail: detail}); err != nil {
		return MatchResult{}, err
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// rowsEach runs f for each child matching q, in name order, a batch at a
// time (for exports).
func (s *Service) rowsEach(ctx context.Context, q query, f func([]Child) error) error {
	if q.ranked() {
		mq := match.Query{Text: q.Text, Scope: match.Scope{Province: q.province, Commune: q.commune},
			BornFrom: q.bornFrom, BornTo: q.bornTo, Limit: maxRanked}
		if q.Group != "" {
			mq.Groups = groupBit(q.Group)
		}
		hits, _ := s.Index.Search(mq)
		ids := make([]int64, len(hits))
		for i, h := range hits {
			ids[i] = h.ID
		}
		for len(ids) > 0 {
			n := min(len(ids), 500)
			if err := s.batch(ctx, q, ids[:n], f); err != nil {
				return err
			}
			ids = ids[n:]
		}
		return nil
	}
	var key []byte
	var last int64
	for {
		where, args := q.where()
		if key != nil {
			n := len(args)
			where += fmt.Sprintf(" AND (c.name_key > $%d OR (c.name_key = $%d AND c.id > $%d))", n+1, n+1, n+2)
			args = append(args, key, last)
		}
		rows, err := s.DB.Read().QueryContext(ctx, "SELECT c.id, c.name_key FROM children c WHERE "+where+
			" ORDER BY c.name_key, c.id LIMIT 1000", args...)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		var ids []int64
		for rows.Next() {
			if err := rows.Scan(&last, &key); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, last)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := s.batch(ctx, q, ids, f); err != nil {
			return err
		}
	}
}

// batch loads whole children by id, in the order given, and passes them on.
func (s *Service) batch(ctx context.Context, q query, ids []int64, f func([]Child) error) error {
	where, args := q.where()
	rows, err := s.DB.Read().QueryContext(ctx, "SELECT "+prefixed(childCols)+" FROM children c WHERE "+where+
		" AND c.id IN ("+s.params(len(args)+1, len(ids))+")", append(args, int64Args(ids)...)...)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	byID := map[int64]Child{}
	for rows.Next() {
		c, err := s.scanChild(rows)
		if err != nil {
			rows.Close()
			return err
		}
		byID[c.ID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	periods, err := s.loadPeriods(ctx, s.DB.Read(), ids)
	if err != nil {
		return err
	}
	cgs, err := s.loadCaregivers(ctx, ids)
	if err != nil {
		return err
	}
	today := s.today()
	var out []Child
	for _, id := range ids {
		c, ok := byID[id]
		if !ok {
			continue
		}
		for _, p := range periods {
			if p.childID == id {
				c.Periods = append(c.Periods, p)
			}
		}
		c.Groups = currentGroups(c.Periods, today)
		c.Caregivers = cgs[id]
		out = append(out, c)
	}
	return f(out)
}

// prefixed qualifies a column list with the table alias c.
func prefixed(cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = "c." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func (s *Service) loadCaregivers(ctx context.Context, ids []int64) (map[int64][]Caregiver, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT child_id, name, relation, phone FROM child_caregivers
		WHERE child_id IN (`+s.params(1, len(ids))+`) ORDER BY child_id, position`, int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("load caregivers: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Caregiver{}
	for rows.Next() {
		var id int64
		var cg Caregiver
		var phone []byte
		if err := rows.Scan(&id, &cg.Name, &cg.Relation, &phone); err != nil {
			return nil, err
		}
		if cg.Phone, err = s.Keys.OpenString(sealCaregiverPhone, phone); err != nil {
			return nil, err
		}
		out[id] = append(out[id], cg)
	}
	return out, rows.Err()
}
