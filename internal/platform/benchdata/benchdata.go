// Package benchdata holds the realistic objects admission benchmarks and
// load tests send: a Pod as a ReplicaSet creates it and a Deployment, each
// compliant or violating, serialized as the API server sends them (defaults
// filled in, managedFields, status). One source, so the in-process
// benchmark and the load tool measure the same thing.
package benchdata

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// PodSpec is a pod spec as the API server holds it (defaults filled in):
// an init container, the application and a metrics sidecar. The compliant
// one meets Pod Security "restricted"; the violating one runs the
// application privileged, as root, with host namespaces and a hostPath.
func PodSpec(compliant bool) string {
	hardened := `"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}`
	appSC, hostPort, hostMount, hostParts, hostVolume := hardened, "", "", "", ""
	if !compliant {
		appSC = `"securityContext":{"privileged":true,"runAsUser":0,"allowPrivilegeEscalation":true,"capabilities":{"add":["NET_ADMIN","SYS_ADMIN"]}}`
		hostPort = `"hostPort":8080,`
		hostMount = `,{"name":"host","mountPath":"/host"}`
		hostParts = `"hostNetwork":true,"hostPID":true,`
		hostVolume = `,{"name":"host","hostPath":{"path":"/var/run","type":""}}`
	}
	app := `{"name":"checkout","image":"acme.azurecr.io/shop/checkout:1.14.2","ports":[{"name":"http","containerPort":8080,` + hostPort + `"protocol":"TCP"}],` +
		`"env":[{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"checkout-db","key":"password"}}},{"name":"LOG_LEVEL","value":"info"}],` +
		`"resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},` +
		`"volumeMounts":[{"name":"tmp","mountPath":"/tmp"}` + hostMount + `],` +
		`"livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},` +
		`"readinessProbe":{"httpGet":{"path":"/readyz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3},` +
		`"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent",` + appSC + `}`
	limits := `"resources":{"limits":{"cpu":"100m","memory":"64Mi"},"requests":{"cpu":"10m","memory":"16Mi"}}`
	initC := `{"name":"migrate","image":"acme.azurecr.io/shop/checkout-migrate:1.14.2","command":["/migrate","up"],` + limits + `,` +
		`"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent",` + hardened + `}`
	sidecar := `{"name":"metrics","image":"acme.azurecr.io/observability/exporter:v0.15.0","args":["--port=9121"],"ports":[{"name":"metrics","containerPort":9121,"protocol":"TCP"}],` +
		limits + `,"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent",` + hardened + `}`
	return `{` + hostParts + `"initContainers":[` + initC + `],"containers":[` + app + `,` + sidecar + `],` +
		`"volumes":[{"name":"tmp","emptyDir":{"sizeLimit":"64Mi"}}` + hostVolume + `],` +
		`"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"checkout","serviceAccount":"checkout",` +
		`"automountServiceAccountToken":false,"schedulerName":"default-scheduler","enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority","priority":0,` +
		`"securityContext":{"runAsNonRoot":true,"fsGroup":10001,"seccompProfile":{"type":"RuntimeDefault"},"appArmorProfile":{"type":"RuntimeDefault"}},` +
		`"tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},` +
		`{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]}`
}

// Object is a Pod (as a ReplicaSet creates it) or a Deployment, as JSON.
func Object(kind string, compliant bool) string {
	managed := func(apiVersion string) string {
		return `"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"` + apiVersion + `","time":"2026-03-01T12:00:00Z","fieldsType":"FieldsV1",` +
			`"fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},` +
			`"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{}}}}}}]`
	}
	if kind == "Pod" {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"checkout-7d9c6b8f5d-x2x7q","generateName":"checkout-7d9c6b8f5d-","namespace":"shop",` +
			`"uid":"0b7e9a52-3f2e-4d3c-9a55-2f1c8d0e6a11","creationTimestamp":"2026-03-01T12:00:00Z",` +
			`"labels":{"app":"checkout","pod-template-hash":"7d9c6b8f5d"},` +
			`"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"checkout-7d9c6b8f5d","uid":"5c1d7e0a-8f61-4a4e-b7a9-3d2f1e0c9b88","controller":true,"blockOwnerDeletion":true}],` +
			managed("v1") + `},"spec":` + PodSpec(compliant) + `,"status":{"phase":"Pending","qosClass":"Burstable"}}`
	}
	return `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"checkout","namespace":"shop","uid":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",` +
		`"generation":1,"creationTimestamp":"2026-03-01T12:00:00Z","labels":{"app":"checkout"},` +
		`"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}"},` + managed("apps/v1") + `},` +
		`"spec":{"replicas":3,"selector":{"matchLabels":{"app":"checkout"}},"template":{"metadata":{"labels":{"app":"checkout"}},"spec":` + PodSpec(compliant) + `},` +
		`"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},"revisionHistoryLimit":10,"progressDeadlineSeconds":600},"status":{}}`
}

// ScanImages are the images of Object's containers.
var ScanImages = []string{"acme.azurecr.io/shop/checkout:1.14.2", "acme.azurecr.io/shop/checkout-migrate:1.14.2", "acme.azurecr.io/observability/exporter:v0.15.0"}

// ScanIndex is an index of n scanned images, each with a digest, a tag and
// twenty high network-vector vulnerabilities, plus ScanImages with
// vulnerability, malware and secret scans from a day ago that found
// nothing but vulns medium vulnerabilities: Object's containers pass every
// scan-result rule at its default severity (critical), after a lookup
// among n others and a look at each of their vulnerabilities.
func ScanIndex(n, vulns int) (*scanresult.Index, error) {
	scanned := time.Now().Add(-24 * time.Hour)
	clean := []scanresult.Scan{{Type: scanresult.ScanVulnerability, Time: scanned}, {Type: scanresult.ScanMalware, Time: scanned}, {Type: scanresult.ScanSecret, Time: scanned}}
	cvss, err := scanresult.ParseCVSS("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	if err != nil {
		return nil, err
	}
	images := make([]*scanresult.Image, 0, n+len(ScanImages))
	for i := range n {
		sum := sha256.Sum256(fmt.Appendf(nil, "image %d", i))
		im := &scanresult.Image{
			Digests:    []string{"sha256:" + hex.EncodeToString(sum[:])},
			References: []string{fmt.Sprintf("registry.example.com/team%d/app%d:1.%d", i%500, i, i%7)},
			Scans:      clean[:1],
		}
		for v := range 20 {
			im.Vulnerabilities = append(im.Vulnerabilities, scanresult.Vulnerability{
				ID: fmt.Sprintf("CVE-2024-%05d", v), Severity: scanresult.SeverityHigh, CVSS: &cvss})
		}
		images = append(images, im)
	}
	for _, ref := range ScanImages {
		im := &scanresult.Image{References: []string{ref}, Scans: clean}
		for v := range vulns {
			im.Vulnerabilities = append(im.Vulnerabilities, scanresult.Vulnerability{
				ID: fmt.Sprintf("CVE-2025-%05d", v), Severity: scanresult.SeverityMedium, CVSS: &cvss})
		}
		images = append(images, im)
	}
	x := scanresult.NewIndex()
	return x, x.Add(images...)
}
