package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/platform/apiclient"
	"github.com/palisade-dev/palisade/internal/platform/redact"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
)

// tokenEnv gives `palisade results` the console token when --token-file is
// not set.
const tokenEnv = "PALISADE_TOKEN"

// resultsConfig is `palisade results import`'s typed configuration.
type resultsConfig struct {
	console   string
	tokenFile string
	caFile    string
}

func (c *resultsConfig) validate() error {
	var errs []error
	u, err := url.Parse(c.console)
	switch {
	case c.console == "":
		errs = append(errs, errors.New("--console is required"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("--console %q: want http(s)://host[:port]", redact.URL(c.console)))
	}
	if c.caFile != "" && !strings.HasPrefix(c.console, "https://") {
		errs = append(errs, errors.New("--ca-file goes with an https:// console"))
	}
	return errors.Join(errs...)
}

// token returns --token-file's content when the flag is given, else
// $PALISADE_TOKEN, else the content of the flag's default file.
func (c *resultsConfig) token(cmd *cobra.Command) (string, error) {
	if !cmd.Flags().Changed("token-file") {
		if v := strings.TrimSpace(os.Getenv(tokenEnv)); v != "" {
			return v, nil
		}
	}
	b, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w (or set %s)", err, tokenEnv)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("--token-file %s is empty", c.tokenFile)
	}
	return t, nil
}

func newResultsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "results", Short: "Image scan results: import scanners' reports into the console",
		Example: `  trivy image -f json -o report.json nginx:1.27
  palisade results import report.json --console https://palisade.example.com --token-file admin-token`}
	cmd.AddCommand(newResultsImportCmd())
	return cmd
}

func newResultsImportCmd() *cobra.Command {
	cfg := resultsConfig{}
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import image scan reports into the console",
		Long: `Post scan reports to the console (POST /api/v1/scan-results), which merges
them with the results it holds and serves them to agents: Trivy JSON
(trivy image -f json), Trivy Operator VulnerabilityReports,
ClusterVulnerabilityReports and ExposedSecretReports (YAML or JSON, alone or
in a List), and Palisade ScanResult documents (docs/scan-results.md). The
format is told from the content.

The admin token is read from --token-file, or from $PALISADE_TOKEN when the
flag is not given. A report the console refuses is printed with every
problem, its line and field; the other files are still imported, and the
command exits 2.`,
		Example: `  palisade results import report.json scans/*.yaml --console https://palisade.example.com --token-file admin-token
  PALISADE_TOKEN=$(cat admin-token) palisade results import report.json --console http://127.0.0.1:8080`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validate(); err != nil {
				return badInput(err)
			}
			token, err := cfg.token(cmd)
			if err != nil {
				return badInput(err)
			}
			api, err := newAdminClient(cfg.console, token, cfg.caFile)
			if err != nil {
				return badInput(err)
			}
			if !api.private() {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: the token is sent unencrypted to %s: use https\n", api.base.Host)
			}
			failed := false
			for _, f := range args {
				ok, err := importReport(cmd.Context(), api, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				failed = failed || !ok
			}
			if failed {
				return &exitError{code: exitInput}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.console, "console", "", "the console's URL, http(s)://host[:port]")
	f.StringVar(&cfg.tokenFile, "token-file", "palisade-admin-token", "file holding the console's admin token (default: $"+tokenEnv+" when set)")
	f.StringVar(&cfg.caFile, "ca-file", "", "PEM bundle that signs the console's certificate (default: system roots)")
	return cmd
}

// importReport posts one file. It reports false when the console refused
// the report or the file could not be read, and an error when nothing more
// can be imported (the console is unreachable or refuses the token).
func importReport(ctx context.Context, api *adminClient, file string, out, errOut io.Writer) (bool, error) {
	data, err := document.ReadFile(file, scanreport.MaxFileSize)
	if err != nil {
		fmt.Fprintln(errOut, err)
		return false, nil
	}
	name := filepath.Base(file)
	code, body, err := api.post(ctx, "/api/v1/scan-results?name="+url.QueryEscape(name), data)
	if err != nil {
		return false, err
	}
	switch {
	case code == http.StatusOK:
		var sum service.ImportSummary
		if err := json.Unmarshal(body, &sum); err != nil {
			return false, fmt.Errorf("%s: the console's answer: %w", file, err)
		}
		images := "images"
		if sum.Images == 1 {
			images = "image"
		}
		fmt.Fprintf(out, "%s: %d %s (%s), %d added, %d replaced\n", file, sum.Images, images, sum.Format, sum.Added, sum.Removed)
		for _, w := range sum.Warnings {
			fmt.Fprintln(errOut, "warning:", w)
		}
		return true, nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return false, fmt.Errorf("the console refuses the token (%d): %s", code, apiclient.ErrorMessage(body))
	case code == http.StatusUnprocessableEntity:
		fmt.Fprintf(errOut, "%s: not imported:\n%s\n", file, apiclient.ErrorMessage(body))
		return false, nil
	}
	fmt.Fprintf(errOut, "%s: the console answered %d %s: %s\n", file, code, http.StatusText(code), apiclient.ErrorMessage(body))
	return false, nil
}

// adminClient calls the console's REST API with a bearer token, which it
// never prints.
type adminClient struct {
	base  *url.URL
	token string
	hc    *http.Client
}

func newAdminClient(baseURL, token, caFile string) (*adminClient, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("--console %q: %w", redact.URL(baseURL), err)
	}
	hc, err := apiclient.NewHTTPClient(caFile, "--ca-file", 5*time.Minute, 0)
	if err != nil {
		return nil, err
	}
	return &adminClient{base: u, token: token, hc: hc}, nil
}

// private reports whether the token travels protected: over HTTPS, or to
// a loopback address.
func (c *adminClient) private() bool { return apiclient.Private(c.base) }

// post sends body and returns the answer's status and body (up to 1 MiB).
func (c *adminClient) post(ctx context.Context, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "palisade-cli")
	resp, err := c.hc.Do(req)
	if err != nil {
		// The URL error repeats the URL, never the token.
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}
