package quality

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"treem/internal/vntext"
)

// WriteFiles writes the set as two CSV files in dir, so that the same
// registry and queries can be run elsewhere (PostgreSQL pg_trgm, for one):
//
//	registry.csv  id,name,name_folded,dob,sex,commune,pid,phone,groups
//	queries.csv   qid,kind,want_id,name,name_folded,dob_text,dob,sex,commune,old_commune,pid,phone,changes
//
// Dates are in the storage form (2016-05-07, 2016-05, 2016); dob_text is
// what the report wrote; want_id is 0 for a child not in the registry;
// groups is a bit set (bit 0 = a … bit 13 = o); changes are synth.Change…
// codes separated by "|". name_folded is vntext.Fold of the name (lower
// case, no diacritics), what unaccent(lower(name)) gives in PostgreSQL.
func WriteFiles(dir string, s *Set) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	err := writeCSV(filepath.Join(dir, "registry.csv"),
		[]string{"id", "name", "name_folded", "dob", "sex", "commune", "pid", "phone", "groups"},
		len(s.Registry), func(i int) []string {
			r := s.Registry[i]
			return []string{strconv.FormatInt(r.ID, 10), r.Name, vntext.Fold(r.Name), r.DOB.ISO(), r.Sex.String(),
				r.Commune, r.PID, r.Phone, strconv.FormatUint(uint64(r.Groups), 10)}
		})
	if err != nil {
		return err
	}
	return writeCSV(filepath.Join(dir, "queries.csv"),
		[]string{"qid", "kind", "want_id", "name", "name_folded", "dob_text", "dob", "sex", "commune", "old_commune", "pid", "phone", "changes"},
		len(s.Reports), func(i int) []string {
			q := s.Reports[i]
			c := q.Child
			return []string{strconv.Itoa(i + 1), q.Kind, strconv.FormatInt(q.Want, 10), c.Name, vntext.Fold(c.Name),
				c.DOBText, c.DOB.ISO(), c.Sex.String(), c.Commune, c.OldCommune, c.PID, c.Phone, strings.Join(q.Changes, "|")}
		})
}

func writeCSV(path string, header []string, n int, row func(int) []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(header)
	for i := range n {
		w.Write(row(i))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
