// Command gen turns the administrative-unit source data in internal/geo/data
// into the two compact tables package geo embeds (units.tsv and old.tsv), so
// start-up reads 0.7 MB of tab-separated text instead of 4.5 MB of SQL and
// JSON, with names already folded for search, and every consistency check
// runs once, here, not in every process.
//
// Run it from internal/geo with `go generate`. It fails, writing nothing, when
// the sources disagree in a way it cannot explain.
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"treem/internal/geo/internal/forms"
	"treem/internal/vntext"
)

func main() {
	dir := flag.String("dir", "data", "directory holding units.sql and old-to-new/")
	flag.Parse()
	units, old, err := build(*dir, os.Stderr)
	if err == nil {
		err = os.WriteFile(filepath.Join(*dir, "units.tsv"), units, 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(*dir, "old.tsv"), old, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// unit is a current (post-July-2025) unit as units.sql has it.
type unit struct {
	code, province, typ                string
	name, nameEn, fullName, fullNameEn string
}

// types maps units.sql's administrative_unit_id to the type code package geo
// uses (the code names of the administrative_units table, shortened).
var types = map[string]string{
	"1": "thanh_pho", // thành phố trực thuộc trung ương (municipality)
	"2": "tinh",
	"3": "phuong",
	"4": "xa",
	"5": "dac_khu",
}

// build reads the sources in dir and returns the contents of units.tsv and
// old.tsv. Notes on what it reconciled go to logw.
func build(dir string, logw io.Writer) (unitsTSV, oldTSV []byte, err error) {
	units, err := readUnits(filepath.Join(dir, "units.sql"))
	if err != nil {
		return nil, nil, err
	}
	var splits splitsFile
	if err := readJSON(filepath.Join(dir, "old-to-new", "splits.json"), &splits); err != nil {
		return nil, nil, err
	}
	var merges mergesFile
	if err := readJSON(filepath.Join(dir, "old-to-new", "merges.json"), &merges); err != nil {
		return nil, nil, err
	}
	old, err := oldUnits(units, splits, merges, logw)
	if err != nil {
		return nil, nil, err
	}
	return writeUnits(units), writeOld(old), nil
}

// readUnits parses the provinces and wards INSERT statements of units.sql.
func readUnits(path string) (map[string]unit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	units := make(map[string]unit)
	var table string
	var cols []string
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "INSERT INTO "); ok {
			name, colList, _ := strings.Cut(rest, "(")
			colList, _, _ = strings.Cut(colList, ")")
			table, cols = name, strings.Split(colList, ",")
			continue
		}
		if !strings.HasPrefix(line, "(") || (table != "provinces" && table != "wards") {
			continue
		}
		vals, err := parseTuple(line)
		if err != nil || len(vals) != len(cols) {
			return nil, fmt.Errorf("%s:%d: bad row %q (%v)", path, n+1, line, err)
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[c] = vntext.Clean(vals[i])
		}
		u := unit{
			code: row["code"], province: row["province_code"], typ: types[row["administrative_unit_id"]],
			name: row["name"], nameEn: row["name_en"], fullName: row["full_name"], fullNameEn: row["full_name_en"],
		}
		if table == "provinces" {
			u.province = u.code
		}
		if _, dup := units[u.code]; dup {
			return nil, fmt.Errorf("%s:%d: code %s twice", path, n+1, u.code)
		}
		units[u.code] = u
	}
	return units, checkUnits(units)
}

// parseTuple splits one SQL row such as ('01','Hà Nội',…,1), into its values;
// strings are single-quoted, a quote inside doubled (as in Ea H'Leo's row).
func parseTuple(s string) ([]string, error) {
	s = strings.TrimRight(s, ",;")
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		return nil, errors.New("not a tuple")
	}
	s = s[1 : len(s)-1]
	var vals []string
	for {
		var v string
		if strings.HasPrefix(s, "'") {
			var sb strings.Builder
			i := 1
			for ; i < len(s); i++ {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						sb.WriteByte('\'')
						i++
						continue
					}
					break
				}
				sb.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated string")
			}
			v, s = sb.String(), s[i+1:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			v, s = strings.TrimSpace(s[:end]), s[end:]
		}
		vals = append(vals, v)
		if s == "" {
			return vals, nil
		}
		if s[0] != ',' {
			return nil, fmt.Errorf("unexpected %q", s)
		}
		s = s[1:]
	}
}

func checkUnits(units map[string]unit) error {
	var provinces, communes int
	for _, u := range units {
		for _, f := range []string{u.code, u.name, u.nameEn, u.fullName, u.fullNameEn} {
			if f == "" || strings.ContainsAny(f, "\t\n") {
				return fmt.Errorf("unit %s: empty field or tab in %q", u.code, f)
			}
		}
		switch len(u.code) {
		case 2:
			provinces++
			if u.typ != "thanh_pho" && u.typ != "tinh" {
				return fmt.Errorf("province %s has type %q", u.code, u.typ)
			}
		case 5:
			communes++
			if u.typ != "phuong" && u.typ != "xa" && u.typ != "dac_khu" {
				return fmt.Errorf("commune %s has type %q", u.code, u.typ)
			}
			if p, ok := units[u.province]; !ok || len(p.code) != 2 {
				return fmt.Errorf("commune %s: unknown province %q", u.code, u.province)
			}
		default:
			return fmt.Errorf("unit code %q is neither 2 nor 5 digits", u.code)
		}
	}
	if provinces != 34 || communes != 3321 {
		// Not an error in principle, but the tests and docs say 34/3,321:
		// a change here is a new resolution and deserves a look.
		return fmt.Errorf("%d provinces and %d communes, want 34 and 3321", provinces, communes)
	}
	return nil
}

type splitsFile struct {
	Data []struct {
		Code    string  `json:"level1_id"`
		Name    string  `json:"name"`
		Splits  []split `json:"splits"`
		Level2s []struct {
			Code   string  `json:"level2_id"`
			Name   string  `json:"name"`
			Splits []split `json:"splits"`
		} `json:"level2s"`
		Level3s []struct {
			Code   string  `json:"level3_id"`
			Name   string  `json:"name"`
			Splits []split `json:"splits"`
		} `json:"level3s"`
	} `json:"data"`
}

type split struct {
	New  string `json:"new_id"`
	Name string `json:"name"`
}

type mergesFile struct {
	Data []struct {
		Code    string  `json:"level1_id"`
		Name    string  `json:"name"`
		Merges  []merge `json:"merges"`
		Level2s []struct {
			Code   string  `json:"level2_id"`
			Name   string  `json:"name"`
			Merges []merge `json:"merges"`
		} `json:"level2s"`
	} `json:"data"`
}

type merge struct {
	Old  string `json:"old_id"`
	Name string `json:"name"`
	Type string `json:"type"` // full or partial
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// old is a pre-July-2025 unit: a 2-digit province, a 5-digit commune or one of
// the five 3-digit island districts that had no communes (Côn Đảo, Hoàng Sa…).
type old struct {
	code, name string
	next       []string // current codes
}

// oldUnits joins splits.json and merges.json onto the current units.
//
// dvhcvn's data predate the 2026 list in two places: it gives the new Xã Ba
// Chẽ (Quảng Ninh) and Xã Ia Mơ (Gia Lai) codes the current list does not use.
// Such a code is remapped to the one current unit of the same province and
// name that dvhcvn does not otherwise mention; anything else is an error.
// merges.json must then say exactly what splits.json says, read backwards.
func oldUnits(units map[string]unit, splits splitsFile, merges mergesFile, logw io.Writer) ([]old, error) {
	mentioned := make(map[string]bool)
	for _, p := range merges.Data {
		for _, c := range p.Level2s {
			mentioned[c.Code] = true
		}
	}
	remap := make(map[string]string)
	for _, p := range merges.Data {
		if _, ok := units[p.Code]; !ok {
			return nil, fmt.Errorf("merges.json: unknown province %s", p.Code)
		}
		for _, c := range p.Level2s {
			if u, ok := units[c.Code]; ok {
				if u.province != p.Code {
					return nil, fmt.Errorf("merges.json: %s is in province %s, the current list says %s", c.Code, p.Code, u.province)
				}
				continue
			}
			var found []string
			for _, u := range units {
				if u.province == p.Code && len(u.code) == 5 && !mentioned[u.code] &&
					vntext.Fold(u.fullName) == vntext.Fold(c.Name) {
					found = append(found, u.code)
				}
			}
			if len(found) != 1 {
				return nil, fmt.Errorf("merges.json: %s %q is not a current unit and matches %d by name", c.Code, c.Name, len(found))
			}
			remap[c.Code] = found[0]
			fmt.Fprintf(logw, "gen: new unit %s %s is %s in the current list\n", c.Code, c.Name, found[0])
		}
	}
	current := func(code string) string {
		if c, ok := remap[code]; ok {
			return c
		}
		return code
	}

	var olds []old
	add := func(code, name string, ss []split, level int) error {
		o := old{code: code, name: vntext.Clean(name)}
		for _, s := range ss {
			c := current(s.New)
			u, ok := units[c]
			if !ok || (len(u.code) == 2) != (level == 1) {
				return fmt.Errorf("splits.json: old %s %q goes into %s, not a current unit of its level", code, name, s.New)
			}
			if !slices.Contains(o.next, c) {
				o.next = append(o.next, c)
			}
		}
		if len(o.next) == 0 || o.name == "" || strings.ContainsAny(o.name, "\t\n") {
			return fmt.Errorf("splits.json: old %s %q has no successor or a bad name", code, name)
		}
		olds = append(olds, o)
		return nil
	}
	for _, p := range splits.Data {
		if err := add(p.Code, p.Name, p.Splits, 1); err != nil {
			return nil, err
		}
		for _, d := range p.Level2s {
			if err := add(d.Code, d.Name, d.Splits, 2); err != nil {
				return nil, err
			}
		}
		for _, c := range p.Level3s {
			if err := add(c.Code, c.Name, c.Splits, 3); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(olds, func(a, b old) int { return cmp.Compare(a.code, b.code) })
	for i := 1; i < len(olds); i++ {
		if olds[i].code == olds[i-1].code {
			return nil, fmt.Errorf("splits.json: old code %s twice", olds[i].code)
		}
	}

	// Read splits backwards and compare with merges, pair by pair.
	type link struct {
		now, was string
		partial  bool
	}
	fromSplits := make(map[link]bool)
	hasPred := make(map[string]bool)
	for _, o := range olds {
		for _, n := range o.next {
			fromSplits[link{n, o.code, len(o.next) > 1}] = true
			hasPred[n] = true
		}
	}
	fromMerges := make(map[link]bool)
	addMerges := func(now string, ms []merge) error {
		for _, m := range ms {
			if m.Type != "full" && m.Type != "partial" {
				return fmt.Errorf("merges.json: %s←%s has type %q", now, m.Old, m.Type)
			}
			fromMerges[link{current(now), m.Old, m.Type == "partial"}] = true
		}
		return nil
	}
	for _, p := range merges.Data {
		if err := addMerges(p.Code, p.Merges); err != nil {
			return nil, err
		}
		for _, c := range p.Level2s {
			if err := addMerges(c.Code, c.Merges); err != nil {
				return nil, err
			}
		}
	}
	for l := range fromSplits {
		if !fromMerges[l] {
			return nil, fmt.Errorf("splits.json has %s→%s (partial %v), merges.json does not", l.was, l.now, l.partial)
		}
	}
	for l := range fromMerges {
		if !fromSplits[l] {
			return nil, fmt.Errorf("merges.json has %s←%s (partial %v), splits.json does not", l.now, l.was, l.partial)
		}
	}
	for code := range units {
		if !hasPred[code] {
			return nil, fmt.Errorf("current unit %s has no predecessor", code)
		}
	}
	return olds, nil
}

// writeUnits lists provinces by code, each followed by its communes by code:
// the order package geo keeps, so it never sorts at start-up.
func writeUnits(units map[string]unit) []byte {
	list := make([]unit, 0, len(units))
	for _, u := range units {
		list = append(list, u)
	}
	slices.SortFunc(list, func(a, b unit) int {
		return cmp.Or(cmp.Compare(a.province, b.province), cmp.Compare(len(a.code), len(b.code)), cmp.Compare(a.code, b.code))
	})
	var b bytes.Buffer
	b.WriteString("# Administrative units of Vietnam (Nghị quyết 30/2026/QH16): provinces by code, each followed by its communes.\n")
	b.WriteString("# Generated by internal/gen from units.sql (thanglequoc/vietnamese-provinces-database, MIT licence). DO NOT EDIT.\n")
	b.WriteString("# code\tprovince\ttype\tname\tname_en\tfull_name\tfull_name_en\tsearch forms (folded names, " + forms.Sep + "-separated)\n")
	for _, u := range list {
		fs := strings.Join(forms.Of(u.name, u.fullName, u.nameEn, u.fullNameEn), forms.Sep)
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.code, u.province, u.typ, u.name, u.nameEn, u.fullName, u.fullNameEn, fs)
	}
	return b.Bytes()
}

func writeOld(olds []old) []byte {
	var b bytes.Buffer
	b.WriteString("# Units before 1 July 2025 and the current units they went into; more than one means the old unit was split.\n")
	b.WriteString("# Generated by internal/gen from old-to-new/splits.json and merges.json (dvhcvn/20250701, MIT licence). DO NOT EDIT.\n")
	b.WriteString("# code\tname\tcurrent codes\n")
	for _, o := range olds {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", o.code, o.name, strings.Join(o.next, ","))
	}
	return b.Bytes()
}
