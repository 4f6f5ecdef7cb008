package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/cases"
	"treem/internal/errs"
	"treem/internal/forms"
)

// casePrintForm answers GET /cases/{id}/forms/{n}: Mẫu số n (1–7) filled
// from the case, as a print-friendly page, or as PDF when n ends in .pdf
// (/cases/12/forms/04.pdf). Reading the case is audited as a read, and the
// document as an export.
func (s *Server) casePrintForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.fail(w, r, errs.NotFound("case"))
			return
		}
		raw := r.PathValue("n")
		pdf := strings.HasSuffix(raw, ".pdf")
		n, err := strconv.Atoi(strings.TrimSuffix(raw, ".pdf"))
		if err != nil || n < 1 || n > 7 {
			s.fail(w, r, errs.NotFoundKey("forms.unknown"))
			return
		}
		p := auth.From(r.Context())
		c, err := s.Cases.Authorize(r.Context(), p, id, auth.PermCaseRead)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		doc, err := s.fillForm(r.Context(), p, c, n)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		format := "html"
		if pdf {
			format = "pdf"
		}
		if err := s.Audit.Record(background(r), audit.Event{Action: "case.form", RecordType: "case", RecordID: strconv.FormatInt(id, 10),
			Detail: fmt.Sprintf("form=%02d format=%s", n, format)}); err != nil {
			s.fail(w, r, err)
			return
		}
		if pdf {
			var buf bytes.Buffer
			if err := forms.WritePDF(&buf, doc); err != nil {
				s.fail(w, r, errs.Internal(err))
				return
			}
			h := w.Header()
			h.Set("Content-Type", "application/pdf")
			h.Set("Content-Length", strconv.Itoa(buf.Len()))
			h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="mau-so-%02d-%s.pdf"`, n, c.Number))
			w.Write(buf.Bytes())
			return
		}
		frag, err := forms.Fragment(doc)
		if err != nil {
			s.fail(w, r, errs.Internal(err))
			return
		}
		s.render(w, r, http.StatusOK, "case_document", "referrals.form_title", map[string]any{"Case": c, "Form": frag, "No": n,
			"PDF": fmt.Sprintf("/cases/%d/forms/%02d.pdf", c.ID, n), "Numbers": forms.Numbers, "Code": doc.Code(), "Title": forms.Titles[n]}, nil)
	})
}

// fillForm builds Mẫu số n from the case and its records. A confidential
// case the caller may not see in full prints without names or narrative;
// the alleged perpetrator only for those who may read it.
func (s *Server) fillForm(ctx context.Context, p *auth.Principal, c *cases.Case, n int) (forms.Document, error) {
	det, err := s.Cases.Details(ctx, p, c)
	if err != nil {
		return forms.Document{}, err
	}
	commune := c.Commune
	if u, ok := s.Units.Get(c.Commune); ok {
		commune = u.FullName
	}
	head := forms.Header{Authority: "ỦY BAN NHÂN DÂN " + strings.ToUpper(commune), Place: strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(commune, "Xã "), "Phường "), "Đặc khu "),
		Date: s.Now(), CaseNumber: c.Number}
	kids := s.formChildren(ctx, c)
	switch n {
	case 1:
		m := forms.MauSo01{Header: head, ReceivedAt: c.ReceivedAt, Channel: forms.Label(forms.SourceLabels, c.Source), Children: kids}
		for _, a := range c.AbuseForms {
			m.AbuseForms = append(m.AbuseForms, forms.Label(forms.AbuseLabels, a))
		}
		if len(det.Reports) > 0 {
			rep := det.Reports[0]
			m.ReceivedAt, m.Channel = rep.ReceivedAt, forms.Label(forms.SourceLabels, rep.Source)
			m.Anonymous = rep.Reporter.Anonymous
			m.Reporter = forms.Person{Name: rep.Reporter.Name, Position: rep.Reporter.Relation, Phone: rep.Reporter.Phone, Address: rep.Reporter.Address}
			m.Description = rep.Content
		}
		if m.Description == "" {
			m.Description = c.Summary
		}
		var where []string
		for _, inc := range det.Incidents {
			where = append(where, strings.TrimSpace(strings.Join(nonEmpty(inc.Date, forms.Label(forms.SettingLabels, inc.Setting), inc.Place), ", ")))
		}
		m.WhenWhere = strings.Join(nonEmpty(where...), "; ")
		if cases.SeesPerpetrator(p, c) && !c.Masked {
			if pp, err := s.Cases.Perpetrator(ctx, p, c); err == nil && pp.Name != "" {
				m.Perpetrator = strings.Join(nonEmpty(pp.Name, pp.Relation), ", ")
			}
		}
		return m.Document(), nil
	case 2, 3:
		kind := map[int]string{2: "initial", 3: "detailed"}[n]
		var a *cases.Assessment
		for i := range det.Assessments {
			if det.Assessments[i].Kind == kind {
				a = &det.Assessments[i]
			}
		}
		var factors []forms.RiskFactor
		risk, findings, needs, by := forms.Label(forms.RiskLabels, c.Risk), "", "", ""
		var at time.Time
		if a != nil {
			for _, f := range forms.FactorOrder {
				factors = append(factors, forms.RiskFactor{Factor: forms.FactorLabels[f], Level: forms.Label(forms.RiskLabels, a.Factors[f])})
			}
			risk, findings, needs, at, by = forms.Label(forms.RiskLabels, a.Risk), a.Findings, a.Needs, a.At, a.By
		}
		if n == 2 {
			return forms.MauSo02{Header: head, AssessedAt: at, Assessors: []forms.Person{{Name: by}}, Children: kids, Factors: factors,
				Risk: risk, Emergency: c.Risk == cases.RiskHigh, Findings: findings}.Document(), nil
		}
		return forms.MauSo03{Header: head, AssessedAt: at, Participants: []forms.Person{{Name: by}}, Children: kids, Factors: factors,
			Risk: risk, Needs: strings.Split(needs, "\n"), Conclusion: findings}.Document(), nil
	case 4, 5:
		var plan *cases.Plan
		for i := range det.Plans {
			if n == 4 || det.Plans[i].State == "approved" {
				plan = &det.Plans[i]
			}
		}
		if n == 5 {
			m := forms.MauSo05{Header: head, Commune: commune, Children: kids}
			if plan != nil {
				m.DecisionNo, m.Chairman, m.PlanDate, m.ApprovedAt = plan.DecisionNo, plan.DecidedBy, plan.At, plan.DecidedAt
			}
			return m.Document(), nil
		}
		m := forms.MauSo04{Header: head, Children: kids}
		if plan != nil {
			m.Goals, m.DraftedBy = plan.Goals, forms.Person{Name: plan.By}
			for _, x := range plan.Measures {
				m.Measures = append(m.Measures, forms.Measure{What: x.Action, Responsible: x.Responsible, Partner: x.Organisation,
					From: isoToVN(x.From), To: isoToVN(x.To)})
			}
			if plan.StartsOn != "" || plan.EndsOn != "" {
				m.Period = isoToVN(plan.StartsOn) + " – " + isoToVN(plan.EndsOn)
			}
		}
		return m.Document(), nil
	case 6:
		m := forms.MauSo06{Header: head, Children: kids, Risk: forms.Label(forms.RiskLabels, c.Risk)}
		if len(det.Reviews) > 0 {
			rv := det.Reviews[len(det.Reviews)-1]
			m.ReviewedAt, m.Reviewers, m.Situation, m.Close = rv.At, []forms.Person{{Name: rv.By}}, rv.Findings, rv.Outcome == "close"
		}
		if c.CloseReason != "" {
			m.Reason = forms.Label(forms.CloseLabels, c.CloseReason)
		}
		for i := len(det.Plans) - 1; i >= 0; i-- {
			if det.Plans[i].State == "approved" {
				for _, x := range det.Plans[i].Measures {
					m.Results = append(m.Results, forms.Measure{What: x.Action})
				}
				break
			}
		}
		return m.Document(), nil
	default: // 7
		m := forms.MauSo07{Header: head, Commune: commune, Children: kids}
		if len(det.Emergencies) > 0 {
			e := det.Emergencies[len(det.Emergencies)-1]
			m.DecisionNo, m.Chairman, m.DecidedAt, m.CarePlace, m.Reason = e.DecisionNo, e.DecidedBy, e.DecidedAt, e.Place, e.Reason
			m.Separation = e.Measure == "separation"
			m.Measure = forms.Label(forms.MeasureLabels, e.Measure)
			if e.Until != "" {
				m.Duration = "đến " + isoToVN(e.Until)
			}
		}
		return m.Document(), nil
	}
}

// formChildren are the case's children as the forms print them; a masked
// case prints none of their details.
func (s *Server) formChildren(ctx context.Context, c *cases.Case) []forms.Child {
	if c.Masked {
		return nil
	}
	var out []forms.Child
	for _, id := range c.Children {
		k, err := s.Children.Get(ctx, nil, id) // audited as a read by the caller
		if err != nil {
			continue
		}
		fc := forms.Child{Name: k.Name, DOB: k.DOB.String(), PID: k.PID, Address: k.Address, Phone: k.Phone}
		switch k.Sex.String() {
		case "male":
			fc.Sex = "Nam"
		case "female":
			fc.Sex = "Nữ"
		}
		if u, ok := s.Units.Get(k.Commune); ok && fc.Address == "" {
			fc.Address = u.FullName
		}
		if len(k.Caregivers) > 0 {
			cg := k.Caregivers[0]
			fc.Caregiver = strings.Join(nonEmpty(cg.Name, forms.Label(forms.RelationLabels, cg.Relation)), ", ")
		}
		out = append(out, fc)
	}
	return out
}

// isoToVN writes yyyy-mm-dd as dd/mm/yyyy (other text as it is).
func isoToVN(s string) string {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		return s[8:] + "/" + s[5:7] + "/" + s[:4]
	}
	return s
}

func nonEmpty(xs ...string) []string {
	var out []string
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return out
}
