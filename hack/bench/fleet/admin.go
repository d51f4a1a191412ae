package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/apiclient"
)

// admin calls the console's REST API with the admin token, at one base
// URL (a replica, or the service).
type admin struct {
	base  string
	token string
	hc    *http.Client
}

// call sends a request and decodes a 2xx answer into out (when not nil);
// any other answer is an error carrying the API's message.
func (a *admin) call(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, apiclient.ErrorMessage(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// fleetPolicy is the policy every simulated cluster is assigned, in its
// version-th edit: each edit changes an annotation and one rule's action,
// so that each gives the agents a new ETag.
func fleetPolicy(version int) []byte {
	action := []string{"log", "block"}[version%2]
	return fmt.Appendf(nil, `apiVersion: palisade.dev/v1
kind: Policy
metadata:
  name: fleet
  annotations: {fleet.palisade.dev/edit: "%d"}
spec:
  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block}
        - {rule: hostNetwork, action: %s}
        - {rule: allowPrivilegeEscalation, action: log}
`, version, action)
}

// putPolicy creates the fleet policy, or replaces it when it exists.
func (a *admin) putPolicy(ctx context.Context, version int) error {
	err := a.call(ctx, http.MethodPut, "/api/v1/policies/fleet", "application/yaml", fleetPolicy(version), nil)
	if err != nil && strings.Contains(err.Error(), "404") {
		err = a.call(ctx, http.MethodPost, "/api/v1/policies", "application/yaml", fleetPolicy(version), nil)
	}
	return err
}

// register registers the clusters names, at most concurrency at a time,
// each assigned the fleet policy, and returns their agent tokens.
func (a *admin) register(ctx context.Context, names []string, concurrency int) ([]string, error) {
	tokens := make([]string, len(names))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i, name := range names {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var out struct {
				Token string `json:"token"`
			}
			body := fmt.Appendf(nil, `{"name":%q,"policy":"fleet"}`, name)
			err := a.call(ctx, http.MethodPost, "/api/v1/clusters", "application/json", body, &out)
			if err == nil && out.Token == "" {
				err = fmt.Errorf("register %s: no token in the answer", name)
			}
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			tokens[i] = out.Token
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return tokens, firstErr
}

// clusterState is what GET /api/v1/clusters says of a cluster.
type clusterState struct {
	Name        string     `json:"name"`
	LastSeen    *time.Time `json:"lastSeen"`
	AgentPolicy string     `json:"agentPolicy"`
}

func (a *admin) clusters(ctx context.Context) ([]clusterState, error) {
	var out struct {
		Items []clusterState `json:"items"`
	}
	err := a.call(ctx, http.MethodGet, "/api/v1/clusters", "", nil, &out)
	return out.Items, err
}
