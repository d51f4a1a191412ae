package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// chartLayout is what the overview's charts look like in the browser,
// read from the DOM.
type chartLayout struct {
	ViewportWidth float64 `json:"vw"`
	ScrollWidth   float64 `json:"scrollWidth"`
	Charts        []struct {
		ID   string     `json:"id"`
		Box  [4]float64 `json:"box"` // left, right, width, height
		Bars []struct {
			Action string     `json:"action"`
			Count  int64      `json:"count"`
			Box    [4]float64 `json:"box"` // page x, page y, width, height
			Fill   string     `json:"fill"`
		} `json:"bars"`
	} `json:"charts"`
}

const readChartLayout = `JSON.stringify({
	vw: window.innerWidth,
	scrollWidth: document.documentElement.scrollWidth,
	charts: [...document.querySelectorAll("svg.bars")].map(svg => {
		const r = svg.getBoundingClientRect();
		return {id: svg.id, box: [r.left, r.right, r.width, r.height],
			bars: [...svg.querySelectorAll("rect.bar")].map(b => {
				const q = b.getBoundingClientRect();
				return {action: b.dataset.action, count: +b.dataset.count,
					box: [q.left + window.scrollX, q.top + window.scrollY, q.width, q.height], fill: getComputedStyle(b).fill};
			})};
	}),
})`

// TestBrowserOverview loads the overview at 1280 px in headless chromium
// and checks the charts' layout: both have a size, neither overflows the
// viewport, every bar is drawn with a size that follows its count, and a
// full-page screenshot has each day bar's colour where the DOM puts it.
func TestBrowserOverview(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := newConsole(t)
	bctx := newBrowser(t, ctx)
	now := time.Now().UTC()
	hour := now.Truncate(time.Hour)
	var evs []event.Event
	add := func(n int, at time.Time, rule, action string) {
		for i := range n {
			evs = append(evs, event.Event{ID: event.NewID(), Time: at.Add(time.Duration(i) * time.Second), Cluster: "east",
				Namespace: "shop", Kind: "Pod", Name: "web", Tab: "deployment", Rule: rule, Action: action, Message: "m"})
		}
	}
	add(5, hour, "privileged", "block")
	add(8, hour.Add(-3*time.Hour), "hostPID", "log")
	add(2, hour.Add(-3*time.Hour), "hostPID", "block")
	add(3, hour.Add(-30*time.Hour), "Terminal shell", "terminate")
	add(4, hour.Add(-100*time.Hour), "Terminal shell", "isolate")
	if _, err := s.svc.Store().AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	_, token, err := s.svc.RegisterCluster(ctx, "east")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.svc.RegisterCluster(ctx, "west"); err != nil {
		t.Fatal(err)
	}
	agentCall(t, s.URL, token, http.MethodGet, "/api/v1/agent/policy?wait=0s", "", nil)

	b := &tab{t: t, ctx: bctx}
	b.do("log in", chromedp.Navigate(s.URL+"/login"), typeInto("#token", viewerToken), clickLoads("#login-submit"))
	b.do("overview at 1280 px", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.URL+"/"),
		visible("#chart-day-figure"), visible("#chart-week-figure"))
	if got := b.text("#overview-cluster-west .state"); got != "silent" {
		t.Errorf("west (never seen): %q, want silent", got)
	}
	if got := b.text("#overview-cluster-east .state"); got != "current" {
		t.Errorf("east: %q, want current", got)
	}
	var l chartLayout
	if err := json.Unmarshal([]byte(b.read("chart layout", chromedp.Evaluate[string](readChartLayout))), &l); err != nil {
		t.Fatal(err)
	}
	if l.ViewportWidth != 1280 || l.ScrollWidth > l.ViewportWidth {
		t.Errorf("viewport %v px wide, page %v px: the page overflows", l.ViewportWidth, l.ScrollWidth)
	}
	if len(l.Charts) != 2 {
		t.Fatalf("%d charts, want 2", len(l.Charts))
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	wantBars := map[string]int{"chart-day": 3, "chart-week": 5} // stacked segments with events
	for _, c := range l.Charts {
		left, right, width, height := c.Box[0], c.Box[1], c.Box[2], c.Box[3]
		if width < 600 || height < 120 || left < 0 || right > l.ViewportWidth {
			t.Errorf("%s: %v×%v px from x=%v to %v; want at least 600×120 inside the %v px viewport", c.ID, width, height, left, right, l.ViewportWidth)
		}
		if len(c.Bars) != wantBars[c.ID] {
			t.Errorf("%s: %d bars drawn, want %d", c.ID, len(c.Bars), wantBars[c.ID])
		}
		// A bar's height follows its count: px per event is the same for
		// every bar of a chart.
		var perEvent float64
		for _, bar := range c.Bars {
			w, h := bar.Box[2], bar.Box[3]
			if w <= 0 || h <= 0 || bar.Box[0] < left || bar.Box[0]+w > right+0.5 {
				t.Errorf("%s: the %d %s bar is %v×%v px at x=%v, outside the chart or empty", c.ID, bar.Count, bar.Action, w, h, bar.Box[0])
				continue
			}
			if perEvent == 0 {
				perEvent = h / float64(bar.Count)
			} else if d := h/float64(bar.Count) - perEvent; d > 0.5 || d < -0.5 {
				t.Errorf("%s: the %d %s bar is %v px high, %v px an event; others %v", c.ID, bar.Count, bar.Action, h, h/float64(bar.Count), perEvent)
			}
			if c.ID != "chart-day" {
				continue
			}
			// The pixel at the bar's centre has its colour.
			x, y := int(bar.Box[0]+w/2), int(bar.Box[1]+h/2)
			var want [3]int
			if _, err := fmt.Sscanf(bar.Fill, "rgb(%d, %d, %d)", &want[0], &want[1], &want[2]); err != nil {
				t.Fatalf("fill %q: %v", bar.Fill, err)
			}
			if got := pixel(img, x, y); !near(got, want) {
				t.Errorf("%s: the %s bar's centre (%d, %d) in the screenshot is %v, want %v", c.ID, bar.Action, x, y, got, want)
			}
		}
	}
	if n := b.count("#chart-day-table tbody tr"); n != 24 {
		t.Errorf("the day chart's table has %d hours, want 24", n)
	}
	if n := b.count("#chart-week-table tbody tr"); n != 168 {
		t.Errorf("the week chart's table has %d hours, want 168", n)
	}
}

// pixel is the colour at (x, y) as 8-bit RGB.
func pixel(img image.Image, x, y int) [3]int {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
}

// near compares colours with a little room for antialiasing and colour
// management.
func near(a, b [3]int) bool {
	for i := range a {
		if d := a[i] - b[i]; d > 12 || d < -12 {
			return false
		}
	}
	return true
}
