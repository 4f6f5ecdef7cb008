package children

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/dates"
	"treem/internal/store"
)

// Rows per write transaction (on SQLite the other writers wait for one,
// about a second), and per multi-row INSERT on PostgreSQL.
const (
	importBatch = 10000
	insertRows  = 1000
)

// writeRows inserts the rows in big transactions, reporting progress in
// the child_imports row too (so that any instance can show it).
func (s *Service) writeRows(ctx context.Context, importID, byID int64, byName string, todo []*row, progress func(string, int, int)) (int, error) {
	written := 0
	progress("writing", 0, len(todo))
	for lo := 0; lo < len(todo); lo += importBatch {
		batch := todo[lo:min(lo+importBatch, len(todo))]
		now := s.Now()
		var recs []func()
		err := s.DB.Write(ctx, func(tx *store.Tx) error {
			recs = recs[:0]
			ids, err := s.insertBatch(ctx, tx, batch, importID, byID, byName, now)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE child_imports SET phase = 'writing', processed = $1, imported = $2,
				updated_at = $3 WHERE id = $4`, written+len(batch), written+len(batch), store.Millis(now), importID); err != nil {
				return err
			}
			for i, r := range batch {
				c := r.child
				c.ID = ids[i]
				rec := s.record(c)
				recs = append(recs, func() { s.Index.Upsert(rec) })
			}
			if err := factsChanged(ctx, tx, store.Millis(now), ids...); err != nil {
				return err
			}
			first, last := ids[0], ids[0]
			for _, id := range ids {
				first, last = min(first, id), max(last, id)
			}
			return s.Audit.Append(ctx, tx, audit.Event{Action: "child.import", RecordType: "child_import",
				RecordID: idStr(importID), Detail: fmt.Sprintf("children=%d ids=%d-%d", len(ids), first, last)})
		})
		if err != nil {
			return written, err
		}
		for _, f := range recs {
			f()
		}
		written += len(batch)
		progress("writing", written, len(todo))
	}
	return written, nil
}

// importChildCols are the columns an import writes, with childArgs' order
// for the first 21.
const importChildCols = `name, name_folded, name_key, dob_on, dob_estimated, sex, ethnicity, pid, commune_code,
	province_code, old_commune_code, address, phone, phone_hash, risks, disability_type, disability_level,
	school_status, insurance_card, notes, groups_mask, version, source_fp, import_id, created_at, created_by,
	updated_at, updated_by`

// importTuple is one row of importChildCols.
const importTuple = `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
	1, $22, $23, $24, $25, $24, $25)`

func (s *Service) importArgs(r *row, importID, at, byID int64, today dates.Date) []any {
	c := r.child
	return []any{c.Name, r.folded, r.sortKey, dateNum(c.DOB), c.DOB.Estimated, c.Sex.String(), c.Ethnicity, c.PID,
		c.Commune, c.Province, c.OldCommune, c.Address, r.sealed.phone, r.sealed.phoneHash, strings.Join(c.Risks, ","),
		c.DisabilityType, c.DisabilityLevel, c.SchoolStatus, c.InsuranceCard, r.sealed.notes,
		int64(groupsMask(c.Periods, today)), r.fp, importID, at, byID}
}

const (
	importGroupSQL = `INSERT INTO child_groups (child_id, origin_child_id, code, subgroup, start_on, end_on, recorded_by,
		recorded_by_name, recorded_at) VALUES `
	importGroupTuple = "($1, $1, $2, $3, $4, $5, $6, $7, $8)"
	importCarerSQL   = `INSERT INTO child_caregivers (child_id, position, name, relation, phone, phone_hash) VALUES `
	importCarerTuple = "($1, $2, $3, $4, $5, $6)"
)

// insertBatch inserts the rows' children, groups and caregivers and returns
// the new ids in the rows' order. A child made by an import has no history
// row of its own: its import_id names the import, which the timeline shows.
//
// SQLite runs a prepared single-row statement per row: in-process, that is
// the cheapest way in (binding thousands of values to one statement costs
// more). PostgreSQL gets multi-row statements, one round trip per thousand
// rows.
func (s *Service) insertBatch(ctx context.Context, tx *store.Tx, batch []*row, importID, byID int64, byName string, now time.Time) ([]int64, error) {
	if tx.Engine() == store.SQLite {
		return s.insertPrepared(ctx, tx, batch, importID, byID, byName, now)
	}
	at := store.Millis(now)
	today := s.today()
	ids := make([]int64, len(batch))
	byFP := make(map[string]int, len(batch))
	for i, r := range batch {
		byFP[string(r.fp)] = i
	}
	for lo := 0; lo < len(batch); lo += insertRows {
		var ins multiInsert
		ins.init("INSERT INTO children ("+importChildCols+") VALUES ", importTuple)
		for _, r := range batch[lo:min(lo+insertRows, len(batch))] {
			ins.append(s.importArgs(r, importID, at, byID, today)...)
		}
		ins.sb.WriteString(" RETURNING id, source_fp")
		rows, err := tx.QueryContext(ctx, ins.sb.String(), ins.args...)
		if err != nil {
			return nil, fmt.Errorf("import children: %w", err)
		}
		for rows.Next() {
			var id int64
			var fp []byte
			if err := rows.Scan(&id, &fp); err != nil {
				rows.Close()
				return nil, err
			}
			ids[byFP[string(fp)]] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("import children: %w", err)
		}
	}
	var groups, carers multiInsert
	groups.init(importGroupSQL, importGroupTuple)
	carers.init(importCarerSQL, importCarerTuple)
	for i, r := range batch {
		for _, p := range r.child.Periods {
			if err := groups.add(ctx, tx, ids[i], p.Code, p.Subgroup, dateNum(p.Start), dateNum(p.End), byID, byName, at); err != nil {
				return nil, err
			}
		}
		for k, cg := range r.child.Caregivers {
			if err := carers.add(ctx, tx, ids[i], k, cg.Name, cg.Relation, r.sealed.caregiverPhones[k], r.sealed.caregiverHashes[k]); err != nil {
				return nil, err
			}
		}
	}
	if err := groups.flush(ctx, tx); err != nil {
		return nil, err
	}
	return ids, carers.flush(ctx, tx)
}

func (s *Service) insertPrepared(ctx context.Context, tx *store.Tx, batch []*row, importID, byID int64, byName string, now time.Time) ([]int64, error) {
	at := store.Millis(now)
	today := s.today()
	prepare := func(q string) (*sql.Stmt, error) {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("import: prepare: %w", err)
		}
		return st, nil
	}
	// Plain ? parameters: modernc asks SQLite the name of every $N it
	// binds, a search through the statement's parameter list each time.
	child, err := prepare("INSERT INTO children (" + importChildCols + ") VALUES (" +
		strings.Repeat("?, ", 21) + "1, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return nil, err
	}
	defer child.Close()
	group, err := prepare(importGroupSQL + "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return nil, err
	}
	defer group.Close()
	var carer *sql.Stmt
	ids := make([]int64, len(batch))
	for i, r := range batch {
		res, err := child.ExecContext(ctx, append(s.importArgs(r, importID, at, byID, today), at, byID)...)
		if err != nil {
			return nil, fmt.Errorf("import child: %w", err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return nil, err
		}
		for _, p := range r.child.Periods {
			if _, err := group.ExecContext(ctx, ids[i], ids[i], p.Code, p.Subgroup, dateNum(p.Start), dateNum(p.End), byID, byName, at); err != nil {
				return nil, fmt.Errorf("import group: %w", err)
			}
		}
		for k, cg := range r.child.Caregivers {
			if carer == nil {
				if carer, err = prepare(importCarerSQL + importCarerTuple); err != nil {
					return nil, err
				}
				defer carer.Close()
			}
			if _, err := carer.ExecContext(ctx, ids[i], k, cg.Name, cg.Relation, r.sealed.caregiverPhones[k], r.sealed.caregiverHashes[k]); err != nil {
				return nil, fmt.Errorf("import caregiver: %w", err)
			}
		}
	}
	return ids, nil
}

// multiInsert gathers rows for one INSERT … VALUES (…), (…) statement (on
// PostgreSQL). A tuple is written with $1…$n for one row's values; append
// numbers them on.
type multiInsert struct {
	mark  byte
	head  string
	parts []string // the tuple's text between placeholders
	nums  []int    // the placeholder after each part (0 after the last)
	per   int
	sb    strings.Builder
	args  []any
	rows  int
}

func (m *multiInsert) init(head, tuple string) {
	m.head = head
	for {
		i := strings.IndexByte(tuple, '$')
		if i < 0 {
			m.parts, m.nums = append(m.parts, tuple), append(m.nums, 0)
			return
		}
		j := i + 1
		for j < len(tuple) && tuple[j] >= '0' && tuple[j] <= '9' {
			j++
		}
		k, _ := strconv.Atoi(tuple[i+1 : j])
		m.parts, m.nums = append(m.parts, tuple[:i]), append(m.nums, k)
		m.per = max(m.per, k)
		tuple = tuple[j:]
	}
}

func (m *multiInsert) add(ctx context.Context, tx *store.Tx, vals ...any) error {
	m.append(vals...)
	if len(m.args)+m.per > 30000 {
		return m.flush(ctx, tx)
	}
	return nil
}

// append adds a row without flushing.
func (m *multiInsert) append(vals ...any) {
	if m.rows > 0 {
		m.sb.WriteString(", ")
	} else {
		m.sb.WriteString(m.head)
	}
	n := len(m.args)
	for i, p := range m.parts {
		m.sb.WriteString(p)
		if k := m.nums[i]; k > 0 {
			m.sb.WriteByte('$')
			m.sb.WriteString(strconv.Itoa(n + k))
		}
	}
	m.args = append(m.args, vals...)
	m.rows++
}

func (m *multiInsert) flush(ctx context.Context, tx *store.Tx) error {
	if m.rows == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, m.sb.String(), m.args...)
	m.sb.Reset()
	m.args, m.rows = m.args[:0], 0
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}
