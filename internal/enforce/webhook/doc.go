// Package webhook is the HTTPS edge of admission: it decodes AdmissionReview
// bodies defensively (size limit, content type, timeout taken from the API
// server's request, panic recovery), hands the request to package
// admission, and serves health, readiness and Prometheus metrics. TLS
// certificates are reloaded from disk when they change.
package webhook
