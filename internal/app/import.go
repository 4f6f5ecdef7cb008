package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"treem/internal/children"
	"treem/internal/config"
	"treem/internal/i18n"
)

// importChildren is `treem import children FILE [--skip-invalid] [--rejects FILE]`.
func importChildren(ctx context.Context, env Env, args []string) error {
	fs, cfg := config.FlagSet("import children", env.Getenv, false)
	skip := fs.Bool("skip-invalid", false, "import the valid rows even if some are invalid (they go to --rejects)")
	rejectsFile := fs.String("rejects", "", "write the rows not imported, with their reasons, to this CSV file")
	lang := fs.String("lang", "vi", "language of the reasons: vi or en")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := parse(fs, cfg, env, interspersed(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("import children: give one file, e.g. treem import children danh-sach.xlsx [--skip-invalid] [--rejects loi.csv]")
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("import children: %w", err)
	}
	d, err := open(ctx, cfg, env, nil, false)
	if err != nil {
		return err
	}
	defer d.close()
	kids, err := d.children(ctx)
	if err != nil {
		return err
	}
	l := d.I18n.For(i18n.Match(*lang))
	bar := &progressBar{w: env.Stderr, l: l, now: time.Now, quiet: *quiet}
	start := time.Now()
	rep, err := kids.Import(cliContext(ctx, env.Getenv), nil, data, children.ImportOptions{
		FileName: filepath.Base(path), SkipInvalid: *skip, Lang: l.Lang, I18n: d.I18n, Progress: bar.show})
	bar.end()
	if err != nil {
		return cliError(d, err)
	}
	took := time.Since(start)
	out := env.Stdout
	for _, p := range rep.Problems {
		fmt.Fprintf(out, "%s\n", problemLine(l, p))
	}
	for _, dup := range rep.DuplicateRows {
		fmt.Fprintf(out, "%s\n", l.T("children.import.line", "line", dup.Line)+": "+l.T("children.import.possible_duplicate")+
			" — "+children.DuplicateText(l, dup))
	}
	if rep.Encoding != "" {
		fmt.Fprintln(out, l.T("children.import.converted", "encoding", strings.ToUpper(rep.Encoding)))
	}
	if *rejectsFile != "" && len(rep.Rejects) > 0 {
		if err := os.WriteFile(*rejectsFile, rep.Rejects, 0o600); err != nil {
			return fmt.Errorf("write rejects: %w", err)
		}
		fmt.Fprintln(out, l.T("children.import.rejects_written", "file", *rejectsFile))
	}
	if rep.State == "rejected" {
		return errors.New(l.T("children.import.rejected", "invalid", rep.Invalid, "rows", rep.Rows))
	}
	rate := float64(rep.Rows) / took.Seconds()
	fmt.Fprintln(out, l.T("children.import.summary", "file", rep.FileName, "rows", rep.Rows, "imported", rep.Imported,
		"existing", rep.Existing, "duplicates", rep.Duplicates, "invalid", rep.Invalid)+
		fmt.Sprintf(" (%s, %s/s)", took.Round(time.Millisecond), i18n.Number(int64(rate))))
	return nil
}

// problemLine writes one problem: line, column, reason.
func problemLine(l *i18n.Localizer, p children.Problem) string {
	s := l.T("children.import.line", "line", p.Line)
	if p.Column != "" {
		s += ", " + l.T("children.import.column", "column", p.Column)
	}
	return s + ": " + l.T(p.Key, p.Args)
}

// interspersed puts flags before the other arguments, so that
// `import children FILE --skip-invalid` reads like `import children --skip-invalid FILE`.
func interspersed(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return append(flags, rest...)
}

// progressBar draws an import's progress on a terminal line.
type progressBar struct {
	w     io.Writer
	l     *i18n.Localizer
	now   func() time.Time
	last  time.Time
	phase string
	drawn bool
	quiet bool
}

func (b *progressBar) show(p children.Progress) {
	if b.quiet {
		return
	}
	if p.Phase == b.phase && b.now().Sub(b.last) < 100*time.Millisecond && p.Done < p.Total {
		return
	}
	b.phase, b.last = p.Phase, b.now()
	const width = 30
	fill := 0
	pct := 0
	if p.Total > 0 {
		fill, pct = p.Done*width/p.Total, p.Done*100/p.Total
	}
	fmt.Fprintf(b.w, "\r%-12s [%s%s] %3d%%  %s/%s", b.l.T("children.import.phase."+p.Phase),
		strings.Repeat("#", fill), strings.Repeat("-", width-fill), pct, i18n.Number(int64(p.Done)), i18n.Number(int64(p.Total)))
	b.drawn = true
}

func (b *progressBar) end() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
