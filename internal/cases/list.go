package cases

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

// Filter selects cases for a list.
type Filter struct {
	Step    string // a step code, "open" (any but closed and transferred) or ""
	Overdue bool   // only cases with an open deadline past due (one row per such deadline)
	Unit    string // a province or commune code inside the caller's scope
	Mine    bool   // assigned to the caller
	Limit   int
	Cursor  string
}

// Item is a case in a list: no names, no narrative.
type Item struct {
	ID           int64     `json:"id"`
	Number       string    `json:"number"`
	Commune      string    `json:"commune"`
	Province     string    `json:"province"`
	Step         string    `json:"step"`
	Risk         string    `json:"risk"`
	AbuseForms   []string  `json:"abuse_forms"`
	AssignedTo   int64     `json:"assigned_to,omitempty"`
	Confidential bool      `json:"confidential"`
	ReceivedAt   time.Time `json:"received_at"`
	Due          *Due      `json:"due,omitempty"` // the next open deadline (the overdue one in an overdue list)
}

// Due is a deadline in a list.
type Due struct {
	What    string    `json:"what"`
	DueAt   time.Time `json:"due_at"`
	Overdue bool      `json:"overdue"`
}

// Page is a page of a list.
type Page struct {
	Items []Item
	Total int
	Next  string
}

const itemCols = `c.id, c.number, c.commune, c.province, c.step, c.risk, c.abuse_forms, c.assigned_to, c.confidential, c.received_at`

// List lists the cases in the caller's scope. Overdue lists read the open
// deadlines by unit or assignee (partial indexes on case_deadlines).
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (Page, error) {
	v := errs.Validation()
	if f.Step != "" && f.Step != "open" && !ValidStep(f.Step) {
		v.Field("step", "cases.step_invalid", "code", f.Step, "valid", "open, "+list(Steps))
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > 500 {
		v.Field("limit", "cases.limit_invalid")
	}
	offset := 0
	if f.Cursor != "" {
		n, err := strconv.Atoi(f.Cursor)
		if err != nil || n < 0 {
			v.Field("next", "cases.cursor_invalid")
		}
		offset = n
	}
	if err := v.OrNil(); err != nil {
		return Page{}, err
	}
	sc := auth.Scope{}
	if p != nil {
		sc = p.Scope()
	}
	if f.Unit != "" {
		u, ok := s.Units.Get(f.Unit)
		if !ok || (p != nil && !p.Sees(u.Code)) {
			return Page{}, errs.NotFound("unit")
		}
		if len(u.Code) == 2 {
			sc = auth.Scope{Province: u.Code}
		} else {
			sc = auth.Scope{Province: u.Province, Commune: u.Code}
		}
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	now := store.Millis(s.Now())
	var from, order, dueCols string
	if f.Overdue {
		from = `case_deadlines d JOIN cases c ON c.id = d.case_id`
		dueCols = `d.what, d.due_at`
		where = append(where, `d.done_at IS NULL`, `d.due_at < `+arg(now))
		switch {
		case f.Mine && p != nil:
			where = append(where, `d.assigned_to = `+arg(p.UserID))
		case sc.Commune != "":
			where = append(where, `d.commune = `+arg(sc.Commune))
		case sc.Province != "":
			where = append(where, `d.province = `+arg(sc.Province))
		}
		if f.Mine && p != nil && sc.Province != "" {
			where = append(where, `d.province = `+arg(sc.Province))
		}
		order = `d.due_at, d.id`
	} else {
		from = `cases c`
		dueCols = `(SELECT MIN(x.what) FROM case_deadlines x WHERE x.case_id = c.id AND x.done_at IS NULL AND x.due_at = (SELECT MIN(y.due_at) FROM case_deadlines y WHERE y.case_id = c.id AND y.done_at IS NULL)),
			(SELECT MIN(y.due_at) FROM case_deadlines y WHERE y.case_id = c.id AND y.done_at IS NULL)`
		switch {
		case sc.Commune != "":
			where = append(where, `c.commune = `+arg(sc.Commune))
		case sc.Province != "":
			where = append(where, `c.province = `+arg(sc.Province))
		}
		if f.Mine && p != nil {
			where = append(where, `c.assigned_to = `+arg(p.UserID))
		}
		order = `c.received_at DESC, c.id DESC`
	}
	// The count of an overdue list without a step filter reads the
	// deadlines' index alone.
	countFrom, countCond := from, ""
	if f.Overdue && f.Step == "" {
		countFrom = `case_deadlines d`
	}
	switch f.Step {
	case "":
	case "open":
		where = append(where, `c.step <> 'closed'`, `c.step <> 'transferred'`)
	case StepClosed, StepTransferred:
		where = append(where, `c.step = `+arg(f.Step))
	default:
		// The open terms let the open-cases indexes serve the query.
		where = append(where, `c.step = `+arg(f.Step), `c.step <> 'closed'`, `c.step <> 'transferred'`)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	countCond = cond
	q := s.DB.Read()
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+countFrom+countCond, args...).Scan(&total); err != nil {
		return Page{}, err
	}
	lim := arg(f.Limit + 1)
	off := arg(offset)
	rows, err := q.QueryContext(ctx, `SELECT `+itemCols+`, `+dueCols+` FROM `+from+cond+` ORDER BY `+order+
		` LIMIT `+lim+` OFFSET `+off, args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	page := Page{Items: []Item{}, Total: total}
	for rows.Next() {
		var it Item
		var forms string
		var assigned, dueAt sql.NullInt64
		var what sql.NullString
		var conf int
		var received int64
		if err := rows.Scan(&it.ID, &it.Number, &it.Commune, &it.Province, &it.Step, &it.Risk, &forms, &assigned, &conf,
			&received, &what, &dueAt); err != nil {
			return Page{}, err
		}
		it.AbuseForms, it.AssignedTo, it.Confidential, it.ReceivedAt = splitList(forms), assigned.Int64, conf != 0, store.Time(received)
		if dueAt.Valid {
			it.Due = &Due{What: what.String, DueAt: store.Time(dueAt.Int64), Overdue: dueAt.Int64 < now}
		}
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		page.Next = strconv.Itoa(offset + f.Limit)
	}
	return page, nil
}
