package falco

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Alert is what a Falco sensor sends when one of its rules fires: Falco's
// JSON output, as its http_output posts it (json_output: true).
type Alert struct {
	UUID         string         `json:"uuid,omitempty"`
	Rule         string         `json:"rule"`
	Priority     string         `json:"priority"`
	Output       string         `json:"output"`
	Time         time.Time      `json:"time"`
	Source       string         `json:"source,omitempty"`
	Hostname     string         `json:"hostname,omitempty"`
	Tags         []string       `json:"tags,omitempty"`
	OutputFields map[string]any `json:"output_fields"`
}

// Field returns an output field as text ("" when absent or null).
func (a *Alert) Field(name string) string {
	switch v := a.OutputFields[name].(type) {
	case string:
		return v
	case nil:
		return ""
	case float64:
		return fmt.Sprint(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// MaxAlertLine bounds one JSON line of alerts.
const MaxAlertLine = 1 << 20

// ParseAlerts reads Falco alerts: one JSON object (an http_output post), a
// JSON array of them, or JSON lines (Falco's file or stdout output). Errors
// name the line or the array index.
func ParseAlerts(data []byte) ([]Alert, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("no Falco alert in the body")
	}
	if trimmed[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, fmt.Errorf("falco alerts: %w", err)
		}
		out := make([]Alert, 0, len(raw))
		for i, r := range raw {
			a, err := parseAlert(r)
			if err != nil {
				return nil, fmt.Errorf("falco alert [%d]: %w", i, err)
			}
			out = append(out, a)
		}
		return out, nil
	}
	if a, err := parseAlert(trimmed); err == nil {
		return []Alert{a}, nil // one object, however it is laid out
	}
	var out []Alert
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 0, 64<<10), MaxAlertLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		a, err := parseAlert(b)
		if err != nil {
			return nil, fmt.Errorf("falco alert on line %d: %w", line, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("falco alerts: line %d: %w", line+1, err)
	}
	return out, nil
}

func parseAlert(b []byte) (Alert, error) {
	var a Alert
	if err := json.Unmarshal(b, &a); err != nil {
		return Alert{}, err
	}
	if a.Rule == "" {
		return Alert{}, errors.New(`no "rule": not a Falco alert (Falco must run with json_output: true)`)
	}
	return a, nil
}
