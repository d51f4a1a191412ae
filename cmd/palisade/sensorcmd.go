package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/platform/apiclient"
	"github.com/palisade-dev/palisade/internal/platform/edge"
	"github.com/palisade-dev/palisade/internal/platform/opsserver"
	"github.com/palisade-dev/palisade/internal/platform/redact"
	"github.com/palisade-dev/palisade/internal/sensor"
)

func newSensorCmd() *cobra.Command {
	var (
		opts           sensor.Options
		rules          []string
		agentURL       string
		agentTokenFile string
		agentCAFile    string
		agentServer    string
		rulesURL       string
		rulesPoll      time.Duration
		recordFile     string
		metricsListen  string
		quiet          bool
	)
	cmd := &cobra.Command{
		Use:   "sensor",
		Short: "Capture syscalls with eBPF on this node and evaluate Falco rules on them; alerts go to stdout and to the agent",
		Long: `palisade sensor loads Palisade's eBPF probe (CO-RE, needs a kernel with BTF), reports
the syscalls the rules can match (filtered in the kernel), and evaluates Falco's
rules on them: Falco's published stable rules (falco_rules.yaml) unless --rules
names files. Each alert is printed as one line of Falco's JSON output and, with
--agent-url, posted to a Palisade agent's /falco, which applies the policy's
runtime tab (log, isolate, terminate) as for Falco's own alerts.

It runs as root or with CAP_BPF and CAP_PERFMON (plus CAP_SYS_RESOURCE on
kernels before 5.11, and CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to read other
processes' /proc entries), in the host's pid namespace.`,
		Example: `  # on a node: the stable rules, alerts printed
  sudo palisade sensor --cri-endpoint /run/containerd/containerd.sock

  # as the chart runs it: alerts to the agent
  palisade sensor --cri-endpoint /run/containerd/containerd.sock \
    --agent-url https://palisade.palisade-system.svc/falco --agent-token-file /var/run/palisade/runtime-token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := sensorLogs.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			files, err := readRulesFiles(rules)
			if err != nil {
				return badInput(err)
			}
			if len(files) == 0 {
				files = sensor.DefaultRules()
			}
			opts.Rules = files
			opts.Log = logger
			if opts.Hostname == "" {
				opts.Hostname, _ = os.Hostname()
			}
			reg := prometheus.NewRegistry()
			out := cmd.OutOrStdout()
			var (
				poster      *sensor.Poster
				rulesClient *sensor.RulesClient
			)
			if agentURL != "" {
				if agentURL, err = expandVars(agentURL); err != nil {
					return badInput(fmt.Errorf("--agent-url: %w", err))
				}
				client, token, err := agentClient(agentTokenFile, agentCAFile, agentServer)
				if err != nil {
					return badInput(err)
				}
				poster = sensor.NewPoster(agentURL, token, client, reg, logger)
				if rulesURL == "" {
					rulesURL = strings.TrimSuffix(agentURL, "/falco") + "/sensor/rules"
				}
				if rulesURL != "-" {
					rulesClient = &sensor.RulesClient{URL: rulesURL, Token: token, Client: client}
				}
			}
			opts.Alerts = func(a falco.Alert) {
				if !quiet {
					if err := sensor.WriteAlert(out, a); err != nil {
						logger.Error("writing an alert", "err", err)
					}
				}
				if poster != nil {
					poster.Send(a)
				}
			}
			if recordFile != "" {
				f, err := os.Create(recordFile)
				if err != nil {
					return badInput(fmt.Errorf("--record: %w", err))
				}
				defer f.Close()
				w := bufio.NewWriter(f)
				defer w.Flush()
				opts.Record = w
			}
			if os.Getenv("GOGC") == "" {
				// Each event allocates a little and keeps nothing: a larger
				// GC target spends less of the node's CPU collecting
				// (docs/performance.md).
				debug.SetGCPercent(400)
			}
			s, diags, err := sensor.New(opts)
			for _, d := range diags {
				logger.Warn("rules", "diagnostic", d.String())
			}
			if err != nil {
				return err
			}
			defer s.Close()
			opts.Metrics = sensor.NewMetrics(reg, s)
			s.SetMetrics(opts.Metrics)
			nrs, missing := s.Syscalls()
			logger.Info("sensor started", "rules", len(s.Rules().All()), "syscalls", len(nrs),
				"path_filter", sensor.DescribeFilter(s.PathFilter()))
			if len(missing) > 0 {
				logger.Warn("the rules match event types the sensor does not capture; rules on them never fire",
					"types", strings.Join(missing, ","))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if metricsListen != "" {
				ln, err := edge.Listen(metricsListen, edge.Limits{PerClient: edge.DefaultPerClient})
				if err != nil {
					return fmt.Errorf("--metrics-bind-address: %w", err)
				}
				mux := http.NewServeMux()
				mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
				mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
				srv := opsserver.Serve(ln, mux, "sensor metrics", logger)
				defer srv.Close()
			}
			if rulesClient != nil {
				go followRules(ctx, s, rulesClient, rulesPoll, logger)
			}
			if poster != nil {
				pctx, cancel := context.WithCancel(context.Background())
				go poster.Run(pctx)
				defer func() { cancel(); poster.Wait() }()
			}
			return s.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&rules, "rules", nil, "Falco rules file to evaluate (repeatable, loaded in order as Falco's -r); default: Falco's stable falco_rules.yaml, built in")
	f.StringVar(&opts.CRIEndpoint, "cri-endpoint", "", "container runtime's CRI socket, for container and pod names (e.g. /run/containerd/containerd.sock); empty: container ids only")
	f.StringVar(&opts.Proc, "proc", "/proc", "the node's /proc")
	f.StringVar(&opts.Hostname, "hostname", "", "node name for evt.hostname and alerts (default: the host name; the chart sets the node's name)")
	f.IntVar(&opts.RingBytes, "ring-buffer-bytes", 0, "size of the probe's ring buffer, a power of two (default 8 MiB)")
	f.StringVar(&agentURL, "agent-url", "", "post alerts to this Palisade agent endpoint (https://HOST:8443/falco); $(NAME) is replaced by the environment variable NAME")
	f.StringVar(&agentTokenFile, "agent-token-file", "", "file holding the agent's runtime intake token")
	f.StringVar(&agentCAFile, "agent-ca-file", "", "CA bundle that signed the agent's serving certificate (default: the system's)")
	f.StringVar(&agentServer, "agent-server-name", "", "name the agent's certificate must have, when --agent-url gives an address (default: the URL's host)")
	f.StringVar(&metricsListen, "metrics-bind-address", "", "serve Prometheus /metrics (events, alerts, ring buffer drops per CPU) on this address")
	f.BoolVar(&quiet, "quiet", false, "do not print alerts on stdout")
	f.StringVar(&rulesURL, "agent-rules-url", "", "also evaluate the syscall rules of the rulesets the agent's policy binds, from this URL (default: --agent-url's /sensor/rules; - for none)")
	f.StringVar(&recordFile, "record", "", "write the first --record-count events as JSON lines to this file (a stream to replay in benchmarks)")
	f.IntVar(&opts.RecordCount, "record-count", 20000, "how many events --record writes")
	f.DurationVar(&rulesPoll, "agent-rules-interval", 15*time.Second, "how often to ask the agent for its rulesets' syscall rules")
	sensorLogs = addLogFlags(f, "text")
	return cmd
}

var sensorLogs *logFlags

// followRules asks the agent for its bound rulesets' syscall rules every
// interval and reloads the sensor's rules when they change; rules that do
// not compile are logged and the rules in force stay.
func followRules(ctx context.Context, s *sensor.Sensor, c *sensor.RulesClient, every time.Duration, logger *slog.Logger) {
	failures := 0
	for {
		files, changed, err := c.Fetch(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			if failures++; failures == 1 || failures%20 == 0 {
				logger.Warn("cannot get the rulesets' rules from the agent; retrying", "url", redact.URL(c.URL), "failures", failures, "err", err)
			}
		case changed:
			failures = 0
			diags, err := s.Reload(files)
			if err != nil {
				logger.Error("the rulesets' rules from the agent do not compile; the rules in force stay", "err", err)
			}
			for _, d := range diags {
				if d.Severity == falco.Error {
					logger.Error("rules", "diagnostic", d.String())
				}
			}
		default:
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// varRef is a $(NAME) reference, as Kubernetes writes them in args.
var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expandVars replaces $(NAME) with the environment variable NAME: the
// chart names the agent's Service by the <SERVICE>_SERVICE_HOST and
// _SERVICE_PORT_HTTPS variables the kubelet gives every container, which
// the kubelet itself does not expand in args.
func expandVars(s string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: environment variable %s not set", s, strings.Join(missing, ", "))
	}
	return out, nil
}

func readRulesFiles(paths []string) ([]falco.File, error) {
	var files []falco.File
	for _, p := range paths {
		b, err := document.ReadFile(p, policy.MaxFileSize)
		if err != nil {
			return nil, fmt.Errorf("--rules: %w", err)
		}
		files = append(files, falco.File{Name: filepath.Base(p), Data: b})
	}
	return files, nil
}

func agentClient(tokenFile, caFile, serverName string) (*http.Client, string, error) {
	var token string
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, "", fmt.Errorf("--agent-token-file: %w", err)
		}
		if token = strings.TrimSpace(string(b)); token == "" {
			return nil, "", errors.New("--agent-token-file is empty")
		}
	}
	client, err := apiclient.NewHTTPClient(caFile, "--agent-ca-file", 15*time.Second, 0)
	if err != nil {
		return nil, "", err
	}
	if serverName != "" {
		tr := client.Transport.(*http.Transport)
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tr.TLSClientConfig.ServerName = serverName
	}
	return client, token, nil
}
