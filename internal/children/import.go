package children

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"treem/internal/auth"
	"treem/internal/errs"
	"treem/internal/i18n"
	"treem/internal/vntext"
)

// Import reads a spreadsheet of children (CSV, UTF-8 with or without BOM,
// comma or semicolon; or XLSX) with the registry's Vietnamese headers:
// Họ và tên, Ngày sinh, Giới tính, Số định danh cá nhân, Mã xã, Nhóm hoàn
// cảnh đặc biệt, Số điện thoại — and, optionally, the extra columns of
// ImportColumns. Text typed with the legacy TCVN3 or VNI fonts is converted
// to Unicode.
//
// Every row is checked and every problem reported at once, with its line,
// column and reason. A file with any invalid row imports nothing, unless
// SkipInvalid is set: then the valid rows are imported and the others
// returned, with their reasons, as a rejects file. A row identical to one
// imported before (same keyed fingerprint) is skipped, so importing the
// same file twice changes nothing; a row that matches a child already in
// the registry (same identification number, or same name, date of birth
// and province), or an earlier row of the file, is flagged as a possible
// duplicate and not imported.

// ImportColumn is a column an import understands.
type ImportColumn struct {
	Field    string   // the Input field it fills
	Headers  []string // accepted headers, the first one canonical; case and diacritics are ignored
	Required bool     // the header must be present (values may still be empty where the field is optional)
}

// ImportColumns are the columns of an import file, in the order an export
// writes them.
var ImportColumns = []ImportColumn{
	{"name", []string{"Họ và tên", "Họ tên", "Full name", "Name"}, true},
	{"dob", []string{"Ngày sinh", "Date of birth", "DOB"}, true},
	{"sex", []string{"Giới tính", "Sex"}, true},
	{"pid", []string{"Số định danh cá nhân", "Số định danh", "Mã định danh", "Personal ID"}, true},
	{"commune", []string{"Mã xã", "Commune code"}, true},
	{"groups", []string{"Nhóm hoàn cảnh đặc biệt", "Nhóm", "Groups"}, true},
	{"phone", []string{"Số điện thoại", "Phone"}, true},
	{"ethnicity", []string{"Dân tộc", "Ethnicity"}, false},
	{"address", []string{"Địa chỉ", "Address"}, false},
	{"old_commune", []string{"Mã xã cũ", "Mã xã trước 2025", "Old commune code"}, false},
	{"caregiver_name", []string{"Người chăm sóc", "Họ tên người chăm sóc", "Caregiver"}, false},
	{"caregiver_relation", []string{"Quan hệ với trẻ", "Quan hệ", "Relation"}, false},
	{"caregiver_phone", []string{"Số điện thoại người chăm sóc", "Caregiver phone"}, false},
	{"insurance_card", []string{"Thẻ BHYT", "Mã thẻ BHYT", "Số thẻ BHYT", "Health insurance card"}, false},
	{"school_status", []string{"Tình trạng đi học", "School status"}, false},
	{"disability_type", []string{"Dạng khuyết tật", "Disability type"}, false},
	{"disability_level", []string{"Mức độ khuyết tật", "Disability level"}, false},
	{"risks", []string{"Nguy cơ", "Risks"}, false},
	{"notes", []string{"Ghi chú", "Notes"}, false},
}

// ImportOptions tune an import.
type ImportOptions struct {
	FileName    string
	SkipInvalid bool
	Lang        string         // language of the reasons in the rejects file; default Vietnamese
	Progress    func(Progress) // called now and then, from one goroutine at a time
	ImportID    int64          // a child_imports row already made (StartImport); 0 makes one
	I18n        *i18n.Bundle   // translates the reasons of the rejects file
}

// Progress is how far an import got.
type Progress struct {
	Phase string `json:"phase"` // reading, checking, writing, done
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// Problem is one thing wrong with a row.
type Problem struct {
	Line   int            `json:"line"`
	Column string         `json:"column"` // the header as written in the file
	Key    string         `json:"key"`    // i18n key of the reason
	Args   map[string]any `json:"args,omitempty"`
}

// DuplicateRow is a row not imported because it may be a child already
// there.
type DuplicateRow struct {
	Line     int    `json:"line"`
	ChildID  int64  `json:"child_id,omitempty"`  // the child it matches, when the importer may see it
	Commune  string `json:"commune,omitempty"`   // where that child lives
	SameLine int    `json:"same_line,omitempty"` // or the earlier row of the file it repeats
	Reason   string `json:"reason"`              // pid, name_dob, row
}

// ImportReport is what an import did.
type ImportReport struct {
	ID            int64          `json:"id"`
	State         string         `json:"state"` // done; rejected: invalid rows, nothing imported; failed
	FileName      string         `json:"file_name"`
	Rows          int            `json:"rows"`
	Imported      int            `json:"imported"`
	Existing      int            `json:"existing"`   // imported before: unchanged
	Duplicates    int            `json:"duplicates"` // flagged, not imported
	Invalid       int            `json:"invalid"`
	Encoding      string         `json:"encoding"` // "", tcvn3, vni: the legacy font found
	Problems      []Problem      `json:"problems"`
	DuplicateRows []DuplicateRow `json:"duplicate_rows"`
	Rejects       []byte         `json:"-"` // CSV of the rows not imported, with their reasons
	Phase         string         `json:"phase,omitempty"`
	Done          int            `json:"done,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	FinishedAt    time.Time      `json:"finished_at,omitzero"`
	By            string         `json:"by"`
}

// MaxImportProblems caps the problems kept in a report (each row's are all
// counted).
const MaxImportProblems = 10000

// row is one data row of an import file on its way to the database.
type row struct {
	line     int
	cells    []string // by column of the file
	child    Child
	fp       []byte
	folded   string
	sortKey  []byte
	sealed   sealed
	problems []Problem
	state    rowState
	dup      DuplicateRow
	enc      legacyEncoding // legacy font found in the row's text
}

type rowState uint8

const (
	rowOK rowState = iota
	rowInvalid
	rowExisting
	rowDuplicate
)

// table is a file read into rows.
type table struct {
	header   []string
	headLine int
	rows     []*row
	encoding legacyEncoding
}

// readTable reads a CSV or XLSX file and converts text typed in a legacy
// font.
func readTable(name string, data []byte) (*table, error) {
	read := readCSV
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) || strings.HasSuffix(strings.ToLower(name), ".xlsx") {
		read = readXLSX
	}
	t, err := read(data)
	if err != nil {
		return nil, err
	}
	t.convertLegacy()
	return t, nil
}

func readCSV(data []byte) (*table, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	t := &table{}
	text := string(data)
	if !utf8.Valid(data) {
		s, enc, err := decodeBytes(data)
		if err != nil {
			return nil, errs.Invalid("children.import.encoding").Wrap(err)
		}
		text, t.encoding = s, enc
	}
	first, _, _ := strings.Cut(text, "\n")
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = ','
	if strings.Count(first, ";") > strings.Count(first, ",") {
		r.Comma = ';'
	} else if strings.Count(first, "\t") > strings.Count(first, ",") {
		r.Comma = '\t'
	}
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, errs.Invalid("children.import.csv").With("line", pe.Line)
			}
			return nil, errs.Invalid("children.import.csv").Wrap(err)
		}
		line, _ := r.FieldPos(0)
		t.add(line, rec)
	}
	return t, nil
}

func readXLSX(data []byte) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, errs.Invalid("children.import.xlsx").Wrap(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errs.Invalid("children.import.empty")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, errs.Invalid("children.import.xlsx").Wrap(err)
	}
	defer rows.Close()
	t := &table{}
	line := 0
	for rows.Next() {
		line++
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, errs.Invalid("children.import.xlsx").Wrap(err)
		}
		t.add(line, rec)
	}
	return t, nil
}

// add keeps a record: the first non-empty one is the header.
func (t *table) add(line int, rec []string) {
	empty := true
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
		if rec[i] != "" {
			empty = false
		}
	}
	if empty {
		return
	}
	if t.header == nil {
		t.header, t.headLine = rec, line
		return
	}
	t.rows = append(t.rows, &row{line: line, cells: rec})
}

// columns maps each field to the file's column index (-1 when absent).
func (t *table) columns() (map[string]int, []Problem) {
	folded := make([]string, len(t.header))
	for i, h := range t.header {
		folded[i] = vntext.Fold(h)
	}
	cols := map[string]int{}
	var problems []Problem
	for _, c := range ImportColumns {
		cols[c.Field] = -1
		for i, h := range folded {
			if h == "" {
				continue
			}
			for _, name := range c.Headers {
				if h == vntext.Fold(name) && cols[c.Field] < 0 {
					cols[c.Field] = i
				}
			}
		}
		if c.Required && cols[c.Field] < 0 {
			problems = append(problems, Problem{Line: t.headLine, Column: c.Headers[0], Key: "children.import.header_missing",
				Args: map[string]any{"header": c.Headers[0]}})
		}
	}
	return cols, problems
}

// Import imports a file; see the comment at the top of this file. by is
// nil for the command line (the whole country).
func (s *Service) Import(ctx context.Context, by *auth.Principal, data []byte, opt ImportOptions) (ImportReport, error) {
	if !can(by, auth.PermChildImport) {
		return ImportReport{}, errs.Forbidden()
	}
	progress := func(phase string, done, total int) {
		if opt.Progress != nil {
			opt.Progress(Progress{Phase: phase, Done: done, Total: total})
		}
	}
	byID, byName := actor(ctx, by)
	rep := ImportReport{ID: opt.ImportID, FileName: opt.FileName, By: byName, CreatedAt: s.Now(),
		Problems: []Problem{}, DuplicateRows: []DuplicateRow{}}
	if rep.ID == 0 {
		id, err := s.newImport(ctx, by, opt.FileName, data, opt.SkipInvalid)
		if err != nil {
			return rep, err
		}
		rep.ID = id
	}
	rep, err := s.runImport(ctx, by, byID, byName, data, opt, rep, progress)
	if err != nil {
		rep.State = "failed"
		s.finishImport(context.WithoutCancel(ctx), rep, err)
		return rep, err
	}
	progress("done", rep.Rows, rep.Rows)
	return rep, s.finishImport(ctx, rep, nil)
}

func (s *Service) runImport(ctx context.Context, by *auth.Principal, byID int64, byName string, data []byte, opt ImportOptions,
	rep ImportReport, progress func(string, int, int)) (ImportReport, error) {
	progress("reading", 0, 0)
	t, err := readTable(opt.FileName, data)
	if err != nil {
		return rep, err
	}
	if t.header == nil {
		return rep, errs.Invalid("children.import.empty")
	}
	cols, problems := t.columns()
	if len(problems) > 0 {
		rep.State, rep.Problems = "rejected", problems
		return rep, nil
	}
	rep.Rows = len(t.rows)
	s.checkRows(ctx, by, t, cols, progress)

	encodings := map[legacyEncoding]int{}
	if t.encoding != encUnicode {
		encodings[t.encoding] = len(t.rows)
	}
	for _, r := range t.rows {
		if r.state == rowInvalid {
			rep.Invalid++
			for _, p := range r.problems {
				if len(rep.Problems) < MaxImportProblems {
					rep.Problems = append(rep.Problems, p)
				}
			}
		}
		if r.enc != encUnicode {
			encodings[r.enc]++
		}
	}
	best := 0
	for enc, n := range encodings {
		if n > best {
			rep.Encoding, best = string(enc), n
		}
	}
	if rep.Invalid > 0 && !opt.SkipInvalid {
		rep.State = "rejected"
		return rep, nil
	}
	if err := s.markKnown(ctx, by, t); err != nil {
		return rep, err
	}
	var todo []*row
	for _, r := range t.rows {
		switch r.state {
		case rowOK:
			todo = append(todo, r)
		case rowExisting:
			rep.Existing++
		case rowDuplicate:
			rep.Duplicates++
			rep.DuplicateRows = append(rep.DuplicateRows, r.dup)
		}
	}
	rep.Imported, err = s.writeRows(ctx, rep.ID, byID, byName, todo, progress)
	if err != nil {
		return rep, err
	}
	rep.State = "done"
	if rep.Invalid > 0 || rep.Duplicates > 0 {
		rep.Rejects = rejects(t, opt)
	}
	return rep, nil
}

// cellsInput turns a row's cells into an Input.
func (s *Service) cellsInput(cells []string, cols map[string]int) (Input, map[string]string) {
	vals := map[string]string{}
	for field, i := range cols {
		if i >= 0 && i < len(cells) && cells[i] != "" {
			vals[field] = cells[i]
		}
	}
	get := func(f string) *string {
		v := vals[f]
		return &v
	}
	o := s.Options()
	in := Input{Name: get("name"), Sex: get("sex"), Ethnicity: get("ethnicity"), Address: get("address"),
		Notes: get("notes")}
	// Spreadsheets store numbers: an identification number or a phone
	// loses its leading zeros, a date becomes a day count.
	pid, phone, dob := vals["pid"], vals["phone"], vals["dob"]
	if n := len(pid); n >= 9 && n < 12 && isDigits(pid) {
		pid = strings.Repeat("0", 12-n) + pid
	}
	in.PID = &pid
	in.Phone = ptrTo(excelPhone(phone))
	in.DOB = ptrTo(excelDate(dob))
	commune := vals["commune"]
	if n := len(commune); n >= 1 && n < 5 && isDigits(commune) {
		commune = strings.Repeat("0", 5-n) + commune
	}
	in.Commune, in.OldCommune = &commune, get("old_commune")
	in.InsuranceCard = get("insurance_card")
	in.SchoolStatus = ptrTo(optionCode(o, ListSchoolStatus, vals["school_status"]))
	in.DisabilityType = ptrTo(optionCode(o, ListDisabilityType, vals["disability_type"]))
	in.DisabilityLevel = ptrTo(optionCode(o, ListDisabilityLevel, vals["disability_level"]))
	groups := []GroupInput{}
	for _, g := range splitList(vals["groups"]) {
		groups = append(groups, GroupInput{Code: g})
	}
	in.Groups = &groups
	risks := []string{}
	for _, r := range splitList(vals["risks"]) {
		risks = append(risks, optionCode(o, ListRisk, r))
	}
	in.Risks = &risks
	cgs := []CaregiverInput{}
	if vals["caregiver_name"] != "" || vals["caregiver_phone"] != "" {
		cgs = append(cgs, CaregiverInput{Name: vals["caregiver_name"], Phone: excelPhone(vals["caregiver_phone"]),
			Relation: optionCode(o, ListRelation, vals["caregiver_relation"])})
	}
	in.Caregivers = &cgs
	return in, vals
}

func ptrTo(s string) *string { return &s }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// excelPhone puts back the 0 a spreadsheet drops from 912345678.
func excelPhone(s string) string {
	if len(s) == 9 && isDigits(s) && strings.ContainsRune("35789", rune(s[0])) {
		return "0" + s
	}
	return s
}

// excelDate turns a spreadsheet's day count (42495 is 05/05/2016) into a
// date; a year alone (2016) stays a year.
func excelDate(s string) string {
	if !isDigits(strings.ReplaceAll(s, ".", "")) || strings.Count(s, ".") > 1 {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || (f >= 1900 && f <= 2100 && !strings.Contains(s, ".")) || f < 2 || f > 80000 {
		return s
	}
	d := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(f)))
	return d.Format("02/01/2006")
}

// splitList splits "a; b, c" into its parts.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '/' || r == '\n' })
}

// optionCode reads an option by its code or its label in either language.
func optionCode(o *Options, list, v string) string {
	if v == "" {
		return ""
	}
	if _, ok := o.Get(list, v); ok {
		return v
	}
	f := vntext.Fold(v)
	for _, x := range o.lists[list] {
		if f == vntext.Fold(x.LabelVI) || f == vntext.Fold(x.LabelEN) {
			return x.Code
		}
	}
	return v
}

// columnOf names the file column an Input field's problem belongs to.
func columnOf(t *table, cols map[string]int, field string) string {
	base, _, _ := strings.Cut(field, ".")
	switch {
	case strings.HasPrefix(field, "caregivers."):
		parts := strings.Split(field, ".")
		base = "caregiver_" + parts[len(parts)-1]
	case base == "old_commune" && cols["old_commune"] < 0:
		base = "commune"
	}
	if i, ok := cols[base]; ok && i >= 0 && i < len(t.header) {
		return t.header[i]
	}
	return ""
}

// checkRows validates every row, in parallel.
func (s *Service) checkRows(ctx context.Context, by *auth.Principal, t *table, cols map[string]int, progress func(string, int, int)) {
	total := len(t.rows)
	progress("checking", 0, total)
	workers := max(1, runtime.NumCPU())
	const chunk = 2048
	var next, done int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for {
				mu.Lock()
				lo := int(next)
				next += chunk
				mu.Unlock()
				if lo >= total || ctx.Err() != nil {
					return
				}
				hi := min(lo+chunk, total)
				for _, r := range t.rows[lo:hi] {
					s.checkRow(by, t, cols, r)
				}
				mu.Lock()
				done += int64(hi - lo)
				d := int(done)
				progress("checking", d, total)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func (s *Service) checkRow(by *auth.Principal, t *table, cols map[string]int, r *row) {
	in, vals := s.cellsInput(r.cells, cols)
	c, err := s.apply(by, Child{}, in, true)
	if err != nil {
		r.state = rowInvalid
		e := errs.As(err)
		for field, fe := range e.Fields {
			r.problems = append(r.problems, Problem{Line: r.line, Column: columnOf(t, cols, field), Key: fe.Key, Args: fe.Args})
		}
		if len(e.Fields) == 0 {
			r.problems = append(r.problems, Problem{Line: r.line, Key: e.Key, Args: e.Args})
		}
		sortProblems(r.problems, t.header)
		return
	}
	r.child = c
	// The fingerprint covers the fields read, in a fixed order, so that
	// columns moved or added do not make a known row new.
	var b strings.Builder
	for _, col := range ImportColumns {
		b.WriteString(vals[col.Field])
		b.WriteByte(0x1f)
	}
	r.fp = s.Keys.Lookup("child_import_row", b.String())[:8]
	r.folded = vntext.Fold(c.Name)
	r.sortKey = vntext.NameSortKey(c.Name)
	sl, err := s.seal(c)
	if err != nil {
		r.state = rowInvalid
		r.problems = append(r.problems, Problem{Line: r.line, Key: "error.internal"})
		return
	}
	r.sealed = sl
}

// sortProblems orders a row's problems by the file's column order.
func sortProblems(ps []Problem, header []string) {
	pos := func(col string) int {
		for i, h := range header {
			if h == col {
				return i
			}
		}
		return len(header)
	}
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && pos(ps[j].Column) < pos(ps[j-1].Column); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// markKnown marks the rows imported before (same fingerprint) and the
// possible duplicates: a child already there with the same identification
// number, or the same name, date of birth and province; or an earlier row
// of the file.
func (s *Service) markKnown(ctx context.Context, by *auth.Principal, t *table) error {
	var ok []*row
	for _, r := range t.rows {
		if r.state == rowOK {
			ok = append(ok, r)
		}
	}
	const chunk = 500
	seenFP := map[string]int{}
	seenPID := map[string]int{}
	seenKey := map[string]int{}
	for lo := 0; lo < len(ok); lo += chunk {
		part := ok[lo:min(lo+chunk, len(ok))]
		fps := make([]any, len(part))
		var pids, names []any
		for i, r := range part {
			fps[i] = r.fp
			if r.child.PID != "" {
				pids = append(pids, r.child.PID)
			}
			names = append(names, r.folded)
		}
		known := map[string]bool{}
		if err := s.scan(ctx, `SELECT source_fp FROM children WHERE source_fp IN (`+s.params(1, len(fps))+`)`, fps,
			func(sc scanner) error {
				var fp []byte
				err := sc.Scan(&fp)
				known[string(fp)] = true
				return err
			}); err != nil {
			return err
		}
		type hit struct {
			id      int64
			commune string
			dob     int
			prov    string
		}
		byPID := map[string]hit{}
		if len(pids) > 0 {
			if err := s.scan(ctx, `SELECT id, pid, commune_code FROM children WHERE merged_into IS NULL AND pid IN (`+
				s.params(1, len(pids))+`)`, pids, func(sc scanner) error {
				var h hit
				var pid string
				err := sc.Scan(&h.id, &pid, &h.commune)
				byPID[pid] = h
				return err
			}); err != nil {
				return err
			}
		}
		byName := map[string][]hit{}
		if err := s.scan(ctx, `SELECT id, name_folded, dob_on, commune_code, province_code FROM children
			WHERE merged_into IS NULL AND name_folded IN (`+s.params(1, len(names))+`)`, names, func(sc scanner) error {
			var h hit
			var name string
			err := sc.Scan(&h.id, &name, &h.dob, &h.commune, &h.prov)
			byName[name] = append(byName[name], h)
			return err
		}); err != nil {
			return err
		}
		for _, r := range part {
			c := r.child
			key := r.folded + "|" + strconv.Itoa(dateNum(c.DOB)) + "|" + c.Province
			switch {
			case known[string(r.fp)]:
				r.state = rowExisting
				continue
			case seenFP[string(r.fp)] != 0:
				r.state, r.dup = rowDuplicate, DuplicateRow{Line: r.line, SameLine: seenFP[string(r.fp)], Reason: "row"}
				continue
			}
			seenFP[string(r.fp)] = r.line
			found := func(h hit, reason string) {
				r.state = rowDuplicate
				r.dup = DuplicateRow{Line: r.line, Commune: h.commune, Reason: reason}
				if sees(by, h.commune) {
					r.dup.ChildID = h.id
				}
			}
			if h, ok := byPID[c.PID]; ok && c.PID != "" {
				found(h, "pid")
				continue
			}
			matched := false
			for _, h := range byName[r.folded] {
				if h.dob == dateNum(c.DOB) && h.prov == c.Province {
					found(h, "name_dob")
					matched = true
					break
				}
			}
			if matched {
				continue
			}
			if l := seenPID[c.PID]; c.PID != "" && l != 0 {
				r.state, r.dup = rowDuplicate, DuplicateRow{Line: r.line, SameLine: l, Reason: "pid"}
				continue
			}
			if l := seenKey[key]; l != 0 {
				r.state, r.dup = rowDuplicate, DuplicateRow{Line: r.line, SameLine: l, Reason: "name_dob"}
				continue
			}
			if c.PID != "" {
				seenPID[c.PID] = r.line
			}
			seenKey[key] = r.line
		}
	}
	return nil
}

// scan runs a query and hands each row to f.
func (s *Service) scan(ctx context.Context, q string, args []any, f func(scanner) error) error {
	rows, err := s.DB.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rejects writes the rows not imported, as read, with a column of reasons.
func rejects(t *table, opt ImportOptions) []byte {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	lang := opt.Lang
	if lang == "" {
		lang = i18n.Default
	}
	var l *i18n.Localizer
	if opt.I18n != nil {
		l = opt.I18n.For(lang)
	}
	reasonHead, lineHead := "Lý do", "Dòng"
	if lang == "en" {
		reasonHead, lineHead = "Reason", "Line"
	}
	w.Write(append(append([]string{lineHead}, t.header...), reasonHead))
	for _, r := range t.rows {
		if r.state != rowInvalid && r.state != rowDuplicate {
			continue
		}
		var reasons []string
		for _, p := range r.problems {
			msg := p.Key
			if l != nil {
				msg = l.T(p.Key, p.Args)
			}
			if p.Column != "" {
				msg = p.Column + ": " + msg
			}
			reasons = append(reasons, msg)
		}
		if r.state == rowDuplicate {
			reasons = append(reasons, DuplicateText(l, r.dup))
		}
		cells := make([]string, len(t.header))
		copy(cells, r.cells)
		w.Write(append(append([]string{strconv.Itoa(r.line)}, neutralise(cells)...), strings.Join(reasons, "; ")))
	}
	w.Flush()
	return buf.Bytes()
}

// DuplicateText says, in l's language, what a duplicate row matches (the
// key when l is nil).
func DuplicateText(l *i18n.Localizer, d DuplicateRow) string {
	key := "children.import.duplicate_" + d.Reason
	args := map[string]any{"id": d.ChildID, "commune": d.Commune, "line": d.SameLine}
	switch {
	case d.SameLine != 0:
		key = "children.import.duplicate_line"
	case d.ChildID == 0:
		key = "children.import.duplicate_elsewhere"
	}
	if l == nil {
		return key
	}
	return l.T(key, args)
}
