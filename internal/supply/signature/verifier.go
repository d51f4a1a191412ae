package signature

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	kauth "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
	"golang.org/x/sync/singleflight"
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/image/trust"
)

// Defaults for Options.
const (
	DefaultTimeout     = 3 * time.Second
	DefaultTTL         = 10 * time.Minute
	DefaultTagTTL      = 30 * time.Second
	DefaultNegativeTTL = 30 * time.Second
	// errorTTL spaces out retries against a registry that failed: a
	// review waits for a dead registry at most once in that window.
	errorTTL = 5 * time.Second
	// maxEntries bounds each cache; when full, expired entries go, and if
	// none had expired the cache starts over.
	maxEntries = 50000
)

// Options configure a Verifier.
type Options struct {
	// Keychain holds this process's own registry credentials
	// (authn.DefaultKeychain, the Docker config file, when nil).
	Keychain authn.Keychain
	// PullSecrets reads the named Secrets of a namespace: the pod's
	// imagePullSecrets. Nil: only Keychain is used.
	PullSecrets func(ctx context.Context, namespace string, names []string) ([]corev1.Secret, error)
	// TrustedRoot is Sigstore's trusted root (Fulcio CAs, Rekor and CT log
	// keys): keyless signatures are verified against it, with their
	// transparency-log entry and certificate timestamps, offline.
	TrustedRoot root.TrustedMaterial
	// Roots are CA certificates of a private keyless CA, used when there is
	// no TrustedRoot: certificates must chain to them and be valid now; no
	// transparency log is consulted.
	Roots *x509.CertPool
	// Timeout bounds the registry work for one image (DefaultTimeout).
	Timeout time.Duration
	// TTL is how long a verified digest stays verified (DefaultTTL);
	// NegativeTTL how long "not signed" is remembered (DefaultNegativeTTL);
	// TagTTL how long a tag's digest is trusted (DefaultTagTTL).
	TTL, NegativeTTL, TagTTL time.Duration
	// Transport carries registry requests (remote.DefaultTransport when nil).
	Transport http.RoundTripper
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Observe, when set, is told each verdict Verify returns and whether
	// it came from the cache, for metrics.
	Observe func(s trust.Status, cached bool)
}

// Verifier verifies image signatures with caching. It is safe for
// concurrent use.
type Verifier struct {
	opts  Options
	group singleflight.Group

	mu       sync.RWMutex
	tags     map[string]entry[string]
	verdicts map[string]entry[trust.Result]
}

type entry[T any] struct {
	v       T
	expires time.Time
}

// New returns a Verifier.
func New(opts Options) *Verifier {
	if opts.Keychain == nil {
		opts.Keychain = authn.DefaultKeychain
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.NegativeTTL <= 0 {
		opts.NegativeTTL = DefaultNegativeTTL
	}
	if opts.TagTTL <= 0 {
		opts.TagTTL = DefaultTagTTL
	}
	if opts.Transport == nil {
		opts.Transport = remote.DefaultTransport
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Verifier{opts: opts, tags: map[string]entry[string]{}, verdicts: map[string]entry[trust.Result]{}}
}

// Verify judges req's image against t. It never returns an error: a
// registry that cannot be asked is an trust.Unverified result, which the caller's
// policy decides on. Concurrent calls for the same image share one
// registry conversation.
func (v *Verifier) Verify(ctx context.Context, t *trust.Trust, req trust.Request) trust.Result {
	r, cached := v.lookupOrVerify(ctx, t, req)
	if v.opts.Observe != nil {
		v.opts.Observe(r.Status, cached)
	}
	return r
}

// Cached is Verify answered from the verifier's memory alone: ok is false
// when answering would need the registry. The admission path asks it
// first, so that a pod whose images were all verified lately costs no
// goroutine per image.
func (v *Verifier) Cached(t *trust.Trust, req trust.Request) (trust.Result, bool) {
	r, _, ok := v.fromMemory(t, req)
	if ok && v.opts.Observe != nil {
		v.opts.Observe(r.Status, true)
	}
	return r, ok
}

// fromMemory answers req from the caches, or returns the digest known
// for its tag ("" when none) for the registry conversation.
func (v *Verifier) fromMemory(t *trust.Trust, req trust.Request) (r trust.Result, digest string, ok bool) {
	if req.Image.Err != nil {
		return trust.Result{}, "", false
	}
	digest = req.Image.Digest
	if digest == "" {
		digest, _ = lookup(v, v.tags, req.Image.Path)
	}
	if digest != "" {
		if r, ok := lookup(v, v.verdicts, verdictKey(t, req.Image, digest)); ok {
			return r, digest, true
		}
	}
	// A registry that failed this image lately, with these credentials.
	r, ok = lookup(v, v.verdicts, failureKey(t, req))
	return r, digest, ok
}

func (v *Verifier) lookupOrVerify(ctx context.Context, t *trust.Trust, req trust.Request) (trust.Result, bool) {
	if req.Image.Err != nil {
		return trust.Result{Status: trust.Unverified, Detail: req.Image.Err.Error()}, false
	}
	r, digest, ok := v.fromMemory(t, req)
	if ok {
		return r, true
	}
	fkey := failureKey(t, req)
	ch := v.group.DoChan(fkey, func() (any, error) {
		// Detached from the caller: the first caller's deadline must not
		// cut short the others' answer, and the answer is cached.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.opts.Timeout)
		defer cancel()
		return v.verify(ctx, t, req, digest), nil
	})
	select {
	case res := <-ch:
		return res.Val.(trust.Result), false
	case <-ctx.Done():
		return trust.Result{Status: trust.Unverified, Digest: digest, Detail: "no answer from the registry within the admission budget"}, false
	}
}

// Digest returns the digest req's image names now: the one it pins, else
// the one its tag points at, remembered TagTTL (the cache Verify keeps) and
// asked of the registry with the pod's imagePullSecrets, then this
// process's credentials, as Verify asks. The scan-result rules match scans
// by it. The error says why the registry could not tell; a failure is
// remembered errorTTL. Concurrent calls for the same tag share one request.
func (v *Verifier) Digest(ctx context.Context, req trust.Request) (string, error) {
	if req.Image.Err != nil {
		return "", req.Image.Err
	}
	if req.Image.Digest != "" {
		return req.Image.Digest, nil
	}
	if d, ok := lookup(v, v.tags, req.Image.Path); ok {
		return d, nil
	}
	fkey := "digest " + req.Image.Path + " " + req.Namespace + "/" + strings.Join(req.PullSecrets, ",")
	if r, ok := lookup(v, v.verdicts, fkey); ok {
		return "", errors.New(r.Detail)
	}
	ch := v.group.DoChan(fkey, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.opts.Timeout)
		defer cancel()
		d, err := v.resolveTag(ctx, req)
		if err != nil {
			store(v, v.verdicts, fkey, trust.Result{Status: trust.Unverified, Detail: err.Error()}, errorTTL)
			return "", err
		}
		store(v, v.tags, req.Image.Path, d, v.opts.TagTTL)
		return d, nil
	})
	select {
	case res := <-ch:
		return res.Val.(string), res.Err
	case <-ctx.Done():
		return "", errors.New("no answer from the registry within the admission budget")
	}
}

// resolveTag asks the registry which digest req's tag points at.
func (v *Verifier) resolveTag(ctx context.Context, req trust.Request) (string, error) {
	repo, err := name.NewRepository(req.Image.Registry + "/" + req.Image.Name)
	if err != nil {
		return "", err
	}
	kc, err := v.keychain(ctx, req)
	if err != nil {
		return "", fmt.Errorf("reading imagePullSecrets: %w", err)
	}
	ropts, err := v.remoteOptions(ctx, kc)
	if err != nil {
		return "", err
	}
	d, err := resolve(repo.Tag(req.Image.Tag), ropts)
	if err != nil {
		return "", resolveError(repo, req.Image.Tag, err)
	}
	return d, nil
}

func (v *Verifier) verify(ctx context.Context, t *trust.Trust, req trust.Request, digest string) trust.Result {
	repo, err := name.NewRepository(req.Image.Registry + "/" + req.Image.Name)
	if err != nil {
		return trust.Result{Status: trust.Unverified, Detail: err.Error()}
	}
	kc, err := v.keychain(ctx, req)
	if err != nil {
		return trust.Result{Status: trust.Unverified, Detail: "reading imagePullSecrets: " + err.Error()}
	}
	ropts, err := v.remoteOptions(ctx, kc)
	if err != nil {
		return trust.Result{Status: trust.Unverified, Detail: err.Error()}
	}
	if digest == "" {
		d, err := resolve(repo.Tag(req.Image.Tag), ropts)
		if err != nil {
			r := trust.Result{Status: trust.Unverified, Detail: resolveError(repo, req.Image.Tag, err).Error()}
			store(v, v.verdicts, failureKey(t, req), r, errorTTL)
			return r
		}
		digest = d
		store(v, v.tags, req.Image.Path, digest, v.opts.TagTTL)
		if r, ok := lookup(v, v.verdicts, verdictKey(t, req.Image, digest)); ok {
			return r
		}
	}
	r := v.verifyDigest(ctx, t, repo.Digest(digest), ropts)
	r.Digest = digest
	switch r.Status {
	case trust.Signed:
		store(v, v.verdicts, verdictKey(t, req.Image, digest), r, v.opts.TTL)
	case trust.NotSigned:
		store(v, v.verdicts, verdictKey(t, req.Image, digest), r, v.opts.NegativeTTL)
	case trust.Unverified:
		store(v, v.verdicts, failureKey(t, req), r, errorTTL)
	}
	return r
}

// remoteOptions are the options of one registry conversation: one puller
// for all of it, so that the registry is pinged, and a token fetched, once
// rather than once per request, and no retries: the backoff (1 s, then 3 s)
// does not fit the admission budget, it would turn a registry's answer
// ("500") into "did not answer in time", and a failure is remembered
// errorTTL before the registry is asked again anyway.
func (v *Verifier) remoteOptions(ctx context.Context, kc authn.Keychain) ([]remote.Option, error) {
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(v.opts.Transport),
		remote.WithRetryStatusCodes(), remote.WithRetryPredicate(func(error) bool { return false })}
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return nil, err
	}
	return append(ropts, remote.Reuse(puller)), nil
}

// resolveError says why a tag could not be resolved. Not found is a
// failure too: some registries answer 404 to a client without access.
func resolveError(repo name.Repository, tag string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("tag %s not found in %s", tag, repo)
	}
	return fmt.Errorf("resolving tag %s: %s", tag, reason(err))
}

// verifyDigest reads the signatures stored beside ref's digest and checks
// each against the trust set, keys first.
func (v *Verifier) verifyDigest(ctx context.Context, t *trust.Trust, ref name.Digest, ropts []remote.Option) trust.Result {
	h, err := v1.NewHash(ref.DigestStr())
	if err != nil {
		return trust.Result{Status: trust.Unverified, Detail: err.Error()}
	}
	oopts := []ociremote.Option{ociremote.WithRemoteOptions(ropts...)}
	st, err := ociremote.SignatureTag(ref, oopts...)
	if err != nil {
		return trust.Result{Status: trust.Unverified, Detail: err.Error()}
	}
	sigs, err := ociremote.Signatures(st, oopts...)
	if err != nil {
		return trust.Result{Status: trust.Unverified, Detail: "reading signatures: " + reason(err)}
	}
	list, err := sigs.Get()
	if err != nil {
		return trust.Result{Status: trust.Unverified, Detail: "reading signatures: " + reason(err)}
	}
	if len(list) == 0 {
		return trust.Result{Status: trust.NotSigned, Detail: "no signature on " + ref.DigestStr()}
	}
	// Why the first candidate failed: every trust set holds at least one
	// key or identity, so there is one when nothing verified.
	var problems []string
	for _, k := range t.Keys() {
		sv, err := sigsig.LoadVerifier(k.Public, crypto.SHA256)
		if err != nil {
			problems = append(problems, k.Name+": "+err.Error())
			continue
		}
		co := &cosign.CheckOpts{SigVerifier: sv, ClaimVerifier: cosign.SimpleClaimVerifier, IgnoreTlog: true, IgnoreSCT: true}
		if ok, why := check(ctx, list, h, co); ok {
			return trust.Result{Status: trust.Signed, Detail: "signed with " + k.Name}
		} else {
			problems = append(problems, why)
		}
	}
	for _, id := range t.Identities() {
		co := &cosign.CheckOpts{ClaimVerifier: cosign.SimpleClaimVerifier, Identities: []cosign.Identity{cosignIdentity(id)}}
		switch {
		case v.opts.TrustedRoot != nil:
			co.TrustedMaterial, co.Offline = v.opts.TrustedRoot, true
		case v.opts.Roots != nil:
			co.RootCerts, co.IgnoreTlog, co.IgnoreSCT = v.opts.Roots, true, true
		default:
			return trust.Result{Status: trust.Unverified, Detail: "keyless identities need Sigstore's trusted root or a CA (the agent's --signature-trusted-root or --signature-ca-file)"}
		}
		if ok, why := check(ctx, list, h, co); ok {
			return trust.Result{Status: trust.Signed, Detail: "signed by " + id.String()}
		} else {
			problems = append(problems, why)
		}
	}
	return trust.Result{Status: trust.NotSigned, Detail: fmt.Sprintf("%d %s on %s, none verifies against the %s: %s",
		len(list), plural(len(list), "signature", "signatures"), ref.DigestStr(), t.Describe(), problems[0])}
}

// check reports whether one of sigs verifies under co, or the first reason
// none did.
func check(ctx context.Context, sigs []oci.Signature, h v1.Hash, co *cosign.CheckOpts) (bool, string) {
	why := ""
	for _, s := range sigs {
		_, err := cosign.VerifyImageSignature(ctx, s, h, co)
		if err == nil {
			return true, ""
		}
		if why == "" {
			why = err.Error()
		}
	}
	return false, why
}

// keychain is the pod's imagePullSecrets first, then this process's own
// credentials. Credentials are never part of a Result or an error.
func (v *Verifier) keychain(ctx context.Context, req trust.Request) (authn.Keychain, error) {
	if len(req.PullSecrets) == 0 || v.opts.PullSecrets == nil {
		return v.opts.Keychain, nil
	}
	secrets, err := v.opts.PullSecrets(ctx, req.Namespace, req.PullSecrets)
	if err != nil {
		return nil, err
	}
	kc, err := kauth.NewFromPullSecrets(ctx, secrets)
	if err != nil {
		return nil, errors.New("the pull secrets hold no usable Docker configuration")
	}
	return authn.NewMultiKeychain(kc, v.opts.Keychain), nil
}

// resolve returns the digest a tag points at: HEAD first, GET when the
// registry does not answer HEAD with a digest.
func resolve(tag name.Tag, ropts []remote.Option) (string, error) {
	desc, err := remote.Head(tag, ropts...)
	if err == nil {
		return desc.Digest.String(), nil
	}
	if isNotFound(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "", err
	}
	got, gerr := remote.Get(tag, ropts...)
	if gerr != nil {
		return "", gerr
	}
	return got.Digest.String(), nil
}

func isNotFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

// reason turns a registry error into a short cause for a finding.
func reason(err error) string {
	var te *transport.Error
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "the registry did not answer in time"
	case errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden):
		return fmt.Sprintf("the registry refused access (%d): give the pod an imagePullSecret or the agent registry credentials", te.StatusCode)
	case errors.As(err, &te):
		return answered(te)
	case errors.As(err, &ne):
		return "the registry could not be reached: " + ne.Error()
	}
	return err.Error()
}

// answered is what a registry answered: the status and the first
// message of its error body, bounded (a registry's body is not ours to
// print whole).
func answered(te *transport.Error) string {
	s := fmt.Sprintf("the registry answered %d %s", te.StatusCode, http.StatusText(te.StatusCode))
	if len(te.Errors) > 0 {
		msg := strings.TrimSpace(string(te.Errors[0].Code) + ": " + te.Errors[0].Message)
		if len(msg) > maxAnswer {
			msg = strings.ToValidUTF8(msg[:maxAnswer], "") + "..."
		}
		s += " (" + msg + ")"
	}
	return s
}

// maxAnswer bounds the registry's message quoted in a finding.
const maxAnswer = 200

// failureKey names a failed verification: it holds only for the same
// credentials, since other pull secrets may open the registry.
func failureKey(t *trust.Trust, req trust.Request) string {
	return t.ID() + " " + req.Image.Path + " " + req.Namespace + "/" + strings.Join(req.PullSecrets, ",")
}

func verdictKey(t *trust.Trust, r image.Ref, digest string) string {
	return t.ID() + " " + r.Registry + "/" + r.Name + "@" + digest
}

func lookup[T any](v *Verifier, m map[string]entry[T], k string) (T, bool) {
	v.mu.RLock()
	e, ok := m[k]
	v.mu.RUnlock()
	if !ok || !v.opts.Now().Before(e.expires) {
		var zero T
		return zero, false
	}
	return e.v, true
}

func store[T any](v *Verifier, m map[string]entry[T], k string, val T, ttl time.Duration) {
	now := v.opts.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(m) >= maxEntries {
		for k, e := range m {
			if !now.Before(e.expires) {
				delete(m, k)
			}
		}
		if len(m) >= maxEntries {
			clear(m)
		}
	}
	m[k] = entry[T]{v: val, expires: now.Add(ttl)}
}

// cosignIdentity is id in cosign's terms, its expressions anchored.
func cosignIdentity(id trust.Identity) cosign.Identity {
	a := id.Anchored()
	return cosign.Identity{Issuer: a.Issuer, IssuerRegExp: a.IssuerRegExp, Subject: a.Subject, SubjectRegExp: a.SubjectRegExp}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
