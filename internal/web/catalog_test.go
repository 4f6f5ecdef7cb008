package web_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"treem/internal/i18n"
)

// Every message key written literally in a template or in Go code exists in
// every language.
func TestKeysUsedExistInTheCatalogs(t *testing.T) {
	b := i18n.MustLoad()
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`\.L\.T "([a-z_.0-9]+)"`),
		regexp.MustCompile(`\.T\("([a-z_.0-9]+)"`),
		regexp.MustCompile(`\.Field\("[^"]+", "([a-z_.0-9]+)"`),
		regexp.MustCompile(`errs\.(?:Invalid|Conflict|NotFoundKey|Unauthorized|Unavailable)\("([a-z_.0-9]+)"`),
		regexp.MustCompile(`flash\(w, "([a-z_.0-9]+)"`),
		regexp.MustCompile(`&PolicyError\{Key: "([a-z_.0-9]+)"\}`),
		regexp.MustCompile(`errs\.NotFound\("([a-z_]+)"\)`), // "what" names
	}
	root := filepath.Join("..")
	seen := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") {
			return err
		}
		if !strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, ".html") {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, re := range patterns {
			for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
				key := m[1]
				if strings.HasSuffix(key, ".") {
					continue // a prefix completed at run time ("role." + role)
				}
				if i == len(patterns)-1 {
					key = "what." + key
				}
				seen++
				for _, lang := range i18n.Languages {
					if !b.Has(lang, key) {
						t.Errorf("%s uses %q, missing in %s", p, key, lang)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("found only %d keys in use: the scan is broken", seen)
	}
}
