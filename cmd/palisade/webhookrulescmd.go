package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/admission"
)

func newWebhookRulesCmd() *cobra.Command {
	var (
		output   string
		mutating bool
		checks   []string
		exact    bool
	)
	cmd := &cobra.Command{
		Use:   "webhook-rules",
		Short: "What the API server must send the agent, derived from the rule catalog",
		Long: `Print the rules: of the ValidatingWebhookConfiguration that sends the agent
every object the catalog's rules read (with --mutating, those of the
MutatingWebhookConfiguration for mutateToDigest). The list is derived from
the objects each rule declares it reads; the Helm chart, the demo and the
tests use the same list.

With --check FILE, read manifests (for example the output of helm template
or kubectl get validatingwebhookconfiguration -o yaml) and compare the
webhooks that call the agent's /validate (or /mutate) with the list: a
resource the agent is never sent is printed as missing, and the command
exits 1, since rules on it would silently not apply. Resources sent but
read by no rule are printed as extra; they fail the check only with --exact.`,
		Example: `  # the rules to paste into a ValidatingWebhookConfiguration
  palisade agent webhook-rules

  # check an installed webhook
  kubectl get validatingwebhookconfiguration palisade -o yaml | palisade agent webhook-rules --check -

  # check the Helm chart's webhooks exactly
  helm template palisade deploy/helm/palisade | palisade agent webhook-rules --check - --exact`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			want, path := admission.WebhookRules(reg), "/validate"
			if mutating {
				want, path = admission.MutatingWebhookRules(), "/mutate"
			}
			if len(checks) > 0 {
				return checkWebhookRules(cmd, want, path, checks, exact)
			}
			var b []byte
			switch output {
			case "yaml":
				b, err = yaml.Marshal(map[string]any{"rules": want})
			case "markdown":
				b = webhookRulesMarkdown(want)
			case "json":
				b, err = json.MarshalIndent(map[string]any{"rules": want}, "", "  ")
				b = append(b, '\n')
			default:
				return badInput(fmt.Errorf("-o %q: want yaml, json or markdown", output))
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	f := cmd.Flags()
	addOutputFlag(cmd, &output, "yaml", "yaml", "json", "markdown")
	f.BoolVar(&mutating, "mutating", false, "the MutatingWebhookConfiguration's rules (mutateToDigest) instead")
	f.StringArrayVar(&checks, "check", nil, "manifest file to check (- for standard input; repeatable)")
	completePolicyFile(cmd, "check")
	f.BoolVar(&exact, "exact", false, "with --check: resources sent to the agent that no rule reads fail the check too")
	return cmd
}

// checkWebhookRules compares every webhook of the manifests whose client
// calls path with want.
func checkWebhookRules(cmd *cobra.Command, want []admissionregistrationv1.RuleWithOperations, path string, files []string, exact bool) error {
	out := cmd.OutOrStdout()
	found, failed := 0, false
	for _, name := range files {
		var r io.Reader = cmd.InOrStdin()
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return badInput(err)
			}
			defer f.Close()
			r = f
		}
		webhooks, err := readWebhooks(r, name, path)
		if err != nil {
			return badInput(err)
		}
		for _, w := range webhooks {
			found++
			missing, extra := admission.CompareWebhookRules(want, w.rules)
			switch {
			case missing == nil && extra == nil:
				fmt.Fprintf(out, "%s: webhook %s: ok\n", w.where, w.name)
			default:
				for _, m := range missing {
					fmt.Fprintf(out, "%s: webhook %s: missing %s\n", w.where, w.name, m)
				}
				for _, e := range extra {
					fmt.Fprintf(out, "%s: webhook %s: extra %s\n", w.where, w.name, e)
				}
				failed = failed || missing != nil || (exact && extra != nil)
			}
		}
	}
	if found == 0 {
		return badInput(fmt.Errorf("no webhook calling %s in %s", path, strings.Join(files, ", ")))
	}
	if failed {
		return &exitError{code: exitBlocked}
	}
	return nil
}

type foundWebhook struct {
	where, name string
	rules       []admissionregistrationv1.RuleWithOperations
}

// readWebhooks returns the webhooks of the Validating- and
// MutatingWebhookConfigurations (alone or in a List) of a manifest stream
// whose client calls path (by Service or URL).
func readWebhooks(r io.Reader, source, path string) ([]foundWebhook, error) {
	var out []foundWebhook
	rd := document.NewReader(r, source)
	for {
		doc, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := doc.JSON()
		if err != nil {
			return nil, err
		}
		var list struct {
			metav1.TypeMeta `json:",inline"`
			Items           []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(j, &list); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", doc.Source, doc.Line, err)
		}
		items := []json.RawMessage{j}
		if list.Kind == "List" || strings.HasSuffix(list.Kind, "List") {
			items = list.Items
		}
		for _, item := range items {
			ws, err := webhooksOf(item, path)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", doc.Source, doc.Line, err)
			}
			for _, w := range ws {
				w.where = fmt.Sprintf("%s:%d", doc.Source, doc.Line)
				out = append(out, w)
			}
		}
	}
}

func webhooksOf(j []byte, path string) ([]foundWebhook, error) {
	var head metav1.TypeMeta
	if err := json.Unmarshal(j, &head); err != nil {
		return nil, err
	}
	type hook struct {
		name   string
		client admissionregistrationv1.WebhookClientConfig
		rules  []admissionregistrationv1.RuleWithOperations
	}
	var hooks []hook
	switch head.Kind {
	case "ValidatingWebhookConfiguration":
		var c admissionregistrationv1.ValidatingWebhookConfiguration
		if err := json.Unmarshal(j, &c); err != nil {
			return nil, err
		}
		for _, w := range c.Webhooks {
			hooks = append(hooks, hook{c.Name + "/" + w.Name, w.ClientConfig, w.Rules})
		}
	case "MutatingWebhookConfiguration":
		var c admissionregistrationv1.MutatingWebhookConfiguration
		if err := json.Unmarshal(j, &c); err != nil {
			return nil, err
		}
		for _, w := range c.Webhooks {
			hooks = append(hooks, hook{c.Name + "/" + w.Name, w.ClientConfig, w.Rules})
		}
	}
	var out []foundWebhook
	for _, h := range hooks {
		calls := h.client.Service != nil && h.client.Service.Path != nil && *h.client.Service.Path == path ||
			h.client.URL != nil && strings.HasSuffix(strings.TrimRight(*h.client.URL, "/"), path)
		if calls {
			out = append(out, foundWebhook{name: h.name, rules: h.rules})
		}
	}
	return out, nil
}

// webhookRulesMarkdown renders the rules as the table docs/operations.md
// holds between its webhook-rules markers.
func webhookRulesMarkdown(rs []admissionregistrationv1.RuleWithOperations) []byte {
	var b strings.Builder
	b.WriteString("| operations | API group | resources | scope |\n|---|---|---|---|\n")
	for _, r := range rs {
		ops := make([]string, len(r.Operations))
		for i, op := range r.Operations {
			ops[i] = string(op)
		}
		group := strings.Join(r.APIGroups, ", ")
		if group == "" {
			group = "core"
		}
		scope := "*"
		if r.Scope != nil {
			scope = string(*r.Scope)
		}
		fmt.Fprintf(&b, "| %s | %s/%s | `%s` | %s |\n", strings.Join(ops, ", "), group, strings.Join(r.APIVersions, ", "),
			strings.Join(r.Resources, "`, `"), scope)
	}
	return []byte(b.String())
}
