package children

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"treem/internal/ident"
	"treem/internal/seal"
	"treem/internal/store"
	"treem/internal/vntext"
)

// Seal contexts: what each sealed column holds.
const (
	sealPhone          = "children.phone"
	sealNotes          = "children.notes"
	sealCaregiverPhone = "children.caregiver_phone"
	sealHistory        = "children.history"
	sealSupportNote    = "supports.note"
	sealImportReport   = "child_imports.report"
	sealImportRejects  = "child_imports.rejects"
	lookupPhone        = "phone" // keyed hashes of normalised phone numbers
)

// SealedColumns are the registry's encrypted columns, for key rotation.
var SealedColumns = []seal.Column{
	{Table: "children", Key: "id", Column: "phone", Context: sealPhone},
	{Table: "children", Key: "id", Column: "notes", Context: sealNotes},
	{Table: "child_caregivers", Key: "id", Column: "phone", Context: sealCaregiverPhone},
	{Table: "child_history", Key: "id", Column: "changes", Context: sealHistory},
	{Table: "supports", Key: "id", Column: "note", Context: sealSupportNote},
	{Table: "child_imports", Key: "id", Column: "report", Context: sealImportReport},
	{Table: "child_imports", Key: "id", Column: "rejects", Context: sealImportRejects},
}

const childCols = `id, name, dob_on, dob_estimated, sex, ethnicity, pid, commune_code, province_code,
	old_commune_code, address, phone, phone_hash, risks, disability_type, disability_level, school_status,
	insurance_card, notes, version, merged_into, created_at, created_by, updated_at, updated_by, import_id`

type scanner interface{ Scan(...any) error }

// scanChild reads childCols and opens the sealed fields.
func (s *Service) scanChild(row scanner) (Child, error) {
	var c Child
	var dob, created, updated int64
	var sex, risks string
	var phone, notes []byte
	var merged, importID sql.NullInt64
	err := row.Scan(&c.ID, &c.Name, &dob, &c.DOBEstimated, &sex, &c.Ethnicity, &c.PID, &c.Commune, &c.Province,
		&c.OldCommune, &c.Address, &phone, &c.phoneHash, &risks, &c.DisabilityType, &c.DisabilityLevel,
		&c.SchoolStatus, &c.InsuranceCard, &notes, &c.Version, &merged, &created, &c.createdBy, &updated, &c.updatedBy,
		&importID)
	if err != nil {
		return c, store.NoRows(err)
	}
	c.DOB = numDate(int(dob), c.DOBEstimated)
	c.Sex, _ = ident.ParseSex(sex)
	if risks != "" {
		c.Risks = strings.Split(risks, ",")
	}
	c.MergedInto, c.importID = merged.Int64, importID.Int64
	c.CreatedAt, c.UpdatedAt = store.Time(created), store.Time(updated)
	if c.Phone, err = s.Keys.OpenString(sealPhone, phone); err != nil {
		return c, fmt.Errorf("child %d: open phone: %w", c.ID, err)
	}
	if c.Notes, err = s.Keys.OpenString(sealNotes, notes); err != nil {
		return c, fmt.Errorf("child %d: open notes: %w", c.ID, err)
	}
	return c, nil
}

// load reads a child with its caregivers, groups and merged duplicates.
func (s *Service) load(ctx context.Context, q store.Queryer, id int64) (Child, error) {
	c, err := s.scanChild(q.QueryRowContext(ctx, "SELECT "+childCols+" FROM children WHERE id = $1", id))
	if err != nil {
		return c, err
	}
	rows, err := q.QueryContext(ctx, `SELECT name, relation, phone FROM child_caregivers WHERE child_id = $1 ORDER BY position`, id)
	if err != nil {
		return c, fmt.Errorf("load caregivers: %w", err)
	}
	for rows.Next() {
		var cg Caregiver
		var phone []byte
		if err := rows.Scan(&cg.Name, &cg.Relation, &phone); err != nil {
			rows.Close()
			return c, err
		}
		if cg.Phone, err = s.Keys.OpenString(sealCaregiverPhone, phone); err != nil {
			rows.Close()
			return c, fmt.Errorf("child %d: open caregiver phone: %w", id, err)
		}
		c.Caregivers = append(c.Caregivers, cg)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, err
	}
	if c.Periods, err = s.loadPeriods(ctx, q, []int64{id}); err != nil {
		return c, err
	}
	c.Groups = currentGroups(c.Periods, s.today())
	c.Caregivers, c.Groups, c.Periods, c.Risks = orEmpty(c.Caregivers), orEmpty(c.Groups), orEmpty(c.Periods), orEmpty(c.Risks)
	rows, err = q.QueryContext(ctx, `SELECT id FROM children WHERE merged_into = $1 ORDER BY id`, id)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var m int64
		if err := rows.Scan(&m); err != nil {
			return c, err
		}
		c.Merged = append(c.Merged, m)
	}
	return c, rows.Err()
}

func (s *Service) loadPeriods(ctx context.Context, q store.Queryer, ids []int64) ([]GroupPeriod, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, child_id, code, subgroup, start_on, end_on, recorded_by_name, recorded_at
		FROM child_groups WHERE child_id IN (`+s.params(1, len(ids))+`) ORDER BY start_on, id`, int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	defer rows.Close()
	var out []GroupPeriod
	for rows.Next() {
		var p GroupPeriod
		var start, end int
		var at int64
		if err := rows.Scan(&p.ID, &p.childID, &p.Code, &p.Subgroup, &start, &end, &p.RecordedBy, &at); err != nil {
			return nil, err
		}
		p.Start, p.End, p.RecordedAt = numDate(start, false), numDate(end, false), store.Time(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// orEmpty makes a nil slice empty, so that JSON shows [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// params returns "$from, $from+1, …" for a list of n values, the last
// parameters of a statement. On SQLite it writes plain "?" (numbered in
// order, after the $N before them): SQLite keeps $N parameters by name in a
// list it searches for each one, which makes long lists quadratic to parse
// and to bind.
func (s *Service) params(from, n int) string {
	if s.DB.Engine == store.SQLite {
		return strings.Repeat("?, ", n-1) + "?"
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// sealed is a child's fields as stored: sealed and hashed.
type sealed struct {
	phone, phoneHash, notes []byte
	caregiverPhones         [][]byte
	caregiverHashes         [][]byte
}

func (s *Service) seal(c Child) (sealed, error) {
	var out sealed
	var err error
	if out.phone, err = s.Keys.SealString(sealPhone, c.Phone); err != nil {
		return out, err
	}
	out.phoneHash = s.phoneLookup(contactPhone(c))
	if out.notes, err = s.Keys.SealString(sealNotes, c.Notes); err != nil {
		return out, err
	}
	for _, cg := range c.Caregivers {
		p, err := s.Keys.SealString(sealCaregiverPhone, cg.Phone)
		if err != nil {
			return out, err
		}
		var h []byte
		if cg.Phone != "" {
			h = s.Keys.Lookup(lookupPhone, cg.Phone)
		}
		out.caregiverPhones = append(out.caregiverPhones, p)
		out.caregiverHashes = append(out.caregiverHashes, h)
	}
	return out, nil
}

const insertChild = `INSERT INTO children (name, name_folded, name_key, dob_on, dob_estimated, sex, ethnicity, pid,
	commune_code, province_code, old_commune_code, address, phone, phone_hash, risks, disability_type,
	disability_level, school_status, insurance_card, notes, groups_mask, version, source_fp, created_at,
	created_by, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 1, $22,
	$23, $24, $23, $24)
RETURNING id`

// childArgs are the values of insertChild's $1…$21.
func (s *Service) childArgs(c Child, sl sealed) []any {
	return []any{c.Name, vntext.Fold(c.Name), vntext.NameSortKey(c.Name), dateNum(c.DOB), c.DOB.Estimated,
		c.Sex.String(), c.Ethnicity, c.PID, c.Commune, c.Province, c.OldCommune, c.Address, sl.phone, sl.phoneHash,
		strings.Join(c.Risks, ","), c.DisabilityType, c.DisabilityLevel, c.SchoolStatus, c.InsuranceCard, sl.notes,
		int64(groupsMask(c.Periods, s.today()))}
}

// insert writes a new child with its caregivers and groups and returns its id.
func (s *Service) insert(ctx context.Context, tx *store.Tx, c Child, by int64, byName string, fp []byte, at time.Time) (int64, error) {
	sl, err := s.seal(c)
	if err != nil {
		return 0, err
	}
	args := append(s.childArgs(c, sl), nullBytes(fp), store.Millis(at), by)
	var id int64
	if err := tx.QueryRowContext(ctx, insertChild, args...).Scan(&id); err != nil {
		return 0, fmt.Errorf("insert child: %w", err)
	}
	if err := s.writeCaregivers(ctx, tx, id, c, sl); err != nil {
		return 0, err
	}
	for _, p := range c.Periods {
		if err := s.insertPeriod(ctx, tx, id, p, by, byName, at); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func (s *Service) writeCaregivers(ctx context.Context, tx *store.Tx, id int64, c Child, sl sealed) error {
	for i, cg := range c.Caregivers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO child_caregivers (child_id, position, name, relation, phone, phone_hash)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, i, cg.Name, cg.Relation, sl.caregiverPhones[i], sl.caregiverHashes[i]); err != nil {
			return fmt.Errorf("insert caregiver: %w", err)
		}
	}
	return nil
}

func (s *Service) insertPeriod(ctx context.Context, tx *store.Tx, child int64, p GroupPeriod, by int64, byName string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO child_groups (child_id, origin_child_id, code, subgroup, start_on, end_on,
		recorded_by, recorded_by_name, recorded_at) VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8)`,
		child, p.Code, p.Subgroup, dateNum(p.Start), dateNum(p.End), by, byName, store.Millis(at))
	if err != nil {
		return fmt.Errorf("insert group: %w", err)
	}
	return nil
}

// errVersion is returned inside a write when the record changed since it
// was read.
var errVersion = errors.New("child changed since it was read")

// update writes c over the stored child whose version is still version.
func (s *Service) update(ctx context.Context, tx *store.Tx, old, c Child, version int, by int64, byName string, at time.Time) error {
	sl, err := s.seal(c)
	if err != nil {
		return err
	}
	args := append(s.childArgs(c, sl), store.Millis(at), by, c.ID, version)
	res, err := tx.ExecContext(ctx, `UPDATE children SET name = $1, name_folded = $2, name_key = $3, dob_on = $4,
		dob_estimated = $5, sex = $6, ethnicity = $7, pid = $8, commune_code = $9, province_code = $10,
		old_commune_code = $11, address = $12, phone = $13, phone_hash = $14, risks = $15, disability_type = $16,
		disability_level = $17, school_status = $18, insurance_card = $19, notes = $20, groups_mask = $21,
		version = version + 1, updated_at = $22, updated_by = $23
		WHERE id = $24 AND version = $25`, args...)
	if err != nil {
		return fmt.Errorf("update child: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errVersion
	}
	if !caregiversEqual(old.Caregivers, c.Caregivers) {
		if _, err := tx.ExecContext(ctx, "DELETE FROM child_caregivers WHERE child_id = $1", c.ID); err != nil {
			return err
		}
		if err := s.writeCaregivers(ctx, tx, c.ID, c, sl); err != nil {
			return err
		}
	}
	for i, p := range c.Periods {
		if p.ID == 0 {
			if err := s.insertPeriod(ctx, tx, c.ID, p, by, byName, at); err != nil {
				return err
			}
			continue
		}
		if i < len(old.Periods) && old.Periods[i] == p {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE child_groups SET subgroup = $1, start_on = $2, end_on = $3 WHERE id = $4`,
			p.Subgroup, dateNum(p.Start), dateNum(p.End), p.ID); err != nil {
			return fmt.Errorf("update group: %w", err)
		}
	}
	return nil
}

func caregiversEqual(a, b []Caregiver) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// addHistory records a change of a child; changes (field → [from, to]) are
// sealed.
func (s *Service) addHistory(ctx context.Context, tx *store.Tx, child int64, version int, action string, fields []string,
	changes map[string][2]any, by int64, byName string, at time.Time) error {
	var sealedChanges []byte
	if len(changes) > 0 {
		raw, err := json.Marshal(changes)
		if err != nil {
			return err
		}
		if sealedChanges, err = s.Keys.Seal(sealHistory, raw); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO child_history (child_id, version, at, by_id, by_name, action, fields, changes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, child, version, store.Millis(at), by, byName, action,
		strings.Join(fields, ","), sealedChanges)
	if err != nil {
		return fmt.Errorf("insert history: %w", err)
	}
	return nil
}
