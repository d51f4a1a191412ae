package ui

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
)

// barChart is a stacked bar chart of events per hour by action, laid out
// here and drawn as inline SVG by the overview template: no script, a
// <title> on every bar segment with its exact count, and a table with
// every number beside it.
type barChart struct {
	ID string
	// Width and Height are the SVG's viewBox; it scales to the page's
	// width.
	Width, Height int
	// Plot is the area of the bars, inside the axes.
	Plot rect
	Bars []chartBar
	// YTicks are the value axis's labels, XTicks the hours'.
	YTicks, XTicks []tick
	Legend         []legendItem
	// Summary says what the chart shows in words (the SVG's description).
	Summary string
}

type rect struct{ X, Y, W, H float64 }

// chartBar is one hour's stack.
type chartBar struct {
	Hour     time.Time
	Total    int64
	Segments []segment
}

// segment is one action's part of a bar.
type segment struct {
	rect
	Action string
	Count  int64
	// Title is the exact count, as a tooltip and for screen readers.
	Title string
}

type tick struct {
	// Pos is the tick's x (hours) or y (values) in the viewBox.
	Pos   float64
	Label string
}

type legendItem struct {
	Action string
	Total  int64
	// X is where the item starts on the legend's line.
	X float64
}

// Chart geometry, in viewBox units.
const (
	chartWidth  = 960
	chartHeight = 260
	chartLeft   = 52 // room for the value labels
	chartRight  = 8
	chartTop    = 30 // room for the legend
	chartBottom = 26 // room for the hour labels
)

// actionClass names the CSS class of an action's colour: the four known
// actions have their own, anything else shares one.
func actionClass(action string) string {
	switch action {
	case "log", "block", "isolate", "terminate":
		return "act-" + action
	}
	return "act-other"
}

// newBarChart lays out a's hours. The hours whose hour of the day (UTC)
// is a multiple of labelEvery get a label, which label formats: 3 labels
// 00:00, 03:00, ...; 24 labels each midnight.
func newBarChart(id string, a service.Activity, labelEvery int, label func(time.Time) string) barChart {
	c := barChart{ID: id, Width: chartWidth, Height: chartHeight,
		Plot: rect{X: chartLeft, Y: chartTop, W: chartWidth - chartLeft - chartRight, H: chartHeight - chartTop - chartBottom}}
	var peak int64
	for _, h := range a.Hours {
		peak = max(peak, h.Total)
	}
	top, step := niceScale(peak)
	for v := int64(0); v <= top; v += step {
		c.YTicks = append(c.YTicks, tick{Pos: c.Plot.Y + c.Plot.H - float64(v)/float64(top)*c.Plot.H, Label: formatCount(v)})
	}
	slot := c.Plot.W / float64(max(len(a.Hours), 1))
	gap := max(slot*0.15, 0.5)
	if slot < 4 {
		gap = slot * 0.2
	}
	for i, h := range a.Hours {
		x := c.Plot.X + float64(i)*slot
		b := chartBar{Hour: h.Hour, Total: h.Total}
		y := c.Plot.Y + c.Plot.H
		for _, action := range a.Actions {
			n := h.Counts[action]
			if n == 0 {
				continue
			}
			height := float64(n) / float64(top) * c.Plot.H
			y -= height
			b.Segments = append(b.Segments, segment{rect: rect{X: x + gap/2, Y: y, W: slot - gap, H: height}, Action: action, Count: n,
				Title: fmt.Sprintf("%s: %s %s", hourRange(h.Hour), formatCount(n), action)})
		}
		c.Bars = append(c.Bars, b)
		if h.Hour.UTC().Hour()%labelEvery == 0 {
			c.XTicks = append(c.XTicks, tick{Pos: x + slot/2, Label: label(h.Hour)})
		}
	}
	x := c.Plot.X
	var parts []string
	for _, action := range a.Actions {
		c.Legend = append(c.Legend, legendItem{Action: action, Total: a.Totals[action], X: x})
		x += 150
		parts = append(parts, formatCount(a.Totals[action])+" "+action)
	}
	if len(parts) == 0 {
		c.Summary = fmt.Sprintf("No events from %s to %s.", a.From.Format(timeFormat), a.To.Format(timeFormat))
	} else {
		c.Summary = fmt.Sprintf("%s events from %s to %s: %s. The busiest hour had %s.", formatCount(a.Total),
			a.From.Format(timeFormat), a.To.Format(timeFormat), strings.Join(parts, ", "), formatCount(peak))
	}
	return c
}

// BarsSVG writes the bars' <rect> elements, each with its <title>. It is
// written here rather than by the template because a week has hundreds of
// bar segments of seven values each, which html/template would render
// value by value through reflection (ten times slower, BenchmarkOverviewPage).
// The only text from the trail, an action's name, is escaped.
func (c barChart) BarsSVG() template.HTML {
	var b strings.Builder
	num := svgNum
	for _, bar := range c.Bars {
		for _, s := range bar.Segments {
			action := html.EscapeString(s.Action)
			b.WriteString(`<rect class="bar ` + actionClass(s.Action) + `" data-action="` + action +
				`" data-count="` + strconv.FormatInt(s.Count, 10) + `" x="` + num(s.X) + `" y="` + num(s.Y) +
				`" width="` + num(s.W) + `" height="` + num(s.H) + `"><title>` + html.EscapeString(s.Title) + "</title></rect>\n")
		}
	}
	return template.HTML(b.String())
}

// svgNum writes a coordinate of the charts' viewBox, to a tenth.
func svgNum(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// timeFormat is how the overview writes a time: UTC, to the minute.
const timeFormat = "2006-01-02 15:04 UTC"

// hourRange names one hour ("2026-01-02 14:00–15:00 UTC").
func hourRange(h time.Time) string {
	return h.Format("2006-01-02 15:04") + "–" + h.Add(time.Hour).Format("15:04") + " UTC"
}

// niceScale returns the top of a value axis that holds peak, and its
// step: 1, 2 or 5 times a power of ten, four or five steps.
func niceScale(peak int64) (top, step int64) {
	if peak <= 4 {
		return 4, 1
	}
	raw := float64(peak) / 4
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			step = int64(m * pow)
			break
		}
	}
	top = (peak + step - 1) / step * step
	return top, step
}

// formatCount writes a count with thousands separators.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + formatCount(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
