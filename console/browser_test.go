package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// chromiumPath finds Debian's chromium. The test never skips: without it,
// it fails, naming the fix (scripts/test.sh installs the package).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GUILDHALL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: `make test` installs Debian's chromium package (apt-get install chromium), " +
		"or set GUILDHALL_CHROMIUM to a Chromium binary")
	return ""
}

// artifactsDir is where the screenshots go: $GUILDHALL_TEST_ARTIFACTS or
// artifacts/console at the top of the repository (git-ignored).
func artifactsDir(t *testing.T, sub string) string {
	t.Helper()
	dir := os.Getenv("GUILDHALL_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	dir = filepath.Join(dir, "console", sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pageErrors collects what the page reports as an error: console.error
// and console.assert calls, uncaught exceptions, and the browser's own
// error log entries (CSP violations, failed scripts). Network entries are
// left out: a refusal is an HTTP 4xx by design and Chromium logs each.
type pageErrors struct {
	mu   sync.Mutex
	list []string
}

func (p *pageErrors) add(s string) {
	p.mu.Lock()
	p.list = append(p.list, s)
	p.mu.Unlock()
}

func (p *pageErrors) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.list
	p.list = nil
	return out
}

func TestConsoleInBrowser(t *testing.T) {
	chrome := chromiumPath(t)
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		f := newFixture(t, dialect, dbURL, func(a *testapp.App) {
			a.Hooks.RegisterRPC("echo", func(ctx context.Context, c *hooks.Caller, payload string) (string, error) {
				return "echo:" + payload, nil
			})
		})
		acc, err := f.app.Accounts.GetAccount(context.Background(), f.member.UserID)
		must(t, err)
		memberName := acc.User.Username
		shots := artifactsDir(t, dialect)

		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1000))
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelA()
		ctx, cancel := chromedp.NewContext(actx)
		defer cancel()
		ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
		defer cancelT()

		var errs pageErrors
		chromedp.ListenTarget(ctx, func(ev any) {
			switch e := ev.(type) {
			case *runtime.EventConsoleAPICalled:
				if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
					var args []string
					for _, a := range e.Args {
						args = append(args, string(a.Value)+a.Description)
					}
					errs.add("console." + string(e.Type) + ": " + strings.Join(args, " "))
				}
			case *runtime.EventExceptionThrown:
				errs.add("exception: " + e.ExceptionDetails.Text + " " + e.ExceptionDetails.Error())
			case *log.EventEntryAdded:
				if e.Entry.Level == log.LevelError && e.Entry.Source != log.SourceNetwork {
					errs.add("log (" + string(e.Entry.Source) + "): " + e.Entry.Text + " " + e.Entry.URL)
				}
			case *cdppage.EventJavascriptDialogOpening:
				// hx-confirm's confirmation: accept it, as a user would.
				go func() { _ = chromedp.Run(ctx, cdppage.HandleJavaScriptDialog(true)) }()
			}
		})
		step := 0
		run := func(name string, actions ...chromedp.Action) {
			t.Helper()
			step++
			var buf []byte
			actions = append([]chromedp.Action{log.Enable()}, actions...)
			actions = append(actions, chromedp.FullScreenshot(&buf, 100)) // PNG
			if err := chromedp.Run(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			path := filepath.Join(shots, fmt.Sprintf("%02d-%s.png", step, name))
			if err := os.WriteFile(path, buf, 0o644); err != nil {
				t.Fatal(err)
			}
			if e := errs.take(); len(e) > 0 {
				t.Fatalf("%s: errors in the page:\n%s", name, strings.Join(e, "\n"))
			}
		}
		text := func(sel string) string {
			t.Helper()
			var s string
			if err := chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery)); err != nil {
				t.Fatalf("text of %s: %v", sel, err)
			}
			return s
		}

		// A wrong password is refused; the right one logs in.
		run("login", chromedp.Navigate(f.app.URL+"/console"), chromedp.WaitVisible("#login-form", chromedp.ByQuery))
		run("wrong-password",
			chromedp.SendKeys("#username", "admin", chromedp.ByQuery),
			chromedp.SendKeys("#password", "not-it", chromedp.ByQuery),
			chromedp.Click("#login", chromedp.ByQuery),
			chromedp.WaitVisible("#error", chromedp.ByQuery))
		if got := text("#error"); !strings.Contains(got, "Wrong username or password.") {
			t.Fatalf("wrong password: %q", got)
		}
		run("overview",
			chromedp.SendKeys("#username", "admin", chromedp.ByQuery),
			chromedp.SendKeys("#password", "password", chromedp.ByQuery),
			chromedp.Click("#login", chromedp.ByQuery),
			chromedp.WaitVisible("#count-groups", chromedp.ByQuery))
		if got := text("#count-users"); got != "4" {
			t.Fatalf("users count %q", got)
		}

		// Search a group and open it.
		run("groups",
			// Straight to the page (a click on the menu link could race the
			// overview's own loading on a busy machine).
			chromedp.Navigate(f.app.URL+"/console/groups"),
			chromedp.WaitVisible("#group-search", chromedp.ByQuery),
			chromedp.SendKeys("#q", "night", chromedp.ByQuery),
			chromedp.Click("#search", chromedp.ByQuery),
			// The answer's own field (the value attribute is the server's;
			// typing sets only the property), then the group in it: the
			// unfiltered list lists the group too.
			chromedp.WaitVisible(`#q[value="night"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#groups a[href="/console/groups/`+f.group.ID+`"]`, chromedp.ByQuery))
		run("group",
			chromedp.Click(`#groups a[href="/console/groups/`+f.group.ID+`"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#group-name", chromedp.ByQuery),
			chromedp.WaitVisible(`tr[data-user="`+memberName+`"]`, chromedp.ByQuery))
		if got := text("#group-count"); got != "3 / 10" {
			t.Fatalf("count before the kick %q", got)
		}

		// Kick the member (confirmed); the list and the count update in place.
		run("kicked",
			chromedp.Click(`tr[data-user="`+memberName+`"] button.act-kick`, chromedp.ByQuery),
			chromedp.WaitNotPresent(`tr[data-user="`+memberName+`"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#members .flash", chromedp.ByQuery))
		if got := text("#group-count"); got != "2 / 10" {
			t.Fatalf("count after the kick %q", got)
		}
		if st := f.stateOf(t, f.member.UserID); st != -1 {
			t.Fatalf("member's state after the kick: %d", st)
		}

		// Metadata: invalid JSON is refused with its position, valid JSON saved.
		run("metadata-invalid",
			chromedp.Clear("#metadata", chromedp.ByQuery),
			chromedp.SendKeys("#metadata", `{"tier": gold}`, chromedp.ByQuery),
			chromedp.WaitVisible("#json-status.bad", chromedp.ByQuery),
			chromedp.Click("#save-metadata", chromedp.ByQuery),
			chromedp.WaitVisible("#metadata-error", chromedp.ByQuery))
		if got := text("#metadata-error"); !strings.Contains(got, "Invalid JSON at line 1, column 10") {
			t.Fatalf("invalid metadata: %q", got)
		}
		if g := f.groupNow(t); g.Metadata != "{}" {
			t.Fatalf("invalid metadata stored: %q", g.Metadata)
		}
		run("metadata-valid",
			chromedp.Clear("#metadata", chromedp.ByQuery),
			chromedp.SendKeys("#metadata", `{"tier": "gold"}`, chromedp.ByQuery),
			chromedp.Click("#save-metadata", chromedp.ByQuery),
			chromedp.WaitVisible("main > .flash", chromedp.ByQuery))
		if got := text("#group-metadata"); !strings.Contains(got, `"tier": "gold"`) {
			t.Fatalf("metadata shown: %q", got)
		}
		if g := f.groupNow(t); g.Metadata != `{"tier": "gold"}` {
			t.Fatalf("metadata stored: %q", g.Metadata)
		}

		// Edit the join policy: straight to the group page (no flash there
		// yet), choose invite_only, save, and see it on the reloaded page.
		run("join-policy",
			chromedp.Navigate(f.app.URL+"/console/groups/"+f.group.ID),
			chromedp.WaitVisible("#edit-form #join_policy", chromedp.ByQuery),
			chromedp.SetValue("#join_policy", "invite_only", chromedp.ByQuery),
			chromedp.Click("#save-group", chromedp.ByQuery),
			chromedp.WaitVisible("main > .flash", chromedp.ByQuery),
			chromedp.WaitVisible("#group-policy", chromedp.ByQuery))
		if got := text("#group-policy"); got != "invite_only" {
			t.Fatalf("join policy shown: %q", got)
		}
		if g := f.groupNow(t); g.JoinPolicy != "invite_only" || g.Open {
			t.Fatalf("join policy stored: %q (open %v)", g.JoinPolicy, g.Open)
		}

		// The other pages.
		run("users",
			chromedp.Click(`a[href="/console/users"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#user-search", chromedp.ByQuery),
			chromedp.SendKeys("#user-q", f.ownerDev, chromedp.ByQuery),
			chromedp.Click("#find-user", chromedp.ByQuery),
			chromedp.WaitVisible(`#users a[href="/console/users/`+f.owner.UserID+`"]`, chromedp.ByQuery))
		run("user",
			chromedp.Click(`#users a[href="/console/users/`+f.owner.UserID+`"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#user-groups", chromedp.ByQuery))
		run("rpc",
			chromedp.Click(`a[href="/console/rpc"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#rpc-form", chromedp.ByQuery),
			chromedp.SendKeys("#rpc-payload", `{"ping":1}`, chromedp.ByQuery),
			chromedp.Click("#run-rpc", chromedp.ByQuery),
			chromedp.WaitVisible("#rpc-result", chromedp.ByQuery))
		if got := text("#rpc-result"); got != `echo:{"ping":1}` {
			t.Fatalf("rpc result %q", got)
		}
		run("logout",
			chromedp.Click("#logout", chromedp.ByQuery),
			chromedp.WaitVisible("#login-form", chromedp.ByQuery))

		// The error check bites: a console.error, an uncaught exception and
		// a Content-Security-Policy violation (an inline style) are reported.
		if err := chromedp.Run(ctx, chromedp.Evaluate(`console.error("planted");
			setTimeout(function () { throw new Error("thrown") }, 0);
			var st = document.createElement("style"); st.textContent = "body{}"; document.head.appendChild(st); 1`, nil)); err != nil {
			t.Fatal(err)
		}
		var seen string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			seen += strings.Join(errs.take(), "\n")
			if strings.Contains(seen, "planted") && strings.Contains(seen, "thrown") && strings.Contains(seen, "Content Security Policy") {
				break
			}
			time.Sleep(20 * time.Millisecond) // polling for the browser's events, not an assertion
		}
		if !strings.Contains(seen, "planted") || !strings.Contains(seen, "thrown") || !strings.Contains(seen, "Content Security Policy") {
			t.Fatalf("planted errors not all seen: %q", seen)
		}
	})
}
