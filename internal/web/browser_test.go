package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"treem/internal/auth"
	"treem/internal/demo"
	"treem/internal/testenv"
	"treem/internal/web"
)

// chromium finds Debian's Chromium (installed by .ci/run), or skips.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TREEM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium installed: the browser test needs Debian's chromium package (apt-get install chromium); .ci/run installs it")
	return ""
}

// browserErrors collects JavaScript exceptions and console errors (which
// include Content-Security-Policy violations) of a tab.
type browserErrors struct {
	mu   sync.Mutex
	errs []string
}

func (b *browserErrors) add(s string) {
	b.mu.Lock()
	b.errs = append(b.errs, s)
	b.mu.Unlock()
}

func (b *browserErrors) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.errs
	b.errs = nil
	return out
}

// Every demo role signs in and opens every top-level page it has, on a
// 360-pixel phone and on a desktop: no JavaScript error, no missing
// translation, and nothing wider than a phone's screen.
func TestEveryRoleOpensEveryPageInABrowser(t *testing.T) {
	exe := chromium(t)
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	h := testenv.NewWith(t, testenv.Options{Demo: true})

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// This machine's network is closed: stop Chromium's own calls home.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		t.Skipf("Chromium does not start here: %v", err)
	}

	for _, acc := range demo.Accounts {
		for _, width := range []int64{360, 1280} {
			t.Run(fmt.Sprintf("%s/%d", acc.Username, width), func(t *testing.T) {
				ctx, cancel := chromedp.NewContext(bctx)
				defer cancel()
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
					t.Fatal(err)
				}
				// JavaScript exceptions and errors in the console, which
				// include Content-Security-Policy violations.
				errs := &browserErrors{}
				messages := chromedp.Console(ctx)
				go func() {
					for m, err := range messages {
						if err != nil {
							return
						}
						if m.IsException() || m.Type == "error" {
							errs.add(m.String())
						}
					}
				}()
				err := chromedp.Do(ctx,
					chromedp.Navigate(h.URL+"/login"),
					chromedp.WaitVisible(chromedp.CSS(`#f-username`)),
					chromedp.SendKeys(chromedp.CSS(`#f-username`), acc.Username),
					chromedp.SendKeys(chromedp.CSS(`#f-password`), demo.Password),
					chromedp.Submit(chromedp.CSS(`#f-password`)),
					chromedp.WaitVisible(chromedp.CSS(`a.me`)),
				)
				if err != nil {
					t.Fatalf("sign in as %s: %v", acc.Username, err)
				}
				for _, href := range append(web.NavHrefs(acc.Role), extraPages(acc)...) {
					// A page that never finishes fails this test, not the whole run.
					pctx, cancelPage := context.WithTimeout(ctx, 20*time.Second)
					err := chromedp.Do(pctx, chromedp.Navigate(h.URL+href), chromedp.WaitReady(chromedp.CSS("#main")))
					cancelPage()
					if err != nil {
						t.Fatalf("%s: %v", href, err)
					}
					html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
					if err != nil {
						t.Fatalf("%s: %v", href, err)
					}
					overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
					if err != nil {
						t.Fatalf("%s: %v", href, err)
					}
					if i := strings.Index(html, "⟦"); i >= 0 {
						t.Errorf("%s: missing translation %q", href, html[i:min(len(html), i+60)])
					}
					if strings.Contains(html, "Không thực hiện được") || strings.Contains(html, "That did not work") {
						t.Errorf("%s: error page", href)
					}
					if overflow {
						t.Errorf("%s: the page is wider than a %d-pixel screen", href, width)
					}
					for _, e := range errs.take() {
						t.Errorf("%s: %s", href, e)
					}
				}
				// Sign out with the header's button.
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.who button`)),
					chromedp.WaitVisible(chromedp.CSS(`#f-username`))); err != nil {
					t.Fatalf("sign out: %v", err)
				}
			})
		}
	}
}

// extraPages are pages beyond the navigation a demo account opens: the
// demo cases of its unit (cases 1–4 are in 00004, 5–7 in 00008; case 3 is
// confidential), the new-case form, the break-glass log, the calendar.
func extraPages(acc demo.Account) []string {
	has := func(p auth.Perm) bool { return slices.Contains(auth.Grants(acc.Role), p) }
	var out []string
	if has(auth.PermCaseRead) {
		if acc.Unit == "00008" {
			out = append(out, "/cases/5", "/cases/6")
		} else {
			out = append(out, "/cases/1", "/cases/3", "/cases/4")
		}
		out = append(out, "/cases/access-log")
	}
	if has(auth.PermCaseWrite) {
		out = append(out, "/cases/new")
	}
	if has(auth.PermSettings) {
		out = append(out, "/holidays")
	}
	if acc.Role == auth.Admin {
		// A child's personal-data pages, reached from its record.
		out = append(out, "/children/1", "/children/1/privacy", "/children/1/personal-data")
	}
	return out
}
