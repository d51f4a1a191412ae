package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/palisade-dev/palisade/internal/console/sso"
)

// oidcFlags are the --oidc-* flags of `palisade console`: single sign-on
// for the web UI with an OpenID Connect provider. The names follow
// kube-apiserver's (--oidc-issuer-url, --oidc-client-id,
// --oidc-groups-claim); the client secret is read from a file, never
// taken on the command line.
type oidcFlags struct {
	issuerURL        string
	clientID         string
	clientSecretFile string
	redirectURL      string
	scopes           []string
	groupsClaim      string
	adminGroups      []string
	viewerGroups     []string
	providerName     string
	// caFile verifies the provider's certificate ("": the system roots).
	caFile string
}

func (o *oidcFlags) add(f *pflag.FlagSet) {
	f.StringVar(&o.issuerURL, "oidc-issuer-url", "", "single sign-on for the web UI: the OpenID Connect provider's issuer URL (discovered at the first login, so the console starts while the provider is down); token logins stay")
	f.StringVar(&o.clientID, "oidc-client-id", "", "the console's client ID at the provider")
	f.StringVar(&o.clientSecretFile, "oidc-client-secret-file", "", "file holding the client's secret")
	f.StringVar(&o.redirectURL, "oidc-redirect-url", "", "the console's external URL + "+sso.CallbackPath+", as registered at the provider")
	f.StringSliceVar(&o.scopes, "oidc-scopes", []string{"openid", "profile", "email"}, "scopes requested at login (add groups for Dex)")
	f.StringVar(&o.groupsClaim, "oidc-groups-claim", "groups", "the claim listing the user's groups (read from the ID token, else from the userinfo endpoint)")
	f.StringSliceVar(&o.adminGroups, "oidc-admin-groups", nil, `groups whose members log in as admins (exact names, comma-separated; quote one holding a comma as in CSV: '"cn=admins,dc=example"')`)
	f.StringSliceVar(&o.viewerGroups, "oidc-viewer-groups", nil, "groups whose members log in as viewers, unless also in an admin group")
	f.StringVar(&o.providerName, "oidc-provider-name", "SSO", `the provider's name on the login page ("Log in with <name>")`)
	f.StringVar(&o.caFile, "oidc-ca-file", "", "PEM CA certificates that sign the provider's HTTPS certificate (default: the system roots)")
}

// enabled reports whether single sign-on is configured.
func (o *oidcFlags) enabled() bool { return o.issuerURL != "" }

// flagName names an sso.Config field by its flag.
func (o *oidcFlags) flagName(key string) string {
	if key == "client-secret" {
		return "--oidc-client-secret-file"
	}
	return "--oidc-" + key
}

// problems lists what is wrong with the flags (the secret file is read
// later, by config).
func (o *oidcFlags) problems() []error {
	if !o.enabled() {
		if o.clientID != "" || o.clientSecretFile != "" || o.redirectURL != "" || o.caFile != "" || len(o.adminGroups)+len(o.viewerGroups) > 0 {
			return []error{errors.New("the --oidc-* flags need --oidc-issuer-url")}
		}
		return nil
	}
	cfg := o.config("")
	if o.clientSecretFile != "" {
		cfg.ClientSecret = "read at start"
	}
	return cfg.Problems(o.flagName)
}

// config is the single sign-on configuration, with secret as the client
// secret.
func (o *oidcFlags) config(secret string) sso.Config {
	return sso.Config{Name: o.providerName, IssuerURL: o.issuerURL, ClientID: o.clientID, ClientSecret: secret,
		RedirectURL: o.redirectURL, Scopes: o.scopes, GroupsClaim: o.groupsClaim,
		AdminGroups: o.adminGroups, ViewerGroups: o.viewerGroups}
}

// client reads the client secret and returns the single sign-on client
// (nil when single sign-on is not configured). It does not reach the
// provider: a goroutine tries to, and logs how that went, so that an
// operator learns of a wrong issuer before the first user does.
func (o *oidcFlags) client(ctx context.Context, logger *slog.Logger) (*sso.Client, error) {
	if !o.enabled() {
		return nil, nil
	}
	raw, err := os.ReadFile(o.clientSecretFile)
	if err != nil {
		return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
	}
	secret := strings.TrimSpace(string(raw))
	if secret == "" {
		return nil, fmt.Errorf("--oidc-client-secret-file %s is empty", o.clientSecretFile)
	}
	warnExposed(logger, "OIDC client secret file", o.clientSecretFile)
	cfg := o.config(secret)
	if cfg.HTTPClient, err = o.httpClient(); err != nil {
		return nil, err
	}
	c, err := sso.New(cfg)
	if err != nil {
		return nil, err
	}
	go func() {
		if err := c.Discover(ctx); err != nil {
			logger.Warn("single sign-on: the identity provider cannot be reached yet; each login tries again (token logins work)",
				"issuer", o.issuerURL, "err", err)
			return
		}
		logger.Info("single sign-on ready", "issuer", o.issuerURL, "clientID", o.clientID)
	}()
	return c, nil
}

// httpClient reaches the provider: the environment's proxy settings, a
// 10-second bound on each request, and --oidc-ca-file's roots when given.
func (o *oidcFlags) httpClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--oidc-ca-file %s holds no PEM certificate", o.caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}
