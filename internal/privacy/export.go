package privacy

import (
	"context"
	"errors"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/children"
	"treem/internal/errs"
	"treem/internal/hotline"
	"treem/internal/store"
)

// Export is everything treem holds about a child, for a subject-access
// request (Nghị định 13/2023, Điều 14): the record and every change to
// it, the caregivers, the help received, the legal basis and consents,
// the hotline contacts that name the child, and who read or changed the
// record (the audit entries about it).
type Export struct {
	GeneratedAt time.Time          `json:"generated_at"`
	GeneratedBy string             `json:"generated_by"`
	Child       children.Child     `json:"child"`
	Duplicates  []children.Child   `json:"duplicates"` // records of the same child merged into it
	History     []children.Event   `json:"history"`
	Supports    []children.Support `json:"supports"`
	Consents    []Consent          `json:"consents"`
	Contacts    []*hotline.Contact `json:"hotline_contacts"`
	Access      []audit.Entry      `json:"access"`
	AccessTotal int                `json:"access_total"`
	Erasure     *Erasure           `json:"erasure,omitempty"`
}

// maxAccess bounds the audit entries an export lists (the newest); the
// total says how many there are.
const maxAccess = 500

// ExportChild gathers everything held about a child the principal may
// see, and audits the export (the export is refused if it cannot be
// audited).
func (s *Service) ExportChild(ctx context.Context, by *auth.Principal, childID int64) (Export, error) {
	if by != nil && !by.Can(auth.PermPersonalData) {
		return Export{}, errs.Forbidden()
	}
	c, err := s.child(ctx, by, childID)
	if err != nil {
		return Export{}, err
	}
	sub, err := s.Children.SubjectData(ctx, c)
	if err != nil {
		return Export{}, err
	}
	out := Export{GeneratedAt: s.Now(), GeneratedBy: audit.ActorFrom(ctx).Name, Child: sub.Child,
		History: sub.History, Supports: sub.Supports, Contacts: []*hotline.Contact{}}
	out.Duplicates = []children.Child{}
	for _, m := range c.Merged {
		d, err := s.Children.Visible(ctx, nil, m)
		if err != nil {
			return Export{}, err
		}
		out.Duplicates = append(out.Duplicates, d)
	}
	if out.Consents, err = s.consents(ctx, s.DB.Read(), childID); err != nil {
		return Export{}, err
	}
	ids := append([]int64{childID}, c.Merged...)
	if s.Hotline != nil {
		for _, id := range ids {
			cs, err := s.Hotline.AboutChild(ctx, id)
			if err != nil {
				return Export{}, err
			}
			out.Contacts = append(out.Contacts, cs...)
		}
	}
	for _, id := range ids {
		entries, total, err := s.Audit.List(ctx, audit.Filter{RecordType: "child", RecordID: itoa(id), Limit: maxAccess})
		if err != nil {
			return Export{}, err
		}
		out.Access = append(out.Access, entries...)
		out.AccessTotal += total
	}
	if out.Access == nil {
		out.Access = []audit.Entry{}
	}
	if e, err := s.ErasureOf(ctx, "child", childID); err == nil {
		out.Erasure = &e
	} else if !errors.Is(err, store.ErrNotFound) {
		return Export{}, err
	}
	if err := s.Audit.Record(ctx, audit.Event{Action: "personal_data.export", RecordType: "child", RecordID: itoa(childID),
		Detail: "contacts=" + itoa(int64(len(out.Contacts)))}); err != nil {
		return Export{}, err
	}
	return out, nil
}
