package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

func (u *UI) policyRoutes() {
	u.get("/policies", u.listPolicies)
	u.get("/policies/new", func(w http.ResponseWriter, r *http.Request, p *page) {
		u.renderEditor(w, r, p, http.StatusOK, newPolicyForm(u.reg, u.rulesetNames(r.Context())), nil)
	})
	u.post("/policies/new", func(w http.ResponseWriter, r *http.Request, p *page) { u.savePolicy(w, r, p, "") })
	u.get("/policies/{name}", u.editPolicy)
	u.post("/policies/{name}", func(w http.ResponseWriter, r *http.Request, p *page) {
		u.savePolicy(w, r, p, r.PathValue("name"))
	})
	u.post("/policies/{name}/delete", u.deletePolicy)
	u.get("/policies/new/yaml", func(w http.ResponseWriter, r *http.Request, p *page) {
		u.renderYAML(w, r, p, http.StatusOK, &yamlData{YAML: newPolicyYAML})
	})
	u.post("/policies/new/yaml", func(w http.ResponseWriter, r *http.Request, p *page) { u.saveYAML(w, r, p, "") })
	u.get("/policies/{name}/yaml", u.editYAML)
	u.post("/policies/{name}/yaml", func(w http.ResponseWriter, r *http.Request, p *page) {
		u.saveYAML(w, r, p, r.PathValue("name"))
	})
}

// policyItem is a row of the policy list.
type policyItem struct {
	Name, Description string
	Version           int64
	UpdatedAt         time.Time
	Clusters          []string
}

func (u *UI) listPolicies(w http.ResponseWriter, r *http.Request, p *page) {
	u.renderPolicies(w, r, p, http.StatusOK)
}

func (u *UI) renderPolicies(w http.ResponseWriter, r *http.Request, p *page, status int) {
	st := u.opts.Service.Store()
	docs, err := st.ListPolicies(r.Context())
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	clusters, err := st.ListClusters(r.Context())
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	items := make([]policyItem, 0, len(docs))
	for _, d := range docs {
		it := policyItem{Name: d.Name, Version: d.Version, UpdatedAt: d.UpdatedAt}
		var pol policy.Policy
		if json.Unmarshal(d.Body, &pol) == nil {
			it.Description = pol.Spec.Description
		}
		for _, c := range clusters {
			if c.Policy == d.Name {
				it.Clusters = append(it.Clusters, c.Name)
			}
		}
		items = append(items, it)
	}
	p.Title, p.Nav, p.Data = "Policies", "policies", items
	u.render(w, r, status, "policies", p)
}

// rulesetNames lists the stored runtime rulesets for the binding dropdowns.
func (u *UI) rulesetNames(ctx context.Context) []string {
	docs, err := u.opts.Service.Store().ListRulesets(ctx)
	if err != nil {
		u.opts.Logger.Warn("list rulesets for the policy editor", "error", err)
		return nil
	}
	names := make([]string, len(docs))
	for i, d := range docs {
		names[i] = d.Name
	}
	return names
}

// editorData is the policy editor page.
type editorData struct {
	Form *policyForm
	// Action is where the form posts.
	Action string
	// Reasons, when set, say why the form cannot show the stored policy.
	Reasons []string
}

func (u *UI) renderEditor(w http.ResponseWriter, r *http.Request, p *page, status int, f *policyForm, reasons []string) {
	d := &editorData{Form: f, Action: "/policies/new", Reasons: reasons}
	p.Title = "New policy"
	if f.Existing {
		d.Action = "/policies/" + url.PathEscape(f.Name.Value)
		p.Title = "Policy " + f.Name.Value
	}
	p.Nav, p.Data = "policies", d
	u.render(w, r, status, "policy", p)
}

func (u *UI) editPolicy(w http.ResponseWriter, r *http.Request, p *page) {
	doc, ok := u.storedPolicy(w, r, p)
	if !ok {
		return
	}
	var pol policy.Policy
	if err := json.Unmarshal(doc.Body, &pol); err != nil {
		u.internal(w, r, p, fmt.Errorf("decode stored policy %s: %w", doc.Name, err))
		return
	}
	f, reasons := formFromPolicy(&pol, doc.Version, u.reg, u.rulesetNames(r.Context()))
	u.renderEditor(w, r, p, http.StatusOK, f, reasons)
}

// savePolicy handles every button of the editor: adding rows re-renders
// the form; saving builds the policy and stores it through the service,
// or shows each problem next to its input.
func (u *UI) savePolicy(w http.ResponseWriter, r *http.Request, p *page, existing string) {
	f := parsePolicyForm(r.PostForm, u.reg, u.rulesetNames(r.Context()))
	if existing != "" {
		f.Existing, f.Name.Value = true, existing
	}
	if f.apply(r.PostForm.Get("op"), u.reg) {
		u.renderEditor(w, r, p, http.StatusOK, f, nil)
		return
	}
	pol, fields, ok := f.build()
	if !ok {
		f.Summary = append(f.Summary, "Some values could not be read; they are marked below.")
		u.renderEditor(w, r, p, http.StatusUnprocessableEntity, f, nil)
		return
	}
	body, err := json.Marshal(pol)
	if err != nil {
		u.internal(w, r, p, fmt.Errorf("encode policy: %w", err))
		return
	}
	svc := u.opts.Service
	if existing == "" {
		_, err = svc.CreatePolicy(r.Context(), body)
	} else {
		version, perr := strconv.ParseInt(f.Version, 10, 64)
		if perr != nil || version <= 0 {
			f.Summary = append(f.Summary, "The form lost the policy's version; reload the page and make the change again.")
			u.renderEditor(w, r, p, http.StatusBadRequest, f, nil)
			return
		}
		_, err = svc.UpdatePolicy(r.Context(), existing, body, version)
	}
	if err != nil {
		status, shown := policyProblem(f, fields, err)
		if !shown {
			u.internal(w, r, p, err)
			return
		}
		u.renderEditor(w, r, p, status, f, nil)
		return
	}
	http.Redirect(w, r, "/policies/"+url.PathEscape(pol.Metadata.Name)+"?msg=saved", http.StatusSeeOther)
}

// policyProblem puts a service error on the form; shown is false for
// errors the user cannot act on.
func policyProblem(f *policyForm, fields paths, err error) (status int, shown bool) {
	var inv *service.InvalidError
	switch {
	case errors.As(err, &inv):
		if inv.Err != nil {
			f.Summary = append(f.Summary, inv.Err.Error())
		}
		f.attach(inv.Problems, fields)
		return http.StatusUnprocessableEntity, true
	case errors.Is(err, store.ErrExists):
		f.Name.addErr("a policy with this name already exists")
		return http.StatusConflict, true
	case errors.Is(err, store.ErrConflict):
		f.Summary = append(f.Summary, "Someone else saved this policy after you opened it. Your changes are below but were not saved: "+
			"open the policy again to see the current version, then redo them.")
		return http.StatusConflict, true
	case errors.Is(err, store.ErrNotFound):
		f.Summary = append(f.Summary, "This policy was deleted after you opened it; your changes were not saved.")
		return http.StatusNotFound, true
	}
	return http.StatusInternalServerError, false
}

func (u *UI) deletePolicy(w http.ResponseWriter, r *http.Request, p *page) {
	name := r.PathValue("name")
	err := u.opts.Service.DeletePolicy(r.Context(), name)
	switch {
	case err == nil:
		http.Redirect(w, r, "/policies?msg=deleted", http.StatusSeeOther)
	case errors.Is(err, store.ErrInUse):
		p.Error = fmt.Sprintf("Policy %s is assigned to a cluster; assign the cluster another policy (or none) first.", name)
		u.renderPolicies(w, r, p, http.StatusConflict)
	case errors.Is(err, store.ErrNotFound):
		u.fail(w, r, p, http.StatusNotFound, fmt.Sprintf("There is no policy %q.", name))
	default:
		u.internal(w, r, p, err)
	}
}

// yamlData is the YAML editor page.
type yamlData struct {
	Name    string
	YAML    string
	Version int64
	// Problems are the validation errors, with their lines.
	Problems []string
}

const newPolicyYAML = `apiVersion: palisade.dev/v1
kind: Policy
metadata:
  name: my-policy
spec:
  description: ""
  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block}
`

func (u *UI) renderYAML(w http.ResponseWriter, r *http.Request, p *page, status int, d *yamlData) {
	p.Title, p.Nav, p.Data = "New policy (YAML)", "policies", d
	if d.Name != "" {
		p.Title = "Policy " + d.Name + " (YAML)"
	}
	u.render(w, r, status, "yaml", p)
}

func (u *UI) editYAML(w http.ResponseWriter, r *http.Request, p *page) {
	doc, ok := u.storedPolicy(w, r, p)
	if !ok {
		return
	}
	y, err := yaml.JSONToYAML(doc.Body)
	if err != nil {
		u.internal(w, r, p, fmt.Errorf("policy %s as YAML: %w", doc.Name, err))
		return
	}
	u.renderYAML(w, r, p, http.StatusOK, &yamlData{Name: doc.Name, YAML: string(y), Version: doc.Version})
}

func (u *UI) saveYAML(w http.ResponseWriter, r *http.Request, p *page, existing string) {
	d := &yamlData{Name: existing, YAML: r.PostForm.Get("yaml")}
	d.Version, _ = strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	svc := u.opts.Service
	var doc store.Document
	var err error
	if existing == "" {
		doc, err = svc.CreatePolicy(r.Context(), []byte(d.YAML))
	} else if d.Version <= 0 {
		err = store.ErrConflict
	} else {
		doc, err = svc.UpdatePolicy(r.Context(), existing, []byte(d.YAML), d.Version)
	}
	if err == nil {
		http.Redirect(w, r, "/policies/"+url.PathEscape(doc.Name)+"/yaml?msg=saved", http.StatusSeeOther)
		return
	}
	var inv *service.InvalidError
	status := http.StatusConflict
	switch {
	case errors.As(err, &inv):
		status = http.StatusUnprocessableEntity
		if inv.Err != nil {
			d.Problems = append(d.Problems, inv.Err.Error())
		}
		for _, pr := range inv.Problems {
			d.Problems = append(d.Problems, pr.String())
		}
	case errors.Is(err, store.ErrExists):
		d.Problems = append(d.Problems, "a policy with this name already exists")
	case errors.Is(err, store.ErrConflict):
		d.Problems = append(d.Problems, "Someone else saved this policy after you opened it; your text was not saved. Open the policy again, then redo your change.")
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
		d.Problems = append(d.Problems, "This policy was deleted after you opened it; your text was not saved.")
	default:
		u.internal(w, r, p, err)
		return
	}
	u.renderYAML(w, r, p, status, d)
}

// storedPolicy reads the policy named in the path, or answers 404 (or 500)
// itself and reports false.
func (u *UI) storedPolicy(w http.ResponseWriter, r *http.Request, p *page) (store.Document, bool) {
	doc, err := u.opts.Service.Store().GetPolicy(r.Context(), r.PathValue("name"))
	if errors.Is(err, store.ErrNotFound) {
		u.fail(w, r, p, http.StatusNotFound, fmt.Sprintf("There is no policy %q.", r.PathValue("name")))
		return store.Document{}, false
	}
	if err != nil {
		u.internal(w, r, p, err)
		return store.Document{}, false
	}
	return doc, true
}
