package scanreport

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	digestA = "sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
	digestB = "sha256:9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6c9b2a5d8e1f4c7b0a3d6e9f2c"
)

// Bad input gets every problem at once, each with file, line and field.
func TestImportErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{"in.yaml: no scan result found"}},
		{"only a comment", "# nothing\n", []string{"in.yaml: no scan result found"}},
		{"not an object", "[]", []string{"in.yaml:1: <document>: Invalid value: not a scan result: want a JSON or YAML object"}},
		{
			"Trivy schema 1", `[{"Target": "alpine:3.10 (alpine 3.10.2)", "Vulnerabilities": null}]`,
			[]string{"in.yaml:1: <document>: Invalid value: a Trivy report of schema version 1 (Trivy before 0.20): write the report with a current Trivy (trivy image -f json)"},
		},
		{"schema version", `{"SchemaVersion": 1}`, []string{`in.yaml:1: SchemaVersion: Unsupported value: 1: supported values: "2"`}},
		{"schema version type", `{"SchemaVersion": "2"}`, []string{"in.yaml:1: SchemaVersion: Invalid value: must be a number, not a string"}},
		{
			"a wrong type deep in a Trivy report",
			"{\"SchemaVersion\": 2,\n \"ArtifactName\": \"alpine:3.10\",\n \"Results\": [\n  {\"Class\": \"os-pkgs\", \"Vulnerabilities\": [\n   {\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"HIGH\"},\n   {\"VulnerabilityID\": \"CVE-2\", \"Severity\": \"HIGH\", \"CVSS\": {\"nvd\": {\"V3Score\": \"high\"}}}]}]}",
			[]string{"in.yaml:6: Results[0].Vulnerabilities[1].CVSS.nvd.V3Score: Invalid value: must be a number, not a string"},
		},
		{
			"Trivy findings",
			"{\"SchemaVersion\": 2,\n \"ArtifactName\": \"alpine:3.10\",\n \"Results\": [\n  {\"Class\": \"os-pkgs\", \"Vulnerabilities\": [\n   {\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"HIGH\"},\n   {\"VulnerabilityID\": \"CVE-2\", \"Severity\": \"SEVERE\"},\n   {\"Severity\": \"LOW\"}]},\n  {\"Class\": \"secret\", \"Secrets\": [{\"Severity\": \"HIGH\"}]}]}",
			[]string{
				`in.yaml:6: Results[0].Vulnerabilities[1].Severity: Unsupported value: "SEVERE": supported values: "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"`,
				"in.yaml:7: Results[0].Vulnerabilities[2].VulnerabilityID: Required value",
				"in.yaml:8: Results[1].Secrets[0].RuleID: Required value: a secret needs a RuleID or a Title",
			},
		},
		{
			"Trivy identity and time",
			"{\"SchemaVersion\": 2, \"ArtifactName\": \"alpine:3.10\",\n \"CreatedAt\": \"yesterday\",\n \"Metadata\": {\n  \"RepoDigests\": [\"alpine@sha256:abc\", \"alpine:3.10\"],\n  \"ImageID\": \"sha256:XYZ\",\n  \"RepoTags\": [\"Alpine:3.10\"]}}",
			[]string{
				`in.yaml:4: Metadata.RepoDigests[0]: Invalid value: "alpine@sha256:abc": invalid image reference "alpine@sha256:abc": invalid reference format`,
				`in.yaml:4: Metadata.RepoDigests[1]: Invalid value: "alpine:3.10": not a reference by digest (name@sha256:...)`,
				`in.yaml:6: Metadata.RepoTags[0]: Invalid value: "Alpine:3.10": invalid image reference "Alpine:3.10": invalid reference format: repository name (library/Alpine) must be lowercase`,
				`in.yaml:5: Metadata.ImageID: Invalid value: "sha256:XYZ": not a digest ("sha256:XYZ"): want "sha256:" and 64 lower-case hex digits`,
				`in.yaml:2: CreatedAt: Invalid value: "yesterday": must be an RFC 3339 time`,
			},
		},
		{
			"Trivy report of an archive without image metadata", `{"SchemaVersion": 2, "ArtifactName": "/tmp/x.tar"}`,
			[]string{"in.yaml:1: Metadata: Required value: the report names no image: no Metadata.RepoTags, RepoDigests, ImageID or Reference, and ArtifactName is not an image reference"},
		},
		{"truncated JSON", `{"SchemaVersion": 2, "Results": [{"Class": "os-pkgs"}]`, []string{"in.yaml:1: did not find expected ',' or '}'"}},
		{"a Pod", "apiVersion: v1\nkind: Pod\n", []string{`in.yaml:1: apiVersion: Unsupported value: "v1": supported values: "aquasecurity.github.io/v1alpha1", "palisade.dev/v1"`}},
		{
			"no apiVersion", "kind: ScanResult\n",
			[]string{"in.yaml:1: apiVersion: Required value: not a scan result: want a Trivy JSON report (with SchemaVersion), a Trivy Operator VulnerabilityReport or ExposedSecretReport (aquasecurity.github.io/v1alpha1), or a Palisade ScanResult (palisade.dev/v1)"},
		},
		{"empty List", "apiVersion: v1\nkind: List\nitems: []\n", []string{"in.yaml:3: items: Required value: the List has no items"}},
		{"operator report without report", "apiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata: {name: r, namespace: ns}\n", []string{"in.yaml:1: report: Required value"}},
		{
			"operator report problems",
			"apiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nreport:\n  updateTimestamp: now\n  artifact: {digest: sha1:zz}\n  vulnerabilities:\n  - {severity: BAD, score: 11}\n  - vulnerabilityID: CVE-1\n    severity: HIGH\n    cvss: {nvd: {V3Vector: 'CVSS:3.1/AV:N'}}\n",
			[]string{
				`in.yaml:5: report.artifact.digest: Invalid value: "sha1:zz": not a digest ("sha1:zz"): want "sha256:" and 64 lower-case hex digits`,
				`in.yaml:4: report.updateTimestamp: Invalid value: "now": must be an RFC 3339 time`,
				"in.yaml:7: report.vulnerabilities[0].vulnerabilityID: Required value",
				`in.yaml:7: report.vulnerabilities[0].severity: Unsupported value: "BAD": supported values: "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"`,
				"in.yaml:7: report.vulnerabilities[0].score: Invalid value: 11: must be between 0 and 10",
			},
		},
		{
			"only resources without image scans",
			"apiVersion: aquasecurity.github.io/v1alpha1\nkind: ConfigAuditReport\nreport: {}\n",
			[]string{
				`in.yaml:2: kind: Unsupported value: "ConfigAuditReport": supported values: "VulnerabilityReport", "ClusterVulnerabilityReport", "ExposedSecretReport"`,
				"in.yaml: no scan result found",
			},
		},
		{"Palisade kind", "apiVersion: palisade.dev/v1\nkind: ScanResults\n", []string{`in.yaml:2: kind: Unsupported value: "ScanResults": supported values: "ScanResult"`}},
		{"Palisade without scans", "apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: nginx}\n", []string{"in.yaml:1: scans: Required value: at least one scan: a document without scans says nothing"}},
		{
			"Palisade: everything wrong at once",
			`apiVersion: palisade.dev/v1
kind: ScanResult
image:
  reference: nginx:1@` + digestA + `
  digest: ` + digestB + `
scans:
- {type: virus, time: now}
- {type: secret}
- {type: secret, time: "2026-01-01T00:00:00Z"}
malware: [{path: /x}]
vulnerabilities:
- {severity: urgent, fixedVerison: "1.2", cvss: {vector: "CVSS:3.1/AV:N"}}
- {id: CVE-2, cvss: {}}
- {id: CVE-3, cvss: {score: 12}}
secrets:
- {line: -1}
`,
			[]string{
				"in.yaml:12: vulnerabilities[0].fixedVerison: Forbidden: unknown field",
				`in.yaml:4: image.reference: Invalid value: "nginx:1@` + digestA + `": pins a digest other than image.digest`,
				`in.yaml:7: scans[0].type: Unsupported value: "virus": supported values: "vulnerability", "malware", "secret"`,
				"in.yaml:8: scans[1].time: Required value: when the scan ran, RFC 3339",
				`in.yaml:9: scans[2].type: Duplicate value: "secret"`,
				"in.yaml:11: vulnerabilities: Forbidden: findings without a vulnerability scan in scans",
				"in.yaml:10: malware: Forbidden: findings without a malware scan in scans",
				"in.yaml:12: vulnerabilities[0].id: Required value",
				`in.yaml:12: vulnerabilities[0].cvss.vector: Invalid value: "CVSS:3.1/AV:N": invalid CVSS v3.1 vector: base metric AC is not defined`,
				`in.yaml:12: vulnerabilities[0].severity: Unsupported value: "urgent": supported values: "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"`,
				"in.yaml:13: vulnerabilities[1].cvss.vector: Required value: cvss needs a vector, a score, or both",
				"in.yaml:14: vulnerabilities[2].cvss.score: Invalid value: 12: must be between 0 and 10",
				"in.yaml:16: secrets[0].ruleID: Required value: a secret needs a ruleID or a title",
				"in.yaml:16: secrets[0].line: Invalid value: -1: must be 1 or more",
				"in.yaml:10: malware[0].name: Required value",
			},
		},
		{
			"Palisade image",
			"apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: 'Bad Image', imageID: 'sha256:1'}\nscans: [{type: malware, time: '2026-01-01T00:00:00Z'}]\n",
			[]string{
				`in.yaml:3: image.imageID: Invalid value: "sha256:1": not a digest ("sha256:1"): want "sha256:" and 64 lower-case hex digits`,
				`in.yaml:3: image.reference: Invalid value: "Bad Image": invalid image reference "Bad Image": invalid reference format: repository name (library/Bad Image) must be lowercase`,
			},
		},
		{"Palisade: no image", "apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {}\nscans: [{type: malware, time: '2026-01-01T00:00:00Z'}]\n", []string{"in.yaml:3: image.reference: Required value: an image needs a reference, a digest, or both"}},
		{"Palisade: a key twice", "apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: x}\nscans: [{type: malware, time: '2026-01-01T00:00:00Z'}]\nimage: {digest: x}\n", []string{`in.yaml:5: field "image" given twice`}},
		{"Palisade JSON: a key twice", `{"apiVersion": "palisade.dev/v1", "kind": "ScanResult", "kind": "ScanResult"}`, []string{
			"in.yaml:1: kind: Duplicate value: field given twice",
			"in.yaml:1: image.reference: Required value: an image needs a reference, a digest, or both",
			"in.yaml:1: scans: Required value: at least one scan: a document without scans says nothing",
		}},
		{
			"a bad second document",
			"apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: x}\nscans: [{type: malware, time: '2026-01-01T00:00:00Z'}]\n---\nkind: [\n",
			[]string{"in.yaml:6: did not find expected node content"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Import("in.yaml", []byte(tt.in))
			var ierr *Error
			if !errors.As(err, &ierr) {
				t.Fatalf("Import = %+v, %v; want an *Error", rep, err)
			}
			var got []string
			for _, p := range ierr.Problems {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err.Error() != strings.Join(got, "\n") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		err  string
	}{
		{`{"SchemaVersion": 2}`, FormatTrivy, ""},
		{"apiVersion: aquasecurity.github.io/v1alpha1\nkind: ExposedSecretReport\n", FormatTrivyOperator, ""},
		{"apiVersion: palisade.dev/v1\nkind: ScanResult\n", FormatPalisade, ""},
		{"apiVersion: v1\nkind: List\nitems:\n- apiVersion: palisade.dev/v1\n  kind: ScanResult\n", FormatPalisade, ""},
		{"# a stream\n---\napiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\n---\napiVersion: palisade.dev/v1\n", FormatTrivyOperator, ""},
		{"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n", "", `<input>:4: items[0].apiVersion: Unsupported value: "v1": supported values: "aquasecurity.github.io/v1alpha1", "palisade.dev/v1"`},
		{"", "", "<input>: no document found: the input is empty"},
		{"{", "", "<input>:1: did not find expected node content"},
	}
	for _, tt := range tests {
		got, err := Detect([]byte(tt.in))
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("Detect(%q) = %q, %v; want %q, %s", tt.in, got, err, tt.want, tt.err)
		}
	}
}
