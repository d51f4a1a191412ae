package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// chromiumPath is Debian's chromium (hack/chromium.sh installs it).
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless chromium with a fresh profile, or skips the
// test when it is not installed (fails instead with
// PALISADE_REQUIRE_BROWSER=1, as hack/test.sh sets).
func newBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("PALISADE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("PALISADE_REQUIRE_BROWSER=1 but %s is missing (run hack/chromium.sh): %v", chromiumPath, err)
		}
		t.Skipf("%s is not installed (hack/chromium.sh installs it); skipping the browser test", chromiumPath)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("mute-audio", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1400, 1000),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium-profile")),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	return bctx
}

// tab drives one browser tab through named steps; with
// PALISADE_UI_SCREENSHOTS=DIR it saves a screenshot after each step.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (b *tab) do(name string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	start := time.Now()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s (at %s): %v", name, loc, err)
	}
	b.t.Logf("%s: %v", name, time.Since(start).Round(time.Millisecond))
	if dir := os.Getenv("PALISADE_UI_SCREENSHOTS"); dir != "" {
		if img, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".png"), img, 0o644)
		}
	}
}

// read runs an action that returns a string.
func (b *tab) read(what string, a chromedp.Action[string]) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("read %s: %v", what, err)
	}
	return strings.TrimSpace(v)
}

func (b *tab) text(sel string) string  { return b.read(sel, chromedp.Text(chromedp.CSS(sel))) }
func (b *tab) value(sel string) string { return b.read(sel, chromedp.Value(chromedp.CSS(sel))) }

// count returns how many elements match a CSS selector.
func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

// clickLoads clicks and waits for the page it leads to to load.
func clickLoads(sel string) chromedp.Action[chromedp.Void] {
	wait := chromedp.WaitEvent(cdppage.LoadEventFired, nil, click(sel))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := wait(ctx, t)
		return chromedp.Void{}, err
	}
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), text)
}
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}

// TestBrowserClickThrough drives the real console in headless chromium
// the way an operator would: log in, create a policy through the form
// (fixing a validation error shown next to its field), register a
// cluster, assign the policy, follow an event the cluster's agent pushes
// from the trail to its detail page, and read what was done in the audit
// log.
func TestBrowserClickThrough(t *testing.T) {
	// A bound against a hung browser, not a speed check: on a loaded
	// machine one step can take half a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := newConsole(t)
	b := &tab{t: t, ctx: newBrowser(t, ctx)}
	began := time.Now()

	b.do("log in",
		chromedp.Navigate(s.URL+"/login"),
		typeInto("#token", adminToken),
		clickLoads("#login-submit"),
		visible("#nav-policies"),
	)
	if role := b.text("#role"); role != "admin" {
		t.Errorf("role in the header = %q, want admin", role)
	}

	const minPort = "#cw-deployment-r-hostNetworkAndPorts-p-minPort"
	if n := b.count("#chart-day-figure"); n != 1 {
		t.Error("logging in does not land on the overview")
	}
	b.do("policy with an invalid property",
		clickLoads("#nav-policies"),
		clickLoads("#new-policy"),
		visible("#policy-form"),
		// The script shows one tab at a time.
		click("#cw-tab-continuous"),
		visible("#cw-continuous-r-privileged-enabled"),
		click("#cw-tab-deployment"),
		visible("#cw-deployment-r-privileged-enabled"),
		typeInto("#name", "prod"),
		typeInto("#description", "block privileged workloads"),
		click("#cw-deployment-r-hostNetworkAndPorts-enabled"),
		typeInto(minPort, "70000"),
		clickLoads("#save"),
		visible(minPort+"-error"),
	)
	if msg := b.text(minPort + "-error"); !strings.Contains(msg, "must be from 0 to 65535") {
		t.Errorf("error next to minPort = %q", msg)
	}
	// The message sits in the property's own block, next to its input.
	if n := b.count(".prop:has(> " + minPort + ") > " + minPort + "-error"); n != 1 {
		t.Errorf("the minPort error is not in minPort's block (%d matches)", n)
	}
	if n := b.count("#cw-panel-continuous.active, #cw-panel-runtime.active"); n != 0 {
		t.Error("a tab other than deployment is shown next to it")
	}
	if name, v := b.value("#name"), b.value(minPort); name != "prod" || v != "70000" {
		t.Errorf("the form lost what was typed: name %q, minPort %q", name, v)
	}

	b.do("fix and save",
		setValue(minPort, "1000"),
		setValue("#cw-deployment-r-hostNetworkAndPorts-p-maxPort", "2000"),
		click("#cw-deployment-r-privileged-enabled"),
		setValue("#cw-deployment-r-privileged-action", "block"),
		clickLoads("#save"),
		visible("#flash"),
	)
	if flash := b.text("#flash"); flash != "Policy saved." {
		t.Errorf("flash after saving = %q", flash)
	}
	doc, err := s.svc.Store().GetPolicy(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	var stored policy.Policy
	if err := json.Unmarshal(doc.Body, &stored); err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range stored.Spec.ClusterWide.Deployment.Rules {
		got = append(got, fmt.Sprintf("%s %s %s", r.Rule, r.Action, r.Properties))
	}
	want := []string{`hostNetworkAndPorts log {"maxPort":2000,"minPort":1000}`, "privileged block "}
	if diff := cmp.Diff(want, got); diff != "" || stored.Spec.Description != "block privileged workloads" {
		t.Errorf("stored deployment rules (-want +got):\n%s\ndescription %q", diff, stored.Spec.Description)
	}

	b.do("register a cluster",
		clickLoads("#nav-clusters"),
		visible("#register-form"),
		typeInto("#cluster-name", "east"),
		clickLoads("#register"),
		visible("#agent-token"),
	)
	token, command := b.value("#agent-token"), b.text("#agent-command")
	if len(token) < 40 || command != "palisade agent --console "+s.URL+" --token "+token {
		t.Fatalf("token %q, command %q", token, command)
	}

	b.do("open the cluster", clickLoads("#cluster-link"), visible("#assign-form"))
	if html := b.read("page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, token) {
		t.Error("the cluster page shows the agent token again")
	}
	if sync := b.text("#sync"); sync != "never connected" {
		t.Errorf("before the agent called: %q", sync)
	}
	b.do("assign the policy", setValue("#policy", "prod"), clickLoads("#assign"), visible("#flash"))
	if assigned := b.text("#cluster-policy"); !strings.HasPrefix(assigned, "prod") {
		t.Errorf("assigned policy shown as %q", assigned)
	}

	// As the cluster's agent would: pull the policy, confirm it, and push
	// events.
	etag := agentCall(t, s.URL, token, http.MethodGet, "/api/v1/agent/policy?wait=0s", "", nil).Header.Get("ETag")
	agentCall(t, s.URL, token, http.MethodGet, "/api/v1/agent/policy?wait=0s", etag, nil)
	now := time.Now().UTC().Truncate(time.Second)
	blocked := event.Event{ID: event.NewID(), Time: now, Namespace: "shop", Kind: "Deployment", Name: "web",
		Container: "app", Tab: "deployment", Rule: "privileged", Action: "block", Policy: "prod", User: "alice",
		Message: `containerSecurityContext violates rule privileged "true" in container(s) "app" (block).`, Operation: "CREATE"}
	logged := event.Event{ID: event.NewID(), Time: now.Add(time.Second), Namespace: "shop", Kind: "Pod", Name: "debug",
		Tab: "deployment", Rule: "hostPID", Action: "log", Policy: "prod", Message: `podSecurityContext violates rule hostPID "true" (log).`}
	agentCall(t, s.URL, token, http.MethodPost, "/api/v1/agent/events", "", []event.Event{blocked, logged})

	b.do("cluster in sync", chromedp.Reload(), visible("#sync"))
	if sync := b.text("#sync"); sync != "in sync" {
		t.Errorf("after the agent confirmed the policy: %q", sync)
	}

	b.do("events", clickLoads("#nav-events"), visible("#events"))
	if n := b.count("#events tr.event"); n != 2 {
		t.Errorf("events: %d rows, want 2", n)
	}
	b.do("filter by rule",
		typeInto("#filter-rule", "privileged"),
		clickLoads("#filter"),
		visible("#events"),
	)
	if n := b.count("#events tr.event"); n != 1 {
		t.Errorf("events with rule privileged: %d rows, want 1", n)
	}

	b.do("event detail", clickLoads("#events .detail-link"), visible("#event"))
	gotFields := map[string]string{}
	wantFields := map[string]string{"id": blocked.ID, "cluster": "east", "namespace": "shop", "kind": "Deployment", "name": "web",
		"container": "app", "tab": "deployment", "rule": "privileged", "action": "block", "policy": "prod", "user": "alice",
		"operation": "CREATE", "message": blocked.Message, "time": now.Format(time.RFC3339)}
	for f := range wantFields {
		gotFields[f] = b.text("#event-" + f)
	}
	if diff := cmp.Diff(wantFields, gotFields); diff != "" {
		t.Errorf("event detail (-want +got):\n%s", diff)
	}

	b.do("audit log", clickLoads("#nav-audit"), visible("#audit"))
	actions, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#audit td.action")).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"cluster.assign", "token.issue", "cluster.create", "policy.create", "login"}, actions); diff != "" {
		t.Errorf("audit log, newest first (-want +got):\n%s", diff)
	}
	b.do("open the policy's diff", click("#audit details summary"), visible("#audit pre.diff"))
	if diff := b.text("#audit pre.diff"); !strings.Contains(diff, "+++ prod (version 1)") || !strings.Contains(diff, "+      - action: block\n+        rule: privileged") {
		t.Errorf("the policy's diff: %q", diff)
	}
	t.Logf("click-through took %v", time.Since(began).Round(time.Millisecond))
}

// agentCall calls the agent API with the cluster's token, as an agent does.
func agentCall(t *testing.T, base, token, method, path, ifNoneMatch string, events []event.Event) *http.Response {
	t.Helper()
	var body bytes.Buffer
	if events != nil {
		if err := json.NewEncoder(&body).Encode(map[string]any{"events": events}); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, base+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if events != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
		t.Fatalf("%s %s as the agent: %s", method, path, resp.Status)
	}
	return resp
}
