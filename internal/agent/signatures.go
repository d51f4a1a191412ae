package agent

import (
	"log/slog"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/internal/core/image/trust"
	"github.com/palisade-dev/palisade/internal/enforce/webhook"
	"github.com/palisade-dev/palisade/internal/supply/signature"
)

// newVerifier builds imagesNotSigned's verifier: the trust roots from the
// flags, the agent's own registry credentials (the Docker configuration,
// $DOCKER_CONFIG), and pods' imagePullSecrets read with the cluster client
// when --signature-pull-secrets is on and the cluster can be reached.
func newVerifier(cfg Config, cl cluster, metrics *webhook.Metrics, logger *slog.Logger) (*signature.Verifier, error) {
	opts, err := cfg.Signatures.Options()
	if err != nil {
		return nil, err
	}
	verdicts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_signature_verifications_total",
		Help: "imagesNotSigned verdicts per image, by result (signed, not_signed, unverified) and whether the cache answered."}, []string{"result", "cached"})
	metrics.Register(verdicts)
	opts.Observe = func(s trust.Status, cached bool) {
		verdicts.WithLabelValues(s.String(), strconv.FormatBool(cached)).Inc()
	}
	if cfg.SignaturePullSecrets {
		client := cl.client
		if client == nil {
			if restCfg, err := cfg.restConfig(); err == nil {
				client, _ = kubernetes.NewForConfig(restCfg)
			}
		}
		if client != nil {
			opts.PullSecrets = signature.PullSecretReader(client, logger.With("component", "signatures"))
		} else {
			logger.Info("imagePullSecrets are not read for signature checks: no access to the cluster (the agent's own registry credentials are used)")
		}
	}
	return signature.New(opts), nil
}
