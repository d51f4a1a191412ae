package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/platform/edge"
)

func (u *UI) clusterRoutes() {
	u.get("/clusters", func(w http.ResponseWriter, r *http.Request, p *page) {
		u.renderClusters(w, r, p, http.StatusOK, &registerForm{Name: input{Key: "cluster-name"}, Policy: input{Key: "cluster-policy"}})
	})
	u.post("/clusters/new", u.registerCluster)
	u.get("/clusters/{name}", func(w http.ResponseWriter, r *http.Request, p *page) {
		u.renderCluster(w, r, p, http.StatusOK, r.PathValue("name"), nil)
	})
	u.post("/clusters/{name}", u.assignPolicy)
	u.post("/clusters/{name}/delete", u.deleteCluster)
	u.post("/clusters/{name}/token", u.rotateToken)
}

// Sync states of a cluster's agent.
const (
	syncNever  = "never connected"
	syncInSync = "in sync"
	syncBehind = "behind"
)

// clusterItem is a cluster as the pages show it.
type clusterItem struct {
	Name, Policy string
	CreatedAt    time.Time
	LastSeen     time.Time
	// LastSeenAgo is LastSeen relative to now ("3m ago").
	LastSeenAgo string
	// AgentPolicy is the version the agent reports enforcing; Current the
	// version it should.
	AgentPolicy, Current string
	// CurrentVersion is the assigned policy's document version (0: none).
	CurrentVersion int64
	Sync           string
	// PrevTokenExpires is when the token rotated away last stops working,
	// zero when none is kept or it has stopped.
	PrevTokenExpires time.Time
}

// SyncClass names the CSS class of the sync badge.
func (c clusterItem) SyncClass() string { return strings.ReplaceAll(c.Sync, " ", "-") }

// clusterItems describes clusters with their agents' sync state.
func (u *UI) clusterItems(r *http.Request, cs []store.Cluster) ([]clusterItem, []string, error) {
	docs, err := u.opts.Service.Store().ListPolicies(r.Context())
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]store.Document{}
	names := make([]string, 0, len(docs))
	for _, d := range docs {
		byName[d.Name] = d
		names = append(names, d.Name)
	}
	now := u.opts.Now()
	items := make([]clusterItem, 0, len(cs))
	for _, c := range cs {
		it := clusterItem{Name: c.Name, Policy: c.Policy, CreatedAt: c.CreatedAt, LastSeen: c.LastSeen,
			LastSeenAgo: ago(now, c.LastSeen), AgentPolicy: c.AgentPolicy, Current: service.NoPolicyETag}
		if now.Before(c.PrevTokenExpires) {
			it.PrevTokenExpires = c.PrevTokenExpires
		}
		if d, ok := byName[c.Policy]; ok {
			rulesets, err := u.opts.Service.BoundRulesets(r.Context(), d)
			if err != nil {
				return nil, nil, err
			}
			it.Current, it.CurrentVersion = service.PolicyETag(d, rulesets), d.Version
		}
		switch {
		case c.LastSeen.IsZero():
			it.Sync = syncNever
		case c.AgentPolicy == it.Current:
			it.Sync = syncInSync
		default:
			it.Sync = syncBehind
		}
		items = append(items, it)
	}
	return items, names, nil
}

// ago formats how long ago t was.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// registerForm is the cluster registration form (its inputs are named
// name and policy; the keys are their element IDs).
type registerForm struct {
	Name, Policy input
}

type clustersData struct {
	Clusters []clusterItem
	Policies []string
	Form     *registerForm
}

func (u *UI) renderClusters(w http.ResponseWriter, r *http.Request, p *page, status int, f *registerForm) {
	cs, err := u.opts.Service.Store().ListClusters(r.Context())
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	items, policies, err := u.clusterItems(r, cs)
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Clusters", "clusters", &clustersData{Clusters: items, Policies: policies, Form: f}
	u.render(w, r, status, "clusters", p)
}

// tokenData is the page that shows a new agent token, once: a new
// cluster's, or a rotated one.
type tokenData struct {
	Cluster string
	Token   string
	Command string
	// AssignError is set when the cluster was registered but the policy
	// could not be assigned.
	AssignError string
	// Rotated is set for a rotation; PrevExpires is when the token it
	// replaced stops working (zero: it stopped at once).
	Rotated     bool
	PrevExpires time.Time
}

// registerCluster registers a cluster and shows its token in the answer
// itself (never in a URL or a redirect), marked not to be cached.
func (u *UI) registerCluster(w http.ResponseWriter, r *http.Request, p *page) {
	f := &registerForm{Name: input{Key: "cluster-name", Value: strings.TrimSpace(r.PostForm.Get("name"))},
		Policy: input{Key: "cluster-policy", Value: r.PostForm.Get("policy")}}
	svc := u.opts.Service
	c, token, err := svc.RegisterCluster(r.Context(), f.Name.Value)
	if err != nil {
		var inv *service.InvalidError
		switch {
		case errors.As(err, &inv):
			f.Name.addErr(inv.Error())
		case errors.Is(err, store.ErrExists):
			f.Name.addErr("a cluster with this name is already registered")
		default:
			u.internal(w, r, p, err)
			return
		}
		u.renderClusters(w, r, p, http.StatusUnprocessableEntity, f)
		return
	}
	d := &tokenData{Cluster: c.Name, Token: token, Command: agentCommand(r, u.opts.Proxies, token)}
	if f.Policy.Value != "" {
		if _, err := svc.AssignPolicy(r.Context(), c.Name, f.Policy.Value); err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				u.opts.Logger.Error("assign policy at registration", "cluster", c.Name, "error", err)
			}
			d.AssignError = fmt.Sprintf("The cluster was registered, but policy %q could not be assigned; assign one on the cluster's page.", f.Policy.Value)
		}
	}
	p.Title, p.Nav, p.Data = "Cluster "+c.Name+" registered", "clusters", d
	u.render(w, r, http.StatusCreated, "token", p)
}

// agentCommand is the command line that connects an agent, with the
// console URL as the browser reached it.
func agentCommand(r *http.Request, proxies edge.Proxies, token string) string {
	scheme := "http"
	if proxies.HTTPS(r) {
		scheme = "https"
	}
	return "palisade agent --console " + scheme + "://" + r.Host + " --token " + token
}

type clusterData struct {
	Cluster  clusterItem
	Policies []string
	Assign   input
	// TokenOverlap is how long a rotated token keeps working ("24h").
	TokenOverlap string
}

// shortDuration writes d without its zero minutes and seconds ("24h",
// "1h30m").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (u *UI) renderCluster(w http.ResponseWriter, r *http.Request, p *page, status int, name string, assign *input) {
	c, err := u.opts.Service.Store().GetCluster(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		u.fail(w, r, p, http.StatusNotFound, fmt.Sprintf("There is no cluster %q.", name))
		return
	}
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	items, policies, err := u.clusterItems(r, []store.Cluster{c})
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	d := &clusterData{Cluster: items[0], Policies: policies, Assign: input{Key: "policy", Value: c.Policy},
		TokenOverlap: shortDuration(u.opts.Service.TokenOverlap())}
	if assign != nil {
		d.Assign = *assign
	}
	p.Title, p.Nav, p.Data = "Cluster "+c.Name, "clusters", d
	u.render(w, r, status, "cluster", p)
}

func (u *UI) assignPolicy(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	in := input{Key: "policy", Value: r.PostForm.Get("policy")}
	_, err := u.opts.Service.AssignPolicy(r.Context(), name, in.Value)
	switch {
	case err == nil:
		http.Redirect(w, r, "/clusters/"+url.PathEscape(name)+"?msg=assigned", http.StatusSeeOther)
		return
	case errors.Is(err, store.ErrNotFound):
		// The cluster or the policy is gone; renderCluster tells which.
		in.addErr(fmt.Sprintf("there is no policy %q (any more)", in.Value))
		u.renderCluster(w, r, p, http.StatusNotFound, name, &in)
	default:
		u.internal(w, r, p, err)
	}
}

func (u *UI) deleteCluster(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	err := u.opts.Service.DeleteCluster(r.Context(), name)
	switch {
	case err == nil:
		http.Redirect(w, r, "/clusters?msg=cluster-deleted", http.StatusSeeOther)
	case errors.Is(err, store.ErrNotFound):
		u.fail(w, r, p, http.StatusNotFound, fmt.Sprintf("There is no cluster %q.", name))
	default:
		u.internal(w, r, p, err)
	}
}

// rotateToken issues the cluster a new agent token and shows it in the
// answer itself, as registration does. The old token keeps working for
// the console's overlap window, or stops at once when the form says it
// leaked.
func (u *UI) rotateToken(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	overlap := u.opts.Service.TokenOverlap()
	if r.PostForm.Get("now") != "" {
		overlap = 0
	}
	c, token, err := u.opts.Service.RotateToken(r.Context(), name, overlap)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u.fail(w, r, p, http.StatusNotFound, fmt.Sprintf("There is no cluster %q.", name))
		return
	case err != nil:
		u.internal(w, r, p, err)
		return
	}
	d := &tokenData{Cluster: c.Name, Token: token, Command: agentCommand(r, u.opts.Proxies, token), Rotated: true, PrevExpires: c.PrevTokenExpires}
	p.Title, p.Nav, p.Data = "New agent token for "+c.Name, "clusters", d
	u.render(w, r, http.StatusOK, "token", p)
}
