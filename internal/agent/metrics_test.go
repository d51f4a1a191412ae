package agent

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/enforce/webhook"
)

// --metrics-bind-address: /metrics in plain HTTP, nothing else.
func TestServeMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := serveMetrics(ln, webhook.NewMetrics().Handler(), slog.New(slog.DiscardHandler))
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "# TYPE go_goroutines gauge") {
		t.Errorf("GET /metrics = %d\n%.300s", resp.StatusCode, body)
	}
	for _, path := range []string{"/validate", "/audit", "/"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the metrics port = %d, want 404", path, resp.StatusCode)
		}
	}
}
