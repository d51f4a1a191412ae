package responder

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
)

// SensorRules is what GET /sensor/rules answers: the rules files of the
// rulesets the policy in force binds that have syscall rules, for a
// syscall sensor (palisade sensor) to evaluate itself. Rulesets come in
// name order, each with its files in load order.
type SensorRules struct {
	Rulesets []SensorRuleset `json:"rulesets"`
}

// SensorRuleset is one bound ruleset's rules files.
type SensorRuleset struct {
	Name  string       `json:"name"`
	Files []SensorFile `json:"files"`
}

// SensorFile is one Falco rules file.
type SensorFile struct {
	Name string `json:"name"`
	Data string `json:"data"`
}

// SensorRules returns the bound rulesets' syscall rules files and an ETag
// that changes when they do.
func (r *Responder) SensorRules() (SensorRules, string) {
	out := SensorRules{Rulesets: []SensorRuleset{}}
	set := r.opts.Rulesets()
	var names []string
	for _, n := range boundRulesets(r.opts.Policy()) {
		if rs := set.Get(n); rs != nil && rs.HasSyscallRules() {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		rs := set.Get(n)
		sr := SensorRuleset{Name: n, Files: []SensorFile{}}
		for _, f := range rs.Files {
			sr.Files = append(sr.Files, SensorFile{Name: f.Name, Data: string(f.Data)})
		}
		out.Rulesets = append(out.Rulesets, sr)
	}
	b, _ := json.Marshal(out)
	sum := sha256.Sum256(b)
	return out, `"` + hex.EncodeToString(sum[:16]) + `"`
}

// sensorRulesHandler serves GET /sensor/rules, with ETag and
// If-None-Match so that a sensor polling it gets 304 while nothing changed.
func (r *Responder) sensorRulesHandler(auth Auth) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "use GET", http.StatusMethodNotAllowed)
			return
		}
		if !auth.Enabled() {
			http.Error(w, "runtime intake is disabled: start the agent with --runtime-token-file or --runtime-client-ca-file", http.StatusForbidden)
			return
		}
		if !auth.allows(req) {
			http.Error(w, "a bearer token or a verified client certificate is required", http.StatusUnauthorized)
			return
		}
		rules, etag := r.SensorRules()
		w.Header().Set("ETag", etag)
		if req.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		writeJSON(w, rules)
	}
}
