package children

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

// newImport makes the child_imports row of an import.
func (s *Service) newImport(ctx context.Context, by *auth.Principal, name string, data []byte, skip bool) (int64, error) {
	sum := sha256.Sum256(data)
	byID, byName := actor(ctx, by)
	unit := ""
	if by != nil {
		unit = by.Unit
	}
	now := store.Millis(s.Now())
	var id int64
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO child_imports (file_name, file_hash, state, phase, skip_invalid, by_id,
			by_name, unit_code, created_at, updated_at) VALUES ($1, $2, 'running', 'reading', $3, $4, $5, $6, $7, $7) RETURNING id`,
			name, sum[:], skip, byID, byName, unit, now).Scan(&id); err != nil {
			return fmt.Errorf("new import: %w", err)
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "children.import.start", RecordType: "child_import",
			RecordID: idStr(id), Detail: fmt.Sprintf("bytes=%d skip_invalid=%t", len(data), skip)})
	})
	return id, err
}

// finishImport stores the outcome of an import.
func (s *Service) finishImport(ctx context.Context, rep ImportReport, cause error) error {
	raw, err := json.Marshal(struct {
		Problems      []Problem      `json:"problems"`
		DuplicateRows []DuplicateRow `json:"duplicate_rows"`
	}{rep.Problems, rep.DuplicateRows})
	if err != nil {
		return err
	}
	report, err := s.Keys.Seal(sealImportReport, raw)
	if err != nil {
		return err
	}
	rej, err := s.Keys.Seal(sealImportRejects, rep.Rejects)
	if err != nil {
		return err
	}
	msg := ""
	if cause != nil {
		msg = errs.As(cause).Key
	}
	now := store.Millis(s.Now())
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE child_imports SET state = $1, phase = 'done', total_rows = $2, processed = $2,
			imported = $3, existing = $4, duplicates = $5, invalid = $6, encoding = $7, report = $8, rejects = $9,
			updated_at = $10, finished_at = $10, error = $11 WHERE id = $12`, rep.State, rep.Rows, rep.Imported, rep.Existing,
			rep.Duplicates, rep.Invalid, rep.Encoding, report, rej, now, msg, rep.ID); err != nil {
			return fmt.Errorf("finish import: %w", err)
		}
		return s.Audit.Append(ctx, tx, audit.Event{Action: "children.import", RecordType: "child_import", RecordID: idStr(rep.ID),
			Outcome: map[bool]string{true: audit.OK, false: audit.Failed}[rep.State == "done"],
			Detail: fmt.Sprintf("state=%s rows=%d imported=%d existing=%d duplicates=%d invalid=%d", rep.State, rep.Rows,
				rep.Imported, rep.Existing, rep.Duplicates, rep.Invalid)})
	})
}

// StartImport records an import and runs it in the background; its
// progress and outcome are kept in the database, so that any instance can
// show them (ImportStatus).
func (s *Service) StartImport(ctx context.Context, by *auth.Principal, data []byte, opt ImportOptions) (int64, error) {
	if !can(by, auth.PermChildImport) {
		return 0, errs.Forbidden()
	}
	id, err := s.newImport(ctx, by, opt.FileName, data, opt.SkipInvalid)
	if err != nil {
		return 0, err
	}
	opt.ImportID = id
	bg := context.WithoutCancel(ctx)
	var last time.Time
	opt.Progress = func(p Progress) {
		// The writing phase reports in its own transactions.
		if p.Phase != "checking" || time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		s.DB.Write(bg, func(tx *store.Tx) error {
			_, err := tx.ExecContext(bg, `UPDATE child_imports SET phase = $1, processed = $2, total_rows = $3, updated_at = $4
				WHERE id = $5`, p.Phase, p.Done, p.Total, store.Millis(s.Now()), id)
			return err
		})
	}
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		if _, err := s.Import(bg, by, data, opt); err != nil && errs.As(err).Status >= 500 {
			s.Log.Error("import failed", "import", id, "err", err.Error())
		}
	}()
	return id, nil
}

// Wait waits for the background imports to finish.
func (s *Service) Wait() { s.jobs.Wait() }

const importCols = `id, file_name, state, phase, total_rows, processed, imported, existing, duplicates, invalid, encoding,
	by_id, by_name, unit_code, created_at, finished_at`

// scanImport reads importCols, then any extra columns into extra.
func scanImport(sc scanner, extra ...any) (ImportReport, int64, error) {
	var r ImportReport
	var byID, created, finished int64
	var unit string
	dest := append([]any{&r.ID, &r.FileName, &r.State, &r.Phase, &r.Rows, &r.Done, &r.Imported, &r.Existing,
		&r.Duplicates, &r.Invalid, &r.Encoding, &byID, &r.By, &unit, &created, &finished}, extra...)
	err := sc.Scan(dest...)
	r.CreatedAt, r.FinishedAt = store.Time(created), store.Time(finished)
	return r, byID, store.NoRows(err)
}

// mayReadImport: the importer, and administrators.
func mayReadImport(by *auth.Principal, byID int64) bool {
	return by == nil || by.UserID == byID || by.Role == auth.Admin
}

// ImportStatus returns an import's progress, or its report once finished.
func (s *Service) ImportStatus(ctx context.Context, by *auth.Principal, id int64) (ImportReport, error) {
	var report []byte
	r, byID, err := scanImport(s.DB.Read().QueryRowContext(ctx, "SELECT "+importCols+", report FROM child_imports WHERE id = $1", id), &report)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !mayReadImport(by, byID)) {
		return r, errs.NotFound("child_import")
	}
	if err != nil {
		return r, err
	}
	r.Problems, r.DuplicateRows = []Problem{}, []DuplicateRow{}
	if len(report) > 0 {
		raw, err := s.Keys.Open(sealImportReport, report)
		if err != nil {
			return r, err
		}
		var rep struct {
			Problems      []Problem      `json:"problems"`
			DuplicateRows []DuplicateRow `json:"duplicate_rows"`
		}
		if err := json.Unmarshal(raw, &rep); err != nil {
			return r, err
		}
		if rep.Problems != nil {
			r.Problems = rep.Problems
		}
		if rep.DuplicateRows != nil {
			r.DuplicateRows = rep.DuplicateRows
		}
	}
	return r, nil
}

// ImportRejects returns the rows an import did not take, with their
// reasons, as CSV. The download is audited: the rows are personal data.
func (s *Service) ImportRejects(ctx context.Context, by *auth.Principal, id int64) ([]byte, error) {
	var byID int64
	var sealedRejects []byte
	err := s.DB.Read().QueryRowContext(ctx, "SELECT by_id, rejects FROM child_imports WHERE id = $1", id).Scan(&byID, &sealedRejects)
	if errors.Is(store.NoRows(err), store.ErrNotFound) || (err == nil && !mayReadImport(by, byID)) {
		return nil, errs.NotFound("child_import")
	}
	if err != nil {
		return nil, err
	}
	raw, err := s.Keys.Open(sealImportRejects, sealedRejects)
	if err != nil {
		return nil, err
	}
	if err := s.Audit.Record(ctx, audit.Event{Action: "children.import.rejects", RecordType: "child_import",
		RecordID: idStr(id), Detail: fmt.Sprintf("bytes=%d", len(raw))}); err != nil {
		return nil, err
	}
	return raw, nil
}

// Imports lists the principal's recent imports (all of them for an
// administrator), newest first.
func (s *Service) Imports(ctx context.Context, by *auth.Principal, limit int) ([]ImportReport, error) {
	q := "SELECT " + importCols + " FROM child_imports"
	var args []any
	if by != nil && by.Role != auth.Admin {
		q += " WHERE by_id = $1"
		args = append(args, by.UserID)
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", limit)
	var out []ImportReport
	err := s.scan(ctx, q, args, func(sc scanner) error {
		r, _, err := scanImport(sc)
		out = append(out, r)
		return err
	})
	return out, err
}

// FailStaleImports marks as failed the imports left running by an
// instance that stopped.
func (s *Service) FailStaleImports(ctx context.Context, olderThan time.Duration) error {
	cut := store.Millis(s.Now().Add(-olderThan))
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE child_imports SET state = 'failed', error = 'children.import.interrupted',
			finished_at = $1 WHERE state = 'running' AND updated_at < $2`, store.Millis(s.Now()), cut)
		return err
	})
}
