package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/importer"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Validate and import policies",
		Example: `  palisade policy validate policy.yaml
  palisade policy import gatekeeper-constraints.yaml kyverno-policies.yaml > palisade-policy.yaml
  palisade policy preset restricted`}
	cmd.AddCommand(newPolicyValidateCmd(), newPolicyImportCmd(), newPolicyPresetCmd())
	return cmd
}

func newPolicyValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate policy files; exit 2 with every field error",
		Example: `  palisade policy validate policy.yaml
  palisade policy validate policies/*.yaml rulesets.yaml`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: yamlFileArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			failed := false
			for _, f := range args {
				b, err := policy.LoadFile(f, reg)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					failed = true
					continue
				}
				for _, p := range b.Policies {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: policy %q is valid\n", f, p.Metadata.Name)
				}
				for _, rs := range b.Rulesets {
					// The Falco items too, with the rule language.
					if _, diags := ruleset.Compile(rs); diags.HasErrors() {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: runtime ruleset %q:\n%v\n", f, rs.Metadata.Name, diags.Errors())
						failed = true
						continue
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s: runtime ruleset %q is valid\n", f, rs.Metadata.Name)
				}
			}
			if failed {
				return &exitError{code: exitInput}
			}
			return nil
		},
	}
}

func newPolicyImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE...",
		Short: "Convert Gatekeeper, Kyverno or Trend Micro policies into a Palisade policy",
		Long: `Convert other products' policies into a Palisade Policy, printed as YAML:

  - Gatekeeper constraints (constraints.gatekeeper.sh) of the Gatekeeper
    library's templates, by kind and parameters;
  - Kyverno ClusterPolicies and Policies (kyverno.io) of the pod-security and
    best-practices sets, by name;
  - Trend Micro Container Security ClusterPolicy and RuntimeRuleset resources
    (visionone.trendmicro.com/v1alpha1 or
    container-security.trendmicro.com/v1alpha1), imported on their own.

Files may hold several documents; Gatekeeper and Kyverno ones may be mixed.
Whatever has no exact Palisade equivalent is listed as a warning on stderr,
naming the file, line and field (docs/migrating.md has the whole mapping).`,
		Example: `  palisade policy import constraints/*.yaml kyverno/*.yaml > palisade-policy.yaml
  palisade policy import trendmicro-cluster-policy.yaml > palisade-policy.yaml
  palisade policy validate palisade-policy.yaml`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: yamlFileArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			sources := make([]importer.Source, len(args))
			for i, f := range args {
				data, err := document.ReadFile(f, policy.MaxFileSize)
				if err != nil {
					return badInput(err)
				}
				sources[i] = importer.Source{Name: f, Data: data}
			}
			continuous := func(id string) bool {
				r, ok := reg.Get(id)
				return ok && slices.Contains(r.Tabs, policy.TabContinuous)
			}
			res, err := importer.Import(importer.Options{Continuous: continuous}, sources...)
			if err != nil {
				return badInput(err)
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			out, err := res.YAML()
			if err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(out); err != nil {
				return err
			}
			// The conversion is faithful; say plainly what this version's
			// catalog cannot enforce yet.
			if _, err := policy.Load("imported policy", out, reg); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the imported policy does not validate against this catalog:\n%v\n", err)
			}
			return nil
		},
	}
}

func newPolicyPresetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "preset [NAME]",
		Short: "List the built-in presets, or print one as YAML",
		Example: `  palisade policy preset                                  # recommended, baseline, restricted, log-all
  palisade policy preset baseline > policy.yaml           # a starting point to edit`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: presetArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				for _, n := range policy.PresetNames() {
					fmt.Fprintln(cmd.OutOrStdout(), n)
				}
				return nil
			}
			src, err := policy.PresetSource(args[0])
			if err != nil {
				return badInput(err)
			}
			_, err = cmd.OutOrStdout().Write(src)
			return err
		},
	}
}
