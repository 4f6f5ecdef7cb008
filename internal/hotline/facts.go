package hotline

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"treem/internal/i18n"
	"treem/internal/indicators/facts"
	"treem/internal/store"
)

// FactSourceName is the hotline's name in the indicators' change feed.
const FactSourceName = "hotline"

// FactSource describes the hotline's contacts to the indicators (package
// facts). A contact is
//
//   - one contact fact on the day it started (Vietnam time), in the commune
//     of its first child with a known commune, else the caller's commune,
//     else nowhere known (national total only); with attributes channel,
//     type (once chosen), class (data or non_data, from the type, once
//     chosen), outcome (phone calls: answered, missed, abandoned) and
//     reason (each level-1 reason recorded);
//   - one referral fact per referral, on the day it was made, in the
//     commune referred to, with attributes channel and target.
//
// Every change to a contact or its referrals calls facts.Touch in its
// transaction.
type FactSource struct{}

// Name is the source's name in the change feed.
func (FactSource) Name() string { return FactSourceName }

// Load streams every contact with its facts.
func (f FactSource) Load(ctx context.Context, q store.Queryer, each func(facts.Entity) error) error {
	return f.read(ctx, q, nil, each)
}

// Get returns the facts of the contacts with the given ids.
func (f FactSource) Get(ctx context.Context, q store.Queryer, keys []int64) ([]facts.Entity, error) {
	var out []facts.Entity
	for len(keys) > 0 {
		n := min(len(keys), 500)
		err := f.read(ctx, q, keys[:n], func(e facts.Entity) error {
			out = append(out, facts.Entity{Key: e.Key, Facts: slices.Clone(e.Facts)})
			return nil
		})
		if err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return out, nil
}

// vnDay is the day (yyyymmdd, Vietnam time) of a time in milliseconds.
func vnDay(ms int64) int32 {
	t := time.UnixMilli(ms).In(i18n.Vietnam)
	return int32(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

func inIDs(col string, ids []int64) (string, []any) {
	if ids == nil {
		return "", nil
	}
	var b strings.Builder
	args := make([]any, len(ids))
	b.WriteString(" AND " + col + " IN (")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
		args[i] = id
	}
	b.WriteString(")")
	return b.String(), args
}

// read streams contacts (all, or those named) with their facts: four
// queries ordered by contact, merged.
func (FactSource) read(ctx context.Context, q store.Queryer, ids []int64, each func(facts.Entity) error) error {
	cw, a := inIDs("c.id", ids)
	xw, _ := inIDs("contact_id", ids)
	contacts, err := q.QueryContext(ctx, `SELECT c.id, c.channel, c.started_at, c.type_code, r.data_contact, c.outcome, c.caller_commune
		FROM contacts c LEFT JOIN hotline_refs r ON r.id = c.type_ref WHERE TRUE`+cw+` ORDER BY c.id`, a...)
	if err != nil {
		return err
	}
	defer contacts.Close()
	kids, err := q.QueryContext(ctx, `SELECT contact_id, commune_code FROM contact_children WHERE commune_code <> ''`+xw+`
		ORDER BY contact_id, id`, a...)
	if err != nil {
		return err
	}
	defer kids.Close()
	reasons, err := q.QueryContext(ctx, `SELECT contact_id, top_code FROM contact_reasons WHERE TRUE`+xw+`
		ORDER BY contact_id, code`, a...)
	if err != nil {
		return err
	}
	defer reasons.Close()
	refs, err := q.QueryContext(ctx, `SELECT contact_id, commune_code, target, created_at FROM hotline_referrals WHERE TRUE`+xw+`
		ORDER BY contact_id, id`, a...)
	if err != nil {
		return err
	}
	defer refs.Close()

	var k struct {
		contact int64
		commune string
	}
	var rs struct {
		contact int64
		code    string
	}
	var rf struct {
		contact         int64
		commune, target string
		at              int64
	}
	next := func(rows interface {
		Next() bool
		Err() error
		Scan(...any) error
	}, dst ...any) (bool, error) {
		if !rows.Next() {
			return false, rows.Err()
		}
		return true, rows.Scan(dst...)
	}
	kOK, err := next(kids, &k.contact, &k.commune)
	if err != nil {
		return err
	}
	rOK, err := next(reasons, &rs.contact, &rs.code)
	if err != nil {
		return err
	}
	fOK, err := next(refs, &rf.contact, &rf.commune, &rf.target, &rf.at)
	if err != nil {
		return err
	}
	var fs []facts.Fact
	for contacts.Next() {
		var id, started int64
		var channel, typ, outcome, caller string
		var data *bool
		if err := contacts.Scan(&id, &channel, &started, &typ, &data, &outcome, &caller); err != nil {
			return err
		}
		unit := ""
		for kOK && k.contact <= id {
			if k.contact == id && unit == "" {
				unit = k.commune
			}
			if kOK, err = next(kids, &k.contact, &k.commune); err != nil {
				return err
			}
		}
		if unit == "" {
			unit = caller
		}
		day := vnDay(started)
		attrs := []facts.Attr{{Dim: "channel", Value: channel}}
		if typ != "" {
			attrs = append(attrs, facts.Attr{Dim: "type", Value: typ})
		}
		if data != nil { // the type's version says whether it is a data contact
			class := "non_data"
			if *data {
				class = "data"
			}
			attrs = append(attrs, facts.Attr{Dim: "class", Value: class})
		}
		if outcome != "" {
			attrs = append(attrs, facts.Attr{Dim: "outcome", Value: outcome})
		}
		for rOK && rs.contact <= id {
			if rs.contact == id && !slices.Contains(attrs, facts.Attr{Dim: "reason", Value: rs.code}) {
				attrs = append(attrs, facts.Attr{Dim: "reason", Value: rs.code})
			}
			if rOK, err = next(reasons, &rs.contact, &rs.code); err != nil {
				return err
			}
		}
		fs = append(fs[:0], facts.Fact{Kind: "contact", Unit: unit, On: day, Until: day, Value: 1, Attrs: attrs})
		for fOK && rf.contact <= id {
			if rf.contact == id {
				on := vnDay(rf.at)
				fs = append(fs, facts.Fact{Kind: "referral", Unit: rf.commune, On: on, Until: on, Value: 1,
					Attrs: []facts.Attr{{Dim: "channel", Value: channel}, {Dim: "target", Value: rf.target}}})
			}
			if fOK, err = next(refs, &rf.contact, &rf.commune, &rf.target, &rf.at); err != nil {
				return err
			}
		}
		if err := each(facts.Entity{Key: id, Facts: fs}); err != nil {
			return err
		}
	}
	return contacts.Err()
}

// contactUnitSQL is the commune a contact counts in (see FactSource).
const contactUnitSQL = `COALESCE((SELECT cc.commune_code FROM contact_children cc
	WHERE cc.contact_id = c.id AND cc.commune_code <> '' ORDER BY cc.id LIMIT 1), c.caller_commune)`

// CheckSQL is the plain SQL of each measure the hotline counts, for the
// indicators' verifier.
func (FactSource) CheckSQL(measure string) (string, bool) {
	switch measure {
	case "m_contacts":
		return `SELECT unit, FALSE, COUNT(*) FROM (SELECT ` + contactUnitSQL + ` AS unit FROM contacts c
			WHERE c.started_on BETWEEN $1 AND $2) x GROUP BY unit`, true
	case "m_data_contacts":
		return `SELECT unit, FALSE, COUNT(*) FROM (SELECT ` + contactUnitSQL + ` AS unit FROM contacts c
			JOIN hotline_refs r ON r.id = c.type_ref
			WHERE c.started_on BETWEEN $1 AND $2 AND r.data_contact) x GROUP BY unit`, true
	case "m_referrals":
		return `SELECT commune_code, FALSE, COUNT(*) FROM hotline_referrals WHERE created_on BETWEEN $1 AND $2
			GROUP BY commune_code`, true
	}
	return "", false
}

// factsChanged tells the indicators, in tx, that the contacts' facts may
// have changed.
func factsChanged(ctx context.Context, tx *store.Tx, at time.Time, ids ...int64) error {
	return facts.TouchMany(ctx, tx, FactSourceName, ids, store.Millis(at))
}
