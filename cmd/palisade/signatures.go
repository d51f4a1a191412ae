package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/internal/core/image/trust"
	"github.com/palisade-dev/palisade/internal/supply/signature"
)

// addSignatureFlags registers the verification options scan and the agent
// share.
func addSignatureFlags(f *pflag.FlagSet, c *signature.Config) {
	f.StringVar(&c.TrustedRootFile, "signature-trusted-root", "", "imagesNotSigned: Sigstore trusted_root.json (Fulcio CAs, Rekor and CT log keys) for keyless identities, verified offline with their transparency-log entry")
	f.StringVar(&c.CAFile, "signature-ca-file", "", "imagesNotSigned: PEM CA bundle of a private keyless CA (no transparency log), when there is no --signature-trusted-root")
	f.DurationVar(&c.Timeout, "signature-timeout", signature.DefaultTimeout, "imagesNotSigned: most time the registry work for one image may take; beyond it the finding is \"could not verify\"")
}

// unverifiedImages wraps a verifier and remembers the images whose
// signatures could not be checked, so that scan can name them.
type unverifiedImages struct {
	v      *signature.Verifier
	opts   signature.Options
	mu     sync.Mutex
	failed map[string]string // image → why
}

func (u *unverifiedImages) Verify(ctx context.Context, t *trust.Trust, req trust.Request) trust.Result {
	r := u.v.Verify(ctx, t, req)
	if r.Status == trust.Unverified {
		u.mu.Lock()
		if u.failed == nil {
			u.failed = map[string]string{}
		}
		u.failed[req.Image.Path] = r.Detail
		u.mu.Unlock()
	}
	return r
}

// report names the images that could not be checked, on w.
func (u *unverifiedImages) report(w io.Writer) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.failed) == 0 {
		return
	}
	images := make([]string, 0, len(u.failed))
	for im := range u.failed {
		images = append(images, im)
	}
	slices.Sort(images)
	fmt.Fprintf(w, "palisade: could not check the signatures of %d %s:\n", len(images), map[bool]string{true: "image", false: "images"}[len(images) == 1])
	for _, im := range images {
		fmt.Fprintf(w, "  %s: %s\n", im, u.failed[im])
	}
}

// newScanVerifier is scan's verifier: registry credentials from the Docker
// configuration, a generous cache (one run), the flags' trust roots.
func newScanVerifier(c signature.Config) (*unverifiedImages, error) {
	opts, err := c.Options()
	if err != nil {
		return nil, badInput(err)
	}
	opts.TTL, opts.NegativeTTL, opts.TagTTL = time.Hour, time.Hour, time.Hour
	return &unverifiedImages{v: signature.New(opts), opts: opts}, nil
}

// readPullSecrets makes the verifier read pods' imagePullSecrets with
// client (the cluster audit), before any verification.
func (u *unverifiedImages) readPullSecrets(client kubernetes.Interface, stderr io.Writer) {
	opts := u.opts
	opts.PullSecrets = signature.PullSecretReader(client, slog.New(slog.NewTextHandler(stderr, nil)))
	u.v = signature.New(opts)
}
