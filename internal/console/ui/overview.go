package ui

import (
	"net/http"
	"net/url"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
)

// overviewData is the landing page: the trail over the last day and week,
// and every cluster's agent.
type overviewData struct {
	*service.Overview
	Day, Week rangeView
	Clusters  []clusterView
	// Attention counts the clusters that are out of date or silent.
	OutOfDate, Silent int
}

// rangeView is one range's chart, with links from its top lists to the
// events they count.
type rangeView struct {
	Name  string
	Since string // the events page's since filter that covers the range
	service.Activity
	Chart barChart
	// Table is the chart's numbers, hour by hour, written out.
	Table []tableRow
}

// tableRow is one hour of a chart's table: its counts per action (in the
// order of Actions) and its total.
type tableRow struct {
	Time, Hour string
	Cells      []string
}

func newRangeView(name string, a service.Activity, chart barChart) rangeView {
	r := rangeView{Name: name, Since: a.From.Format(time.RFC3339), Activity: a, Chart: chart}
	for _, h := range a.Hours {
		cells := make([]string, 0, len(a.Actions)+1)
		for _, action := range a.Actions {
			cells = append(cells, formatCount(h.Counts[action]))
		}
		r.Table = append(r.Table, tableRow{Time: h.Hour.Format(time.RFC3339), Hour: h.Hour.Format("2006-01-02 15:04"),
			Cells: append(cells, formatCount(h.Total))})
	}
	return r
}

// clusterView is a cluster's row.
type clusterView struct {
	service.ClusterState
	LastSeenAgo string
}

// StateLabel is the state as the page writes it.
func (c clusterView) StateLabel() string {
	switch c.State {
	case service.StateOutOfDate:
		return "out of date"
	case service.StateSilent:
		return "silent"
	}
	return c.State
}

// RuleLink lists the range's block events of a rule.
func (r rangeView) RuleLink(rule string) string {
	return "/events?" + url.Values{"rule": {rule}, "action": {"block"}, "since": {r.Since}}.Encode()
}

// NamespaceLink lists the range's block events in a namespace.
func (r rangeView) NamespaceLink(cluster, namespace string) string {
	return "/events?" + url.Values{"cluster": {cluster}, "namespace": {namespace}, "action": {"block"}, "since": {r.Since}}.Encode()
}

func (u *UI) overview(w http.ResponseWriter, r *http.Request, p *page) {
	o, err := u.opts.Service.Overview(r.Context())
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	d := &overviewData{Overview: &o,
		Day: newRangeView("day", o.Day, newBarChart("chart-day", o.Day, 3, func(t time.Time) string { return t.Format("15:04") })),
		Week: newRangeView("week", o.Week,
			newBarChart("chart-week", o.Week, 24, func(t time.Time) string { return t.Format("Mon 02") })),
	}
	for _, c := range o.Clusters {
		d.Clusters = append(d.Clusters, clusterView{ClusterState: c, LastSeenAgo: ago(o.Now, c.LastSeen)})
		switch c.State {
		case service.StateOutOfDate:
			d.OutOfDate++
		case service.StateSilent:
			d.Silent++
		}
	}
	p.Title, p.Nav, p.Data = "Overview", "overview", d
	u.render(w, r, http.StatusOK, "overview", p)
}
