package children

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"treem/internal/audit"
	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/ident"
)

// Export formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// MaxExportRows is the most rows one export may hold; a bigger list must
// be narrowed (by unit, say).
const MaxExportRows = 500000

// Export writes the children the principal sees that match the filter, in
// Vietnamese name order, as CSV (UTF-8 with BOM) or XLSX, with the import
// file's headers so that an export can be imported elsewhere. Cells that a
// spreadsheet would read as a formula are neutralised. The export is
// audited, with its filter and row count, before a byte of it is returned.
// Notes are never exported.
func (s *Service) Export(ctx context.Context, by *auth.Principal, f Filter, format, lang string) ([]byte, int, error) {
	if !can(by, auth.PermChildExport) {
		return nil, 0, errs.Forbidden()
	}
	if format != FormatCSV && format != FormatXLSX {
		return nil, 0, errs.Validation().Field("format", "children.export_format")
	}
	q, err := s.check(by, f, true)
	if err != nil {
		return nil, 0, err
	}
	o := s.Options()
	head := []string{"Mã trẻ"}
	for _, c := range ImportColumns {
		if c.Field != "notes" {
			head = append(head, c.Headers[0])
		}
	}
	head = append(head, "Tên xã", fmt.Sprintf("Được hỗ trợ năm %d", q.Year))
	var out [][]string
	err = s.rowsEach(ctx, q, func(batch []Child) error {
		if len(out)+len(batch) > MaxExportRows {
			return errs.Invalid("children.export_too_big").With("max", MaxExportRows)
		}
		ids := make([]int64, len(batch))
		for i, c := range batch {
			ids[i] = c.ID
		}
		helped, err := s.Helped(ctx, ids, q.from, q.to)
		if err != nil {
			return err
		}
		for _, c := range batch {
			out = append(out, s.exportRow(o, c, helped[c.ID], lang))
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	switch format {
	case FormatCSV:
		buf.WriteString("\ufeff") // Excel reads UTF-8 only with a BOM
		w := csv.NewWriter(&buf)
		w.Write(head)
		for _, r := range out {
			w.Write(neutralise(r))
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return nil, 0, err
		}
	case FormatXLSX:
		if err := writeXLSX(&buf, head, out); err != nil {
			return nil, 0, err
		}
	}
	detail := fmt.Sprintf("format=%s rows=%d%s", format, len(out), q.describe())
	if err := s.Audit.Record(ctx, audit.Event{Action: "children.export", RecordType: "child", Detail: detail}); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), len(out), nil
}

func (s *Service) exportRow(o *Options, c Child, helped bool, lang string) []string {
	var cg Caregiver
	if len(c.Caregivers) > 0 {
		cg = c.Caregivers[0]
	}
	var risks []string
	for _, r := range c.Risks {
		risks = append(risks, o.Label(ListRisk, r, lang))
	}
	eth := ""
	if e, ok := ident.EthnicityByCode(c.Ethnicity); ok {
		eth = e.Name
	}
	label := func(list, code string) string {
		if code == "" {
			return ""
		}
		return o.Label(list, code, lang)
	}
	sex := map[ident.Sex]string{ident.Male: "Nam", ident.Female: "Nữ"}[c.Sex]
	yes := map[bool]string{true: "Có", false: "Không"}[helped]
	if lang == "en" {
		sex = map[ident.Sex]string{ident.Male: "male", ident.Female: "female"}[c.Sex]
		yes = map[bool]string{true: "yes", false: "no"}[helped]
	}
	u, _ := s.Units.Get(c.Commune)
	vals := map[string]string{
		"name": c.Name, "dob": c.DOB.String(), "sex": sex, "pid": c.PID, "commune": c.Commune,
		"groups": strings.Join(c.Groups, "; "), "phone": c.Phone, "ethnicity": eth, "address": c.Address,
		"old_commune": c.OldCommune, "caregiver_name": cg.Name, "caregiver_relation": label(ListRelation, cg.Relation),
		"caregiver_phone": cg.Phone, "insurance_card": c.InsuranceCard,
		"school_status":   label(ListSchoolStatus, c.SchoolStatus),
		"disability_type": label(ListDisabilityType, c.DisabilityType), "disability_level": label(ListDisabilityLevel, c.DisabilityLevel),
		"risks": strings.Join(risks, "; "),
	}
	row := []string{idStr(c.ID)}
	for _, col := range ImportColumns {
		if col.Field != "notes" {
			row = append(row, vals[col.Field])
		}
	}
	return append(row, u.FullName, yes)
}

// neutralise keeps a spreadsheet from reading a cell as a formula (CSV
// injection): a cell starting with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe.
func neutralise(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			c = "'" + c
		}
		out[i] = c
	}
	return out
}

func writeXLSX(buf *bytes.Buffer, head []string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	cells := func(r []string) []any {
		out := make([]any, len(r))
		for i, c := range neutralise(r) {
			out[i] = c // always text: identification numbers keep their zeros
		}
		return out
	}
	if err := sw.SetRow("A1", cells(head)); err != nil {
		return err
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells(r)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(buf)
}
