package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/agent"
	"github.com/palisade-dev/palisade/internal/console/agentclient"
	"github.com/palisade-dev/palisade/internal/enforce/policyreport"
	"github.com/palisade-dev/palisade/internal/platform/edge"
	"github.com/palisade-dev/palisade/internal/supply/signature"
)

func newAgentCmd() *cobra.Command {
	var (
		cfg              agent.Config
		logs             *logFlags
		reportAPI        string
		tokenFile        string
		runtimeTokenFile string
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run in a cluster: admission webhook, continuous checks and runtime responses",
		Long: `Run the in-cluster enforcement point. The agent serves, over HTTPS:
  /validate  AdmissionReview admission.k8s.io/v1 (CREATE, UPDATE, CONNECT on pods/exec, attach, portforward)
  /audit     the kube-apiserver audit webhook backend (audit.k8s.io/v1 EventList)
  /falco     Falco alerts (http_output, json_output: true)
  /healthz   liveness
  /readyz    readiness (a policy is loaded)
  /metrics   Prometheus metrics

Standalone (--policy FILE): the policy file and the TLS files are reloaded
when they change; a policy file that does not validate is rejected (logged)
and the previous policy keeps enforcing. Every log and block decision is
appended to --events as a JSON line.

Managed (--console URL with the cluster's agent token): the policy comes
from the console (long poll; the last good one is kept in --state-dir and
enforced while the console is unreachable), and every event goes to the
console through a durable queue in --state-dir, delivered once even across
restarts and outages. Give the token with --token-file or
PALISADE_AGENT_TOKEN rather than --token, which other users of the machine
can read in the process list. --token-file is read again every 30 seconds
and when the console refuses the token, so a rotated token written there
(a Kubernetes Secret updated in place) is taken up without a restart.

Continuous (--continuous): every pod is judged against the policy's
continuous tab when it appears or changes, every --continuous-period and
whenever the policy changes. log records an event once per violation (until
it changes or clears); isolate labels the pod palisade.dev/isolated=true and
keeps a deny-all NetworkPolicy "palisade-isolate" in its namespace (released
when the policy no longer asks for it); terminate deletes the pod, at most
--terminate-per-minute, never in --protected-namespaces, and only records
what it would do with --dry-run.

Runtime (the policy's runtime tab): audit events posted to /audit and Falco
alerts posted to /falco are evaluated against the rulesets the policy binds
(the built-in ones, and --runtime-rules); a match is an event, and the
binding's action (log, isolate, terminate) applies to the pod the event
names, with the same guardrails as the continuous checks. A pod isolated
by a runtime rule stays isolated until a person removes the label. Callers
must present --runtime-token-file's token (Authorization: Bearer) or a
client certificate signed by --runtime-client-ca-file; without either, the
two endpoints refuse every request.

Scan results (docs/scan-results.md) feed the scan-result rules
(imagesNotScanned, imagesWithVulnerabilities, imagesWithCVSS...): report
files under --scan-results (Trivy JSON, Trivy Operator resources, Palisade
ScanResults; read again when they change, every --reload-interval; a file
that turns bad keeps its last results), Trivy Operator's reports in the
cluster (--trivy-operator), and for a managed agent the console's results
for the images the cluster runs. An image with no result is unscanned. At
admission an image named by a tag is judged by the scan of the digest the
tag names now (--scan-results-by-digest): a tag pushed over after its scan
is unscanned.

Cluster access (continuous checks, runtime responses, --trivy-operator,
--watch-roles, imagePullSecrets) takes kubectl's flags: --kubeconfig, else
$KUBECONFIG or ~/.kube/config, else the in-cluster service account;
--context and --as.`,
		Example: `  # standalone admission webhook
  palisade agent --tls-cert-file tls.crt --tls-key-file tls.key \
    --policy policy.yaml --events /var/lib/palisade/events.jsonl --cluster-name prod

  # managed by a console, with continuous checks and PolicyReports
  palisade agent --tls-cert-file tls.crt --tls-key-file tls.key \
    --console https://palisade.example.com --token-file agent-token --state-dir /var/lib/palisade \
    --continuous --policy-reports --protected-namespaces kube-system

  # runtime responses to audit events and Falco alerts
  palisade agent --tls-cert-file tls.crt --tls-key-file tls.key --policy policy.yaml \
    --runtime-token-file runtime-token --runtime-rules my-rules=falco_rules.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Token == "" && tokenFile != "" {
				// Read now for a bad file to be bad input; the agent reads
				// it again as it changes.
				if _, err := agentclient.NewTokenFile(tokenFile); err != nil {
					return badInput(err)
				}
				cfg.TokenFile = tokenFile
			}
			if cfg.Token == "" && cfg.TokenFile == "" {
				cfg.Token = strings.TrimSpace(os.Getenv("PALISADE_AGENT_TOKEN"))
			}
			if runtimeTokenFile != "" {
				b, err := os.ReadFile(runtimeTokenFile)
				if err != nil {
					return badInput(fmt.Errorf("--runtime-token-file: %w", err))
				}
				if cfg.RuntimeToken = strings.TrimSpace(string(b)); cfg.RuntimeToken == "" {
					return badInput(fmt.Errorf("--runtime-token-file %s is empty", runtimeTokenFile))
				}
			}
			apis, err := policyreport.ParseAPIs(reportAPI)
			if err != nil {
				return badInput(fmt.Errorf("--policy-report-api: %w", err))
			}
			cfg.PolicyReportAPIs = apis
			if err := cfg.Validate(); err != nil {
				return badInput(err)
			}
			logger, err := logs.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			warnExposed(logger, "--token-file", tokenFile)
			warnExposed(logger, "--runtime-token-file", runtimeTokenFile)
			if cfg.Managed() {
				warnExposed(logger, "--state-dir", cfg.StateDir)
			}
			if os.Getenv("GOGC") == "" {
				// Admission allocates ~40 KB per review and keeps almost
				// nothing: a larger GC target costs ~15 MB and buys a third
				// more reviews per second (docs/performance.md).
				debug.SetGCPercent(400)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return agent.Run(ctx, cfg, logger, nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Listen, "listen", ":8443", "address to serve HTTPS on")
	f.StringVar(&cfg.MetricsListen, "metrics-bind-address", "", "also serve Prometheus /metrics on this address, plain HTTP and without a token, e.g. :9090 (default: only on the HTTPS port)")
	f.IntVar(&cfg.MaxConnsPerClient, "max-conns-per-client", edge.DefaultPerClient, "connections one client address (an IPv6 /64) may hold on each listener; more are closed at accept (0: no cap)")
	f.DurationVar(&cfg.ShutdownDelay, "shutdown-delay", 0, "on SIGTERM, keep serving this long with /readyz failing before closing the listener, while the pod is taken out of the Service (the chart sets 5s)")
	f.StringVar(&cfg.TLSCertFile, "tls-cert-file", "", "serving certificate (PEM), reloaded when it changes")
	f.StringVar(&cfg.TLSKeyFile, "tls-key-file", "", "serving key (PEM), reloaded when it changes")
	f.StringVar(&cfg.PolicyFile, "policy", "", "policy file (standalone mode), reloaded when it changes")
	completePolicyFile(cmd, "policy")
	f.StringVar(&cfg.EventsFile, "events", "", "append events to this file as JSON lines")
	f.BoolVar(&cfg.LogEvents, "log-events", false, "also write every event to the log at info level, one record each (message \"event\"), for the cluster's log collector")
	f.StringVar(&cfg.Cluster, "cluster-name", "", "cluster name recorded in events")
	deprecatedStringAlias(f, "cluster", "cluster-name", &cfg.Cluster)
	f.DurationVar(&cfg.PollInterval, "reload-interval", 2*time.Second, "how often the policy file and --scan-results are checked for changes")
	logs = addLogFlags(f, "json")
	f.BoolVar(&cfg.EmitAdmissionEvents, "emit-admission-events", false, "record a Kubernetes Event (AdmissionDenied) on the object of each denied request (needs create and patch on events.k8s.io events)")
	f.StringVar(&reportAPI, "policy-report-api", string(policyreport.APIWGPolicy), "with --policy-reports: the API the reports are written in: wgpolicyk8s.io (PolicyReport), openreports.io (Report) or both")
	f.StringVar(&cfg.ConsoleURL, "console", "", "managed mode: the console's URL (http(s)://host:port)")
	f.StringVar(&cfg.Token, "token", "", "managed mode: the cluster's agent token (prefer --token-file)")
	f.StringVar(&tokenFile, "token-file", "", "managed mode: file holding the cluster's agent token, read again as it changes (a rotated token needs no restart)")
	f.StringVar(&cfg.ConsoleCAFile, "console-ca-file", "", "managed mode: PEM bundle that signs the console's certificate (default: system roots)")
	f.StringVar(&cfg.StateDir, "state-dir", "/var/lib/palisade", "managed mode: where the last good policy and the event queue are kept")
	f.BoolVar(&cfg.Continuous, "continuous", false, "judge running pods against the continuous tab and carry out log, isolate and terminate")
	f.DurationVar(&cfg.ContinuousPeriod, "continuous-period", time.Hour, "continuous: how often every pod is judged again (at least 1m); pods are also judged when they change and when the policy does")
	f.BoolVar(&cfg.DryRun, "dry-run", false, "continuous: record what isolate and terminate would do, and do nothing")
	f.StringSliceVar(&cfg.Protected, "protected-namespaces", nil, "continuous: namespaces never isolated or terminated in, whatever the policy says (the agent's own, from $POD_NAMESPACE, always is)")
	f.IntVar(&cfg.TerminatePerMinute, "terminate-per-minute", 10, "continuous: most pods deleted per minute; further deletions wait")
	f.BoolVar(&cfg.VerifyIsolation, "verify-isolation", true, "check each isolation by traffic from the agent's pod: a pod that still answers is reported NOT isolated (Event IsolationNotEnforced); turn off for an agent in the host network")
	f.BoolVar(&cfg.PolicyReports, "policy-reports", false, "continuous: publish the results per namespace as wgpolicyk8s.io/v1alpha2 PolicyReports named palisade (the CRD must be installed)")
	f.DurationVar(&cfg.PolicyReportInterval, "policy-report-interval", 10*time.Minute, "continuous: how often the PolicyReports are rebuilt (written only when they changed)")
	f.BoolVar(&cfg.LeaderElect, "leader-elect", false, "continuous: with several replicas, only the holder of the Lease palisade-continuous in $POD_NAMESPACE runs the checks")
	f.StringArrayVar(&cfg.RuntimeRules, "runtime-rules", nil, "runtime: rulesets the policy can bind, [NAME=]FILE[,FILE...]: Falco rules files loaded together (named NAME or after the first file) or RuntimeRuleset documents (repeatable)")
	f.StringVar(&cfg.ScanResults, "scan-results", "", "image scan reports for the scan-result rules: a file or a folder, followed for changes")
	f.BoolVar(&cfg.WatchRoles, "watch-roles", false, "follow the cluster's Roles and ClusterRoles, so that the RBAC rules judge a binding with the role it references (needs list and watch on them)")
	f.BoolVar(&cfg.ScanResultsByDigest, "scan-results-by-digest", true, "scan-result rules at admission: resolve an image's tag to the digest it names now (asks the registry, with imagePullSecrets, as imagesNotSigned does) and judge that digest's scan; false: a scan recorded for the tag counts")
	f.BoolVar(&cfg.TrivyOperator, "trivy-operator", false, "read Trivy Operator's VulnerabilityReports and ExposedSecretReports from the cluster for the scan-result rules")
	addSignatureFlags(f, &cfg.Signatures)
	cfg.Kube = addKubeFlags(cmd, kubeFlagOptions{prefix: "cluster access: ", userAgent: "palisade"})
	f.DurationVar(&cfg.Signatures.TTL, "signature-cache-ttl", signature.DefaultTTL, "imagesNotSigned: how long a verified digest stays verified (unsigned ones are asked again after 30s, tags resolved again after 30s)")
	f.BoolVar(&cfg.SignaturePullSecrets, "signature-pull-secrets", true, "imagesNotSigned: read pods' imagePullSecrets (get secrets) for registry credentials, before the agent's own ($DOCKER_CONFIG)")
	f.StringVar(&runtimeTokenFile, "runtime-token-file", "", "runtime: file holding the bearer token /audit and /falco callers must present")
	f.StringVar(&cfg.AdmissionClientCAFile, "admission-client-ca-file", "", "PEM CA bundle: /validate and /mutate require a client certificate it signed, the API server's (its --admission-control-config-file; docs/operations.md); without it they answer anyone, and events say caller unauthenticated")
	f.StringVar(&cfg.RuntimeClientCAFile, "runtime-client-ca-file", "", "runtime: PEM CA bundle; /audit and /falco callers with a client certificate it signed are let in")
	cmd.AddCommand(newWebhookRulesCmd())
	return cmd
}
