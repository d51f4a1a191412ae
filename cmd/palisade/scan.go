package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/clusterscan"
	"github.com/palisade-dev/palisade/internal/enforce/policyreport"
	"github.com/palisade-dev/palisade/internal/enforce/scan"
	"github.com/palisade-dev/palisade/internal/platform/progress"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
	"github.com/palisade-dev/palisade/internal/supply/signature"
)

func newScanCmd() *cobra.Command {
	var (
		policyFile, preset, output string
		workers                    int
		cl                         clusterFlags
		scanResults                []string
		sigs                       signature.Config
	)
	cmd := &cobra.Command{
		Use:   "scan [PATH... | -] | --cluster",
		Short: "Evaluate the deployment tab on manifests (files, folders, stdin), or audit a live cluster",
		Long: `Evaluate a policy's deployment rules on Kubernetes manifests: files, folders
(recursively: *.yaml, *.yml, *.json) or stdin ("-", the default). Multi-document
YAML, JSON, JSON arrays and List kinds are read as a stream.

Exit codes: 0 nothing blocked; 1 a block violation; 2 bad input or bad policy
(2 wins when there are both: a half-read input never passes a gate).
A broken document is reported with its file and line; the rest is still scanned.

With --cluster, audit the live objects of a cluster instead, found as
kubectl finds them (--kubeconfig, else $KUBECONFIG, else ~/.kube/config,
else the in-cluster service account; --context picks a context, --as
impersonates): controllers (CronJob, Deployment, Job, ReplicaSet,
StatefulSet, DaemonSet, ReplicationController), Pods, Services, Ingresses,
ServiceAccounts and RBAC objects, in the namespace of -n NAMESPACE, else in
the kubeconfig context's namespace (as kubectl), or in every namespace with
-A. An object controlled by a listed
controller is not reported (a Deployment's ReplicaSets and Pods are judged
through the Deployment's template), so a finding appears once, at its
source; finished Pods are left out. Each object's location is
cluster://CONTEXT/NAMESPACE/KIND/NAME.

The audit evaluates the continuous tab by default (--tab continuous): it asks
what the running workloads would trip while they run, which is what the
agent's continuous controller acts on. --tab deployment asks what admission
would say of them today. Exit 1 when a finding's action enforces (block,
isolate or terminate), 2 when an object or a kind could not be read.

--scan-results reads image scan results (Trivy JSON, Trivy Operator reports,
Palisade ScanResults; a file or a folder, repeatable) for the scan-result
rules (imagesNotScanned, imagesWithVulnerabilities, ...; docs/scan-results.md).
Without it every image counts as unscanned. A report that cannot be read is
bad input (exit 2), named with its file and line.

When the policy enables imagesNotSigned, image signatures are verified too
(tags resolved to digests, Sigstore signatures read from the registry with the
Docker configuration's credentials; with --cluster, pods' imagePullSecrets
first, and the rule is in --tab deployment). Images whose registry cannot be
reached are reported as "could not
verify" findings and listed on stderr (docs/image-signatures.md).

--preview-segmentation prints, instead of the audit, what the policy's
segmentation option (segmented at birth, docs/segmentation.md) would do: per
namespace it covers, the pods no ingress NetworkPolicy selects today, which
would accept traffic only from their namespace and the allowed ones, and the
Services exposing them outside the cluster.

--policy-reports also writes the results as wgpolicyk8s.io/v1alpha2
PolicyReports, one named "palisade" per namespace where something was
checked (docs/cluster-audit.md); it needs the PolicyReport CRD and is
skipped when the audit had errors.`,
		Example: `  palisade scan examples/*.yaml examples/*.json            # the recommended preset: every finding, exit 0
  palisade scan --policy policy.yaml deploy/ -o sarif > palisade.sarif
  helm template ./chart | palisade scan --preset baseline -
  palisade scan --scan-results trivy.json --policy policy.yaml manifests/
  palisade scan --cluster -A --policy policy.yaml          # every namespace, continuous tab
  palisade scan --cluster -n payments --preset restricted -o json
  palisade scan --cluster --context prod --tab deployment --policy-reports`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Getenv("GOGC") == "" {
				// A scan streams: its live heap stays a few MB however large
				// the corpus, so collecting less often trades ~15 MB of
				// headroom for a third less CPU (docs/performance.md).
				debug.SetGCPercent(400)
			}
			if err := cl.check(cmd, args); err != nil {
				return err
			}
			newWriter, ok := scan.Formats()[output]
			if !ok {
				return badInput(fmt.Errorf("unknown output format %q (formats: %s)", output, strings.Join(scan.FormatNames(), ", ")))
			}
			reg, err := rules.Builtin()
			if err != nil {
				return err
			}
			compiled, err := loadPolicy(reg, policyFile, preset)
			if err != nil {
				return err
			}
			results, err := loadScanResults(cmd, scanResults)
			if err != nil {
				return err
			}
			var verifier rules.Signatures
			if compiled.ReadsSignatures() {
				u, err := newScanVerifier(sigs)
				if err != nil {
					return err
				}
				defer u.report(cmd.ErrOrStderr())
				verifier = u
			}
			w := newWriter(cmd.OutOrStdout(), ruleInfo(reg))
			// A progress line on a terminal, never in CI nor under a
			// machine-readable report, and only while the report goes
			// elsewhere (a file, a pipe): a report streaming to the same
			// terminal shows the progress itself, and the line would be
			// drawn over its text.
			var progressOut io.Writer
			if output == "table" && progress.Enabled(cmd.ErrOrStderr(), os.Getenv) && !progress.Enabled(cmd.OutOrStdout(), os.Getenv) {
				progressOut = cmd.ErrOrStderr()
			}
			var sum scan.Summary
			if cl.cluster {
				namespace, nsErr := cl.namespace()
				if nsErr != nil {
					return badInput(nsErr)
				}
				if cl.previewSegmentation {
					return previewSegmentation(cmd, &cl, compiled, namespace)
				}
				sum, err = runClusterScan(cmd, &cl, compiled, namespace, results, verifier, w, progressOut)
			} else {
				namespace := *cl.kube.Namespace
				if namespace == "" {
					namespace = "default"
				}
				counted := &countingWriter{Writer: w}
				line := progress.New(progressOut, counted.scanStatus, progress.Options{})
				line.Start()
				s := scan.New(scan.Options{
					Policy: compiled, Namespace: namespace, Workers: workers,
					Stdin: cmd.InOrStdin(), FieldLines: output == "sarif", ScanResults: results, Roles: compiled.ReadsRoles(),
					Inventory: compiled.ReadsInventory(), Signatures: verifier,
				})
				sum, err = s.Run(cmd.Context(), args, counted)
				line.Stop()
			}
			if err != nil {
				return err
			}
			switch {
			case sum.Errors > 0:
				return &exitError{code: exitInput}
			case sum.Blocked > 0:
				return &exitError{code: exitBlocked}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyFile, "policy", "", "policy file (YAML or JSON)")
	f.StringVar(&preset, "preset", "recommended", "built-in preset when --policy is not given ("+strings.Join(policy.PresetNames(), ", ")+")")
	cmd.MarkFlagsMutuallyExclusive("policy", "preset")
	completePolicyFile(cmd, "policy")
	completePresetFlag(cmd, "preset")
	addOutputFlag(cmd, &output, "table", scan.FormatNames()...)
	f.IntVar(&workers, "workers", 0, "parallel evaluators (0: one per CPU)")
	f.StringArrayVar(&scanResults, "scan-results", nil, "image scan results for the scan-result rules: a report file or a folder of them (repeatable)")
	addSignatureFlags(f, &sigs)
	cl.register(cmd)
	return cmd
}

func ruleInfo(reg *rules.Registry) func(string) (scan.RuleInfo, bool) {
	return func(id string) (scan.RuleInfo, bool) {
		r, ok := reg.Get(id)
		if !ok {
			return scan.RuleInfo{}, false
		}
		return scan.RuleInfo{ID: r.ID, Title: r.Title, Description: r.Description, Severity: string(r.Severity)}, true
	}
}

// previewSegmentation prints what the policy's segmentation would do.
func previewSegmentation(cmd *cobra.Command, c *clusterFlags, compiled *engine.Compiled, namespace string) error {
	cfg, _, err := c.kube.restConfig()
	if err != nil {
		return badInput(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return badInput(err)
	}
	previews, err := clusterscan.PreviewSegmentation(cmd.Context(), client, compiled.Policy, namespace, nil)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	return clusterscan.WritePreview(cmd.OutOrStdout(), previews)
}

// loadScanResults reads the --scan-results paths into an index; nil when
// there are none. Warnings go to stderr; a report that cannot be read is
// bad input.
func loadScanResults(cmd *cobra.Command, paths []string) (rules.ScanResults, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	x := scanresult.NewIndex()
	var errs []error
	for _, p := range paths {
		reports, err := scanreport.ReadPath(p)
		if err != nil {
			errs = append(errs, err)
		}
		for _, r := range reports {
			for _, w := range r.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
			if err := x.Add(r.Images...); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, badInput(fmt.Errorf("--scan-results: %w", errors.Join(errs...)))
	}
	return x, nil
}

// clusterFlags are scan's --cluster options, and kubectl's connection
// flags (-n also names the namespace of offline objects that carry none).
type clusterFlags struct {
	cluster, policyReports bool
	allNamespaces          bool
	previewSegmentation    bool
	tab                    string
	kube                   *kubeFlags
	// reportAPI is --policy-report-api; reportAPIs its parsed value.
	reportAPI  string
	reportAPIs []policyreport.API
}

func (c *clusterFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&c.cluster, "cluster", false, "audit the live objects of a cluster instead of reading manifests")
	c.kube = addKubeFlags(cmd, kubeFlagOptions{prefix: "with --cluster: ", userAgent: "palisade-scan",
		namespace: `namespace for objects that carry none (default "default"); with --cluster, the namespace to audit (default: the kubeconfig context's)`})
	// -n names the offline objects' namespace too: not "with --cluster".
	f.Lookup("namespace").Usage = strings.TrimPrefix(f.Lookup("namespace").Usage, "with --cluster: ")
	f.BoolVarP(&c.allNamespaces, "all-namespaces", "A", false, "with --cluster: audit every namespace, and the cluster-scoped RBAC objects")
	cmd.MarkFlagsMutuallyExclusive("namespace", "all-namespaces")
	f.StringVar(&c.tab, "tab", string(policy.TabContinuous), "with --cluster: the tab to evaluate, continuous (what running workloads would trip) or deployment")
	completeValues(cmd, "tab", string(policy.TabContinuous), string(policy.TabDeployment))
	f.BoolVar(&c.policyReports, "policy-reports", false, "with --cluster: also publish the results as wgpolicyk8s.io/v1alpha2 PolicyReports, one per namespace")
	deprecatedAlias(f, "policy-report", "policy-reports", &c.policyReports)
	f.StringVar(&c.reportAPI, "policy-report-api", string(policyreport.APIWGPolicy), "with --cluster and --policy-reports: the API they are written in: wgpolicyk8s.io (PolicyReport), openreports.io (Report) or both")
	f.BoolVar(&c.previewSegmentation, "preview-segmentation", false, "with --cluster: instead of auditing, tell which pods the policy's segmentation option would cut off from which traffic")
}

// check rejects cluster flags without --cluster, and paths with it.
func (c *clusterFlags) check(cmd *cobra.Command, args []string) error {
	if cmd.Flags().Changed("policy-report-api") && !c.cluster {
		return badInput(errors.New("--policy-report-api needs --cluster"))
	}
	if cmd.Flags().Changed("policy-report-api") && !c.policyReports {
		return badInput(errors.New("--policy-report-api needs --policy-reports"))
	}
	apis, err := policyreport.ParseAPIs(c.reportAPI)
	if err != nil {
		return badInput(fmt.Errorf("--policy-report-api: %w", err))
	}
	c.reportAPIs = apis
	if !c.cluster {
		names := append(slices.DeleteFunc(c.kube.names(), func(n string) bool { return n == "namespace" }),
			"all-namespaces", "tab", "policy-reports", "policy-report", "preview-segmentation")
		for _, name := range names {
			if cmd.Flags().Changed(name) {
				return badInput(fmt.Errorf("--%s needs --cluster", name))
			}
		}
		return nil
	}
	if len(args) > 0 {
		return badInput(fmt.Errorf("--cluster reads the cluster, not paths (%s)", strings.Join(args, " ")))
	}
	if c.tab != string(policy.TabContinuous) && c.tab != string(policy.TabDeployment) {
		return badInput(fmt.Errorf("--tab: unsupported value %q: supported values: %q, %q", c.tab, policy.TabContinuous, policy.TabDeployment))
	}
	return nil
}

// namespace is the namespace to audit, as kubectl picks it: -n, else ""
// (every namespace) with -A, else the kubeconfig context's.
func (c *clusterFlags) namespace() (string, error) {
	switch {
	case *c.kube.Namespace != "":
		return *c.kube.Namespace, nil
	case c.allNamespaces:
		return "", nil
	}
	return c.kube.contextNamespace()
}

// runClusterScan audits the cluster c names into w and, with
// --policy-reports, publishes the PolicyReports.
func runClusterScan(cmd *cobra.Command, c *clusterFlags, compiled *engine.Compiled, namespace string, results rules.ScanResults, sigs rules.Signatures, w scan.Writer, progressOut io.Writer) (scan.Summary, error) {
	ctx := cmd.Context()
	cfg, contextName, err := c.kube.restConfig()
	if err != nil {
		return scan.Summary{}, badInput(err)
	}
	cfg.QPS, cfg.Burst = 50, 100 // one audit pages through every kind
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return scan.Summary{}, badInput(fmt.Errorf("kubeconfig: %w", err))
	}
	if u, ok := sigs.(*unverifiedImages); ok {
		u.readPullSecrets(client, cmd.ErrOrStderr())
	}
	tab := policy.Tab(c.tab)
	counted := &countingWriter{Writer: w}
	stream, err := scan.NewStream(counted, string(tab))
	if err != nil {
		return scan.Summary{}, err
	}
	var reports *policyreport.Builder
	if c.policyReports {
		reports = policyreport.NewBuilder(policyreport.Options{Policy: compiled.Policy.Metadata.Name, Tab: tab})
	}
	line := progress.New(progressOut, counted.auditStatus, progress.Options{})
	line.Start()
	err = clusterscan.Audit(ctx, &clusterscan.Lister{Client: client, Namespace: namespace}, clusterscan.Options{
		Policy: compiled, Tab: tab, Context: contextName, Report: stream, Reports: reports, ScanResults: results, Signatures: sigs,
	})
	line.Stop()
	if err != nil {
		return scan.Summary{}, err
	}
	sum, err := stream.End()
	if err != nil || reports == nil {
		return sum, err
	}
	stderr := cmd.ErrOrStderr()
	if sum.Errors > 0 {
		fmt.Fprintf(stderr, "palisade: PolicyReports not published: the audit is incomplete (%d errors)\n", sum.Errors)
		return sum, nil
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return sum, badInput(fmt.Errorf("kubeconfig: %w", err))
	}
	st, err := policyreport.NewPublishers(dyn, c.reportAPIs).Publish(ctx, reports.Reports(), namespace)
	fmt.Fprintf(stderr, "PolicyReports: %d created, %d updated, %d unchanged, %d deleted\n", st.Created, st.Updated, st.Unchanged, st.Deleted)
	if err != nil {
		return sum, badInput(fmt.Errorf("publish PolicyReports: %w", err))
	}
	return sum, nil
}
