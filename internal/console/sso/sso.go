package sso

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// CallbackPath is where the provider sends the browser back: the path of
// every redirect URL registered for the console.
const CallbackPath = "/login/oidc/callback"

// Errors a login fails with, wrapped with the details (which are for the
// log: they may name claims and URLs the page need not show).
var (
	// ErrDiscovery: the provider's configuration could not be read.
	ErrDiscovery = errors.New("identity provider unavailable")
	// ErrExchange: the provider did not trade the code for tokens.
	ErrExchange = errors.New("code exchange failed")
	// ErrIDToken: the ID token (or the user's claims) failed a check.
	ErrIDToken = errors.New("ID token refused")
)

// Config is how the console signs users in with an OpenID Connect
// provider.
type Config struct {
	// Name is the provider's name on the login page ("Log in with Name").
	Name string
	// IssuerURL is the provider's issuer: discovery reads
	// IssuerURL/.well-known/openid-configuration, and ID tokens must be
	// issued by exactly it.
	IssuerURL    string
	ClientID     string
	ClientSecret string
	// RedirectURL is the console's external URL + CallbackPath, as
	// registered at the provider.
	RedirectURL string
	// Scopes are requested at login; they include "openid".
	Scopes []string
	// GroupsClaim names the claim that lists the user's groups (in the ID
	// token, else at the provider's userinfo endpoint).
	GroupsClaim string
	// Members of any of AdminGroups are admins; else members of any of
	// ViewerGroups are viewers; anybody else is refused.
	AdminGroups  []string
	ViewerGroups []string
	// HTTPClient reaches the provider (nil: a client with a 10-second
	// timeout and the environment's proxy settings).
	HTTPClient *http.Client
	// Now is the clock ID tokens are checked with (time.Now when nil).
	Now func() time.Time
}

// Problems lists what is wrong with c, nil when nothing is. Each problem
// names its field by name(key), the key being one of issuer-url,
// client-id, client-secret, redirect-url, scopes, groups-claim,
// admin-groups and viewer-groups: the caller says what its users call it
// (a flag, a values key).
func (c Config) Problems(name func(field string) string) []error {
	var errs []error
	for _, u := range []struct {
		field, value string
	}{{"issuer-url", c.IssuerURL}, {"redirect-url", c.RedirectURL}} {
		p, err := url.Parse(u.value)
		switch {
		case u.value == "":
			errs = append(errs, fmt.Errorf("%s is required", name(u.field)))
		case err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "":
			errs = append(errs, fmt.Errorf("%s %q is not an http(s) URL", name(u.field), u.value))
		case u.field == "redirect-url" && p.Path != CallbackPath:
			errs = append(errs, fmt.Errorf("%s %q must end in %s (the console's external URL + %s)", name(u.field), u.value, CallbackPath, CallbackPath))
		}
	}
	if c.ClientID == "" {
		errs = append(errs, fmt.Errorf("%s is required", name("client-id")))
	}
	if c.ClientSecret == "" {
		errs = append(errs, fmt.Errorf("%s is required", name("client-secret")))
	}
	if !slices.Contains(c.Scopes, oidc.ScopeOpenID) {
		errs = append(errs, fmt.Errorf("%s must include %q", name("scopes"), oidc.ScopeOpenID))
	}
	if c.GroupsClaim == "" {
		errs = append(errs, fmt.Errorf("%s is required", name("groups-claim")))
	}
	if len(c.AdminGroups) == 0 && len(c.ViewerGroups) == 0 {
		errs = append(errs, fmt.Errorf("%s or %s is required: without them nobody can log in", name("admin-groups"), name("viewer-groups")))
	}
	return errs
}

// Client signs users in with the provider. Discovery is lazy: the first
// login reads the provider's configuration, and a login while the provider
// cannot be reached fails with ErrDiscovery and the next one tries again,
// so a console starts (and stays up) while its provider is down.
type Client struct {
	cfg  Config
	http *http.Client

	mu sync.Mutex
	// provider is the discovered configuration (nil until discovered).
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	// failed and failure are the last failed discovery: logins within
	// retryAfter of it get the same error instead of each waiting for the
	// provider again.
	failed  time.Time
	failure error
}

// retryAfter is how long a failed discovery is answered from memory.
const retryAfter = 5 * time.Second

// New returns a client for cfg; it does not reach the provider.
func New(cfg Config) (*Client, error) {
	if errs := cfg.Problems(func(f string) string { return f }); len(errs) > 0 {
		return nil, fmt.Errorf("single sign-on: %w", errors.Join(errs...))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{cfg: cfg, http: hc}, nil
}

// Name is the provider's name for the login page.
func (c *Client) Name() string { return c.cfg.Name }

// GroupsClaim is the claim the groups are read from.
func (c *Client) GroupsClaim() string { return c.cfg.GroupsClaim }

// IssuerURL is the provider's issuer.
func (c *Client) IssuerURL() string { return c.cfg.IssuerURL }

// Discover reads the provider's configuration unless it has it.
func (c *Client) Discover(ctx context.Context) error {
	_, _, err := c.discovered(ctx)
	return err
}

func (c *Client) discovered(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, c.verifier, nil
	}
	if c.failure != nil && c.cfg.Now().Sub(c.failed) < retryAfter {
		return nil, nil, c.failure
	}
	p, err := oidc.NewProvider(c.clientContext(ctx), c.cfg.IssuerURL)
	if err != nil {
		c.failed, c.failure = c.cfg.Now(), fmt.Errorf("%w: discovery at %s: %w", ErrDiscovery, c.cfg.IssuerURL, err)
		return nil, nil, c.failure
	}
	c.provider, c.failure = p, nil
	c.verifier = p.Verifier(&oidc.Config{ClientID: c.cfg.ClientID, Now: c.cfg.Now})
	return c.provider, c.verifier, nil
}

func (c *Client) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, c.http)
}

func (c *Client) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: c.cfg.RedirectURL, Scopes: c.cfg.Scopes}
}

// AuthCodeURL returns the provider's authorization URL for a login with
// the given state and nonce, and the PKCE challenge (S256) of verifier.
func (c *Client) AuthCodeURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	p, _, err := c.discovered(ctx)
	if err != nil {
		return "", err
	}
	return c.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// User is who the provider says logged in.
type User struct {
	// Subject is the provider's identifier of the user (sub).
	Subject string
	// Name is for people: the email address, else the preferred username,
	// else the name, else the subject.
	Name string
	// Groups are the values of the groups claim (nil when there was none).
	Groups []string
}

// Exchange trades the code for tokens with the login's PKCE verifier,
// verifies the ID token (signature, issuer, audience, expiry) and its
// nonce, and returns the user.
func (c *Client) Exchange(ctx context.Context, code, verifier, nonce string) (User, error) {
	p, v, err := c.discovered(ctx)
	if err != nil {
		return User{}, err
	}
	ctx = c.clientContext(ctx)
	tok, err := c.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return User{}, fmt.Errorf("%w: %w", ErrExchange, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return User{}, fmt.Errorf("%w: the token response has no id_token", ErrIDToken)
	}
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return User{}, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return User{}, fmt.Errorf("%w: its nonce is not this login's", ErrIDToken)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return User{}, fmt.Errorf("%w: claims: %w", ErrIDToken, err)
	}
	if c.incomplete(claims) && p.UserInfoEndpoint() != "" {
		if claims, err = c.userInfo(ctx, p, tok, idt.Subject, claims); err != nil {
			return User{}, err
		}
	}
	return c.user(idt.Subject, claims)
}

// userInfo adds the userinfo endpoint's claims to those of the ID token
// (which win), after checking it speaks of the same subject.
func (c *Client) userInfo(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, subject string, claims map[string]any) (map[string]any, error) {
	ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %w", ErrExchange, err)
	}
	if ui.Subject != subject {
		return nil, fmt.Errorf("%w: userinfo is about subject %q, the ID token about %q", ErrIDToken, ui.Subject, subject)
	}
	var more map[string]any
	if err := ui.Claims(&more); err != nil {
		return nil, fmt.Errorf("%w: userinfo claims: %w", ErrIDToken, err)
	}
	for k, v := range claims {
		more[k] = v
	}
	return more, nil
}
