// Command webhookfloor is the least a validating webhook can do over HTTPS:
// it reads each AdmissionReview's body and answers "allowed" with the
// request's uid, judging nothing. Driven by hack/bench/webhookload it
// measures what TLS, HTTP/2 and Go's net/http cost on this machine, the
// floor under any webhook's numbers (docs/performance.md).
//
//	webhookfloor -listen 127.0.0.1:9443 -cert tls.crt -key tls.key
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9443", "address to serve HTTPS on")
	cert := flag.String("cert", "", "PEM certificate")
	key := flag.String("key", "", "PEM private key")
	flag.Parse()
	srv := &http.Server{Addr: *listen, Handler: http.HandlerFunc(answer), ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServeTLS(*cert, *key); err != nil {
		fmt.Fprintln(os.Stderr, "webhookfloor:", err)
		os.Exit(1)
	}
}

var uidKey = []byte(`"uid":"`)

// answer allows the review, echoing the first uid of the body (the
// request's: it comes first in the reviews webhookload sends).
func answer(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, rest, ok := bytes.Cut(body, uidKey)
	uid, _, ok2 := bytes.Cut(rest, []byte(`"`))
	if !ok || !ok2 {
		http.Error(w, "no uid", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":%q,"allowed":true}}`, uid)
}
