package indicators

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

// IndicatorEdit is a new version of an indicator's definition, with a
// note saying why.
type IndicatorEdit struct {
	Indicator
	Note string `json:"note"`
}

// Versions lists the stored versions of a definition.
func (s *Service) Versions(ctx context.Context, kind, code string) ([]DefVersion, error) {
	return readVersions(ctx, s.db.Read(), kind, code)
}

// UpdateIndicator saves a new version of an indicator (administrators):
// the current one is closed, not changed, so figures published under it
// can be explained later. Only settings editors may; every problem is
// reported at once.
func (s *Service) UpdateIndicator(ctx context.Context, by *auth.Principal, code string, in IndicatorEdit) (*Indicator, error) {
	if !by.Can(auth.PermSettings) {
		return nil, errs.Forbidden()
	}
	cat := s.Catalogue()
	cur, ok := cat.Indicator(code)
	if !ok {
		return nil, errs.NotFound("indicator")
	}
	ind := in.Indicator
	ind.Code = code
	if err := cat.checkIndicator(&ind); err != nil {
		if e := errs.As(err); strings.TrimSpace(in.Note) == "" {
			e.Field("note", "indicators.required")
		}
		return nil, err
	}
	if strings.TrimSpace(in.Note) == "" {
		return nil, errs.Validation().Field("note", "indicators.required")
	}
	ind.Version = cur.Version + 1
	raw, err := json.Marshal(ind)
	if err != nil {
		return nil, err
	}
	now := s.now().UnixMilli()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE indicator_defs SET valid_to = $1 WHERE kind = 'indicator' AND code = $2 AND version = $3 AND valid_to = 0`,
			now, code, cur.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict("indicators.stale")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_defs (kind, code, version, body, valid_from, changed_by, changed_by_name, note)
			VALUES ('indicator', $1, $2, $3, $4, $5, $6, $7)`, code, ind.Version, string(raw), now, by.UserID, by.Username, strings.TrimSpace(in.Note)); err != nil {
			return fmt.Errorf("save indicator %s: %w", code, err)
		}
		return s.audit.Append(ctx, tx, audit.Event{Action: "indicator.update", RecordType: "indicator", RecordID: code,
			Detail: fmt.Sprintf("version=%d", ind.Version)})
	})
	if err != nil {
		return nil, err
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	out, _ := s.Catalogue().Indicator(code)
	return out, nil
}

// Reload reads the catalogue again (after an edit, on this instance) and
// recomputes the roll-ups if the measures changed.
func (e *Engine) Reload(ctx context.Context) error {
	cat, err := readCatalogue(ctx, e.db.Read())
	if err != nil {
		return err
	}
	old := e.Catalogue()
	if cat.fingerprint() == old.fingerprint() {
		e.mu.Lock()
		e.st.cat = cat
		for _, c := range e.st.calcs {
			c.cat = cat
		}
		e.mu.Unlock()
		return nil
	}
	return e.rebuildWith(ctx, cat)
}
