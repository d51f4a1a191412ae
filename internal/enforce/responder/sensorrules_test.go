package responder

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSensorRules: GET /sensor/rules gives a syscall sensor the rules
// files of the bound rulesets that have syscall rules (not those with
// audit rules only, not unbound ones), behind the intake's token, with an
// ETag that answers 304 while nothing changed.
func TestSensorRules(t *testing.T) {
	r, _ := newTestResponderWith(t, pods{}, `apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: sensor-rules}
spec:
  clusterWide:
    runtime:
      rulesets:
        - {ruleset: pod-exec, action: log}
        - {ruleset: unexpected-listener, action: isolate}
  namespaced:
    - name: lb
      namespaces: [load-balancer]
      runtime: {rulesets: [{ruleset: unexpected-listener, action: log}]}
`)
	srv := httptest.NewServer(r.Handler(Auth{Token: "s3cret"}))
	defer srv.Close()
	get := func(token, etag string) (*http.Response, SensorRules) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/sensor/rules", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sr SensorRules
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&sr); err != nil {
				t.Fatal(err)
			}
		}
		return resp, sr
	}
	if resp, _ := get("", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: %s, want 401", resp.Status)
	}
	resp, sr := get("s3cret", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with the token: %s", resp.Status)
	}
	if len(sr.Rulesets) != 1 || sr.Rulesets[0].Name != "unexpected-listener" || len(sr.Rulesets[0].Files) != 1 ||
		!strings.Contains(sr.Rulesets[0].Files[0].Data, "rule: Unexpected listening process") {
		t.Errorf("rulesets = %+v, want unexpected-listener's one file (pod-exec has audit rules only)", sr.Rulesets)
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := get("s3cret", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("with If-None-Match %s: %s, want 304", etag, resp.Status)
	}
}
