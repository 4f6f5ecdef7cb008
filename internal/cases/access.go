package cases

import (
	"context"
	"errors"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/store"
)

// sees reports whether p may see the case at all: it is in p's unit (or
// is being handed to it), and p's role reads cases. nil is the system.
// Providers never see cases: they see what is referred to them.
func sees(p *auth.Principal, c *Case) bool {
	if p == nil {
		return true
	}
	if !p.Can(auth.PermCaseRead) {
		return false
	}
	return p.Sees(c.Commune) || (c.TransferTo != "" && p.Sees(c.TransferTo))
}

// visible loads a case p may see, without auditing (the caller audits).
func (s *Service) visible(ctx context.Context, q store.Queryer, p *auth.Principal, id int64) (*Case, error) {
	c, err := s.load(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(p, c)) {
		return nil, errs.NotFound("case")
	}
	if err != nil {
		return nil, err
	}
	if err := s.mask(ctx, q, p, c); err != nil {
		return nil, err
	}
	if !c.Masked {
		if c.Summary, err = s.Keys.OpenString(sealSummary, c.summary); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Get returns a case the principal may see, and audits the read (and a
// refused one). A case outside the caller's unit answers like an absent
// one. Case.Masked says whether p may see the children's names and the
// narrative.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (*Case, error) {
	c, err := s.visible(ctx, s.DB.Read(), p, id)
	if err != nil {
		if errs.Is(err, 404) {
			s.Audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "case.read", RecordType: "case",
				RecordID: itoa(id), Outcome: audit.NotFound})
		}
		return nil, err
	}
	detail := ""
	if c.Masked {
		detail = "masked"
	}
	if err := s.Audit.Record(context.WithoutCancel(ctx), audit.Event{Action: "case.read", RecordType: "case",
		RecordID: itoa(id), Detail: detail}); err != nil {
		return nil, err
	}
	return c, nil
}

// Authorize is Get for the sub-resources other areas own (referrals,
// documents, attachments): the case must be visible to p (else 404) and
// p's role must have perm (else 403).
func (s *Service) Authorize(ctx context.Context, p *auth.Principal, id int64, perm auth.Perm) (*Case, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if p != nil && !p.Can(perm) {
		return nil, errs.Forbidden()
	}
	return c, nil
}

// mask decides whether p sees the names and narrative of c: everyone does
// unless the case is confidential, in which case only the assigned
// workers and those who opened it with a stated reason (break-glass) do.
func (s *Service) mask(ctx context.Context, q store.Queryer, p *auth.Principal, c *Case) error {
	if p == nil || !c.Confidential || c.Assigned(p.UserID) {
		return nil
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_access WHERE case_id = $1 AND user_id = $2 AND until_at > $3`,
		c.ID, p.UserID, store.Millis(s.Now())).Scan(&n)
	if err != nil {
		return err
	}
	c.Masked = n == 0
	return nil
}

// SeesPerpetrator reports whether p may read the alleged perpetrator's
// details: the assigned workers and the commune's own officers who work
// on cases.
func SeesPerpetrator(p *auth.Principal, c *Case) bool {
	if p == nil {
		return true
	}
	if c.Assigned(p.UserID) {
		return true
	}
	return p.Role == auth.CommuneOfficer && p.Unit == c.Commune && p.Can(auth.PermCaseWrite)
}
