package signature

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/internal/platform/apiclient"
)

// Config is what the agent's and scan's flags say about verification.
type Config struct {
	// TrustedRootFile is a Sigstore trusted_root.json (for keyless
	// signatures from Sigstore's public Fulcio and Rekor, or a private
	// deployment of them).
	TrustedRootFile string
	// CAFile is a PEM bundle of a private keyless CA, used without a
	// transparency log when there is no TrustedRootFile.
	CAFile string
	// Timeout, TTL: see Options.
	Timeout, TTL time.Duration
}

// Options turns the configuration into verifier options, reading the
// files; errors name the flag and the file.
func (c Config) Options() (Options, error) {
	o := Options{Timeout: c.Timeout, TTL: c.TTL}
	if c.TrustedRootFile != "" && c.CAFile != "" {
		return o, fmt.Errorf("--signature-trusted-root and --signature-ca-file are exclusive: keyless certificates chain to one of them")
	}
	if c.TrustedRootFile != "" {
		tr, err := root.NewTrustedRootFromPath(c.TrustedRootFile)
		if err != nil {
			return o, fmt.Errorf("--signature-trusted-root %s: not a Sigstore trusted root: %w", c.TrustedRootFile, err)
		}
		o.TrustedRoot = tr
	}
	if c.CAFile != "" {
		pool, err := apiclient.LoadCAPool(c.CAFile, "--signature-ca-file")
		if err != nil {
			return o, err
		}
		o.Roots = pool
	}
	return o, nil
}

// PullSecretReader reads pods' imagePullSecrets with the API: one GET per
// named Secret, on a cold verification only. A Secret that is missing, or
// that the agent may not read, is skipped as the kubelet skips a missing
// one: the agent's own credentials and anonymous access remain. Secrets'
// contents are never logged.
func PullSecretReader(client kubernetes.Interface, logger *slog.Logger) func(ctx context.Context, namespace string, names []string) ([]corev1.Secret, error) {
	var warnOnce sync.Once
	return func(ctx context.Context, namespace string, names []string) ([]corev1.Secret, error) {
		var out []corev1.Secret
		for _, n := range names {
			s, err := client.CoreV1().Secrets(namespace).Get(ctx, n, metav1.GetOptions{})
			switch {
			case err == nil:
				out = append(out, *s)
			case apierrors.IsNotFound(err):
			case apierrors.IsForbidden(err):
				warnOnce.Do(func() {
					logger.Warn("the agent may not read imagePullSecrets (RBAC: get secrets); signatures in private registries are checked with the agent's own credentials only",
						"namespace", namespace, "secret", n)
				})
			case errors.Is(err, context.DeadlineExceeded):
				return nil, errors.New("the API server did not answer in time")
			default:
				return nil, fmt.Errorf("secret %s/%s: %w", namespace, n, err)
			}
		}
		return out, nil
	}
}
