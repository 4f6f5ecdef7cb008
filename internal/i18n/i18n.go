// Package i18n holds the message catalogs (Vietnamese first, English) and
// the formatting of dates, numbers and money the way Vietnamese users read
// them. Catalogs are JSON files under locales/<lang>/, one file per area so
// that areas can be translated and reviewed separately; every key must exist
// in every language (a test checks).
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed locales
var localesFS embed.FS

// Languages lists the supported languages, the default first.
var Languages = []string{"vi", "en"}

// Default is the language used when none is chosen.
const Default = "vi"

// MissingMark wraps a key that has no message, so that a missing translation
// is visible on the page and a browser test can find it.
const MissingMark = "⟦"

// Bundle holds every catalog.
type Bundle struct {
	msgs map[string]map[string]string // lang → key → message
}

// Load reads the embedded catalogs.
func Load() (*Bundle, error) {
	b := &Bundle{msgs: map[string]map[string]string{}}
	for _, lang := range Languages {
		b.msgs[lang] = map[string]string{}
		dir := path.Join("locales", lang)
		entries, err := fs.ReadDir(localesFS, dir)
		if err != nil {
			return nil, fmt.Errorf("read catalog %s: %w", dir, err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			raw, err := localesFS.ReadFile(path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			var m map[string]string
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, fmt.Errorf("catalog %s/%s: %w", lang, e.Name(), err)
			}
			for k, v := range m {
				if _, dup := b.msgs[lang][k]; dup {
					return nil, fmt.Errorf("catalog %s: key %q defined twice", lang, k)
				}
				b.msgs[lang][k] = v
			}
		}
	}
	return b, nil
}

// MustLoad is Load for program start-up and tests.
func MustLoad() *Bundle {
	b, err := Load()
	if err != nil {
		panic(err)
	}
	return b
}

// Keys returns the sorted keys of one language.
func (b *Bundle) Keys(lang string) []string {
	keys := make([]string, 0, len(b.msgs[lang]))
	for k := range b.msgs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether lang has a message for key.
func (b *Bundle) Has(lang, key string) bool {
	_, ok := b.msgs[lang][key]
	return ok
}

// Match picks a supported language from a preference ("en", "en-US", "vi").
func Match(pref string) string {
	for _, part := range strings.Split(pref, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		base := strings.SplitN(tag, "-", 2)[0]
		for _, l := range Languages {
			if base == l {
				return l
			}
		}
	}
	return Default
}

// Localizer translates into one language.
type Localizer struct {
	b    *Bundle
	Lang string
}

// For returns a Localizer for lang (the default when unsupported).
func (b *Bundle) For(lang string) *Localizer {
	if _, ok := b.msgs[lang]; !ok {
		lang = Default
	}
	return &Localizer{b: b, Lang: lang}
}

// T translates key, replacing {name} with args given as a map or as
// name, value pairs.
func (l *Localizer) T(key string, args ...any) string {
	msg, ok := l.b.msgs[l.Lang][key]
	if !ok {
		return MissingMark + key + "⟧"
	}
	var m map[string]any
	if len(args) == 1 {
		if mm, ok := args[0].(map[string]any); ok {
			m = mm
		}
	}
	if m == nil && len(args) > 1 {
		m = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			if k, ok := args[i].(string); ok {
				m[k] = args[i+1]
			}
		}
	}
	if len(m) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	var sb strings.Builder
	for {
		i := strings.IndexByte(msg, '{')
		if i < 0 {
			sb.WriteString(msg)
			break
		}
		j := strings.IndexByte(msg[i:], '}')
		if j < 0 {
			sb.WriteString(msg)
			break
		}
		name := msg[i+1 : i+j]
		sb.WriteString(msg[:i])
		if v, ok := m[name]; ok {
			sb.WriteString(l.arg(v))
		} else {
			sb.WriteString(msg[i : i+j+1])
		}
		msg = msg[i+j+1:]
	}
	return sb.String()
}

func (l *Localizer) arg(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return Number(int64(x))
	case int64:
		return Number(x)
	case time.Time:
		return Date(x)
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

type ctxKey struct{}

// With stores the localizer in ctx.
func With(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the localizer in ctx, or nil.
func From(ctx context.Context) *Localizer {
	l, _ := ctx.Value(ctxKey{}).(*Localizer)
	return l
}

// Number writes n with dots between thousands: 1.234.567.
func Number(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	pre := len(s) % 3
	if pre > 0 {
		sb.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if sb.Len() > 0 && !(neg && sb.Len() == 1) {
			sb.WriteByte('.')
		}
		sb.WriteString(s[i : i+3])
	}
	return sb.String()
}

// VND writes an amount of đồng: 1.500.000 ₫.
func VND(n int64) string { return Number(n) + " ₫" }

// Decimal writes f with a comma as the decimal mark and dots between
// thousands, with the given number of decimals: 1.234,5.
func Decimal(f float64, decimals int) string {
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	n, _ := strconv.ParseInt(intPart, 10, 64)
	out := Number(n)
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "," + frac
	}
	return out
}

// Vietnam's time zone; the country has no daylight saving time.
var Vietnam = time.FixedZone("ICT", 7*3600)

// Date writes dd/mm/yyyy in Vietnam's time zone.
func Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Vietnam).Format("02/01/2006")
}

// DateTime writes dd/mm/yyyy hh:mm in Vietnam's time zone.
func DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Vietnam).Format("02/01/2006 15:04")
}
