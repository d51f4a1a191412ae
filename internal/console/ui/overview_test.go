package ui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// The overview is the landing page: its numbers are the trail's, in the
// summary, the bars' titles, the tables beside the charts and the top
// lists, and every cluster has its state.
func TestOverviewPage(t *testing.T) {
	s := newConsole(t)
	ctx := context.Background()
	hour := time.Now().UTC().Truncate(time.Hour)
	var evs []event.Event
	add := func(n int, at time.Time, ns, rule, action string) {
		for i := range n {
			evs = append(evs, event.Event{ID: event.NewID(), Time: at.Add(time.Duration(i) * time.Second), Cluster: "east",
				Namespace: ns, Kind: "Pod", Name: "web", Tab: "deployment", Rule: rule, Action: action, Message: "m"})
		}
	}
	add(1234, hour, "shop", "privileged", "block")
	add(3, hour.Add(-2*time.Hour), "shop", "hostPID", "log")
	add(2, hour.Add(-2*time.Hour), "pay<ments>", "hostPID", "block")
	add(4, hour.Add(-50*time.Hour), "shop", "Terminal shell", "terminate")
	if _, err := s.svc.Store().AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.svc.RegisterCluster(ctx, "west"); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login(viewerToken)
	a := b.get("/")
	if a.status != 200 {
		t.Fatalf("overview: %d", a.status)
	}
	for _, want := range []string{
		`<strong id="day-total">1,239</strong>`, `<strong id="day-blocks">1,236</strong>`,
		`id="attention">1 silent</a>`,
		// A bar's title is its exact count.
		`<title>` + hour.Format("2006-01-02 15:04") + `–` + hour.Add(time.Hour).Format("15:04") + ` UTC: 1,234 block</title>`,
		`<title>` + hour.Add(-50*time.Hour).Format("2006-01-02 15:04") + `–` + hour.Add(-49*time.Hour).Format("15:04") + ` UTC: 4 terminate</title>`,
		// The SVG says what it shows, in words.
		`<desc id="chart-day-desc">1,239 events from `,
		`: 3 log, 1,236 block. The busiest hour had 1,234.</desc>`,
		`href="/events?action=block&amp;rule=privileged&amp;since=` + hour.Add(-23*time.Hour).Format("2006-01-02T15") + `%3A00%3A00Z"`,
		`<td><a href="/events?action=block&amp;cluster=east&amp;namespace=pay%3Cments%3E&amp;since=`,
		`>pay&lt;ments&gt;</a></td><td class="num">2</td>`,
		`<tr id="overview-cluster-west" class="state-silent">`,
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("the overview lacks %s", want)
		}
	}
	// The tables beside the charts: a row per hour, a column per action.
	day := tableRows(t, a.body, "chart-day-table")
	if len(day) != 24+2 {
		t.Fatalf("day table: %d rows, want a header, 24 hours and a total", len(day))
	}
	if diff := cmp.Diff([]string{"Hour (UTC)", "log", "block", "total"}, day[0]); diff != "" {
		t.Errorf("day table header (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{hour.Format("2006-01-02 15:04"), "0", "1,234", "1,234"}, day[24]); diff != "" {
		t.Errorf("day table, this hour (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{hour.Add(-2 * time.Hour).Format("2006-01-02 15:04"), "3", "2", "5"}, day[22]); diff != "" {
		t.Errorf("day table, two hours ago (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Total", "3", "1,236", "1,239"}, day[25]); diff != "" {
		t.Errorf("day table, total (-want +got):\n%s", diff)
	}
	week := tableRows(t, a.body, "chart-week-table")
	if len(week) != 168+2 || week[169][3] != "4" || week[169][4] != "1,243" {
		t.Errorf("week table: %d rows, total %v", len(week), week[len(week)-1])
	}
	if diff := cmp.Diff([][]string{{"Rule", "Blocks"}, {"privileged", "1,234"}, {"hostPID", "2"}}, tableRows(t, a.body, "week-top-rules")); diff != "" {
		t.Errorf("week's top rules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"Cluster", "Namespace", "Blocks"}, {"east", "shop", "1,234"}, {"east", "pay<ments>", "2"}},
		tableRows(t, a.body, "day-top-namespaces")); diff != "" {
		t.Errorf("day's top namespaces (-want +got):\n%s", diff)
	}
}

var (
	cellRE = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	tagRE  = regexp.MustCompile(`<[^>]+>`)
)

// tableRows returns the text of each cell of the table with the given ID,
// row by row.
func tableRows(t *testing.T, body, id string) [][]string {
	t.Helper()
	start := strings.Index(body, `<table class="list`)
	for start >= 0 && !strings.Contains(body[start:start+200], `id="`+id+`"`) {
		next := strings.Index(body[start+1:], `<table class="list`)
		if next < 0 {
			start = -1
			break
		}
		start += 1 + next
	}
	if start < 0 {
		t.Fatalf("no table %s", id)
	}
	table := body[start : start+strings.Index(body[start:], "</table>")]
	var rows [][]string
	for _, tr := range strings.Split(table, "<tr")[1:] {
		var cells []string
		for _, m := range cellRE.FindAllStringSubmatch(tr, -1) {
			cells = append(cells, htmlUnescape(strings.TrimSpace(tagRE.ReplaceAllString(m[1], ""))))
		}
		rows = append(rows, cells)
	}
	return rows
}

func TestNiceScale(t *testing.T) {
	// The axis holds the peak in at most five steps of 1, 2 or 5 times a
	// power of ten.
	for _, tc := range []struct{ peak, top, step int64 }{
		{0, 4, 1}, {3, 4, 1}, {5, 6, 2}, {10, 10, 5}, {17, 20, 5}, {99, 100, 50}, {1234, 1500, 500}, {100000, 100000, 50000},
	} {
		if top, step := niceScale(tc.peak); top != tc.top || step != tc.step {
			t.Errorf("niceScale(%d) = %d, %d; want %d, %d", tc.peak, top, step, tc.top, tc.step)
		}
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// A bar's segments stack in the order of the actions, each as high as
// its count, under a scale that holds the busiest hour.
func TestBarChartLayout(t *testing.T) {
	h0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := service.Activity{From: h0, To: h0.Add(3 * time.Hour), Actions: []string{"log", "block"},
		Totals: map[string]int64{"log": 6, "block": 2}, Total: 8,
		Hours: []service.HourActivity{
			{Hour: h0, Counts: map[string]int64{"log": 6, "block": 2}, Total: 8},
			{Hour: h0.Add(time.Hour), Counts: map[string]int64{}},
			{Hour: h0.Add(2 * time.Hour), Counts: map[string]int64{"block": 1}, Total: 1},
		}}
	c := newBarChart("c", a, 2, func(t time.Time) string { return t.Format("15") })
	if len(c.Bars) != 3 || len(c.Bars[0].Segments) != 2 || len(c.Bars[1].Segments) != 0 || len(c.XTicks) != 2 || c.XTicks[1].Label != "02" {
		t.Fatalf("bars %+v, x ticks %+v", c.Bars, c.XTicks)
	}
	log, block := c.Bars[0].Segments[0], c.Bars[0].Segments[1]
	bottom := c.Plot.Y + c.Plot.H
	top, _ := niceScale(8)
	perEvent := c.Plot.H / float64(top)
	if log.Action != "log" || log.Y+log.H != bottom || block.Y+block.H != log.Y || log.H != 6*perEvent || block.H != 2*perEvent {
		t.Errorf("stack: log %+v, block %+v (plot bottom %v, %v per event)", log, block, bottom, perEvent)
	}
	if want := "2026-01-01 00:00–01:00 UTC: 6 log"; log.Title != want {
		t.Errorf("title %q, want %q", log.Title, want)
	}
	if x := c.Bars[2].Segments[0].X; x <= block.X || x+c.Bars[2].Segments[0].W > c.Plot.X+c.Plot.W {
		t.Errorf("the last bar at %v is not right of the first (%v) inside the plot", x, block.X)
	}
	if got := fmt.Sprintf("%s %s", c.Legend[0].Action, c.Legend[1].Action); got != "log block" {
		t.Errorf("legend %s", got)
	}
	svg := string(c.BarsSVG())
	if n := strings.Count(svg, "<rect "); n != 3 || !strings.Contains(svg, `<rect class="bar act-log" data-action="log" data-count="6" x="`) ||
		!strings.Contains(svg, `<title>2026-01-01 00:00–01:00 UTC: 6 log</title>`) {
		t.Errorf("bars as SVG:\n%s", svg)
	}
	// An action is the agent's word: it is escaped, and not a colour class.
	a.Actions = []string{`x"><script>`}
	a.Hours[0].Counts = map[string]int64{`x"><script>`: 1}
	svg = string(newBarChart("c", a, 2, func(t time.Time) string { return "" }).BarsSVG())
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, `class="bar act-other" data-action="x&#34;&gt;&lt;script&gt;"`) {
		t.Errorf("an odd action as SVG:\n%s", svg)
	}
}
