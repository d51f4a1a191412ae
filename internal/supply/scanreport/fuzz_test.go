package scanreport

import (
	"errors"
	"slices"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// FuzzImport checks that no input makes Import panic, that it fails only
// with located errors, and that whatever it accepts an index takes and
// finds again.
func FuzzImport(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds, one
	// byte at a time, so a 20 KB real report would keep it minimising for
	// the few seconds CI gives it. The importers' tests use the real ones.
	for _, s := range []string{
		`{"SchemaVersion": 2, "CreatedAt": "2021-08-25T12:20:30.000000005Z", "ArtifactName": "nginx:1.25", "ArtifactType": "container_image",
 "Metadata": {"ImageID": "` + digestB + `", "RepoTags": ["nginx:1.25"], "RepoDigests": ["nginx@` + digestA + `"]},
 "Results": [{"Target": "nginx:1.25 (debian 12.4)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
  {"VulnerabilityID": "CVE-2019-18224", "PkgName": "libidn2-0", "InstalledVersion": "2.0.5-1", "FixedVersion": "2.0.5-1+deb10u1", "Severity": "CRITICAL", "SeveritySource": "nvd",
   "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}, "redhat": {"V3Vector": "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L", "V3Score": 5.6}}}]},
  {"Target": "deploy.sh", "Class": "secret", "Secrets": [{"RuleID": "aws-access-key-id", "Category": "AWS", "Severity": "CRITICAL", "Title": "AWS Access Key ID", "StartLine": 3}]}]}`,
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: palisade.dev/v1\n  kind: ScanResult\n  image: {digest: " + digestB + "}\n  scans: [{type: malware, time: '2026-01-01T00:00:00Z'}]\n  malware: [{name: Eicar-Signature, path: /x}]\n",
		"apiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata: {name: r, namespace: ns}\nreport:\n  updateTimestamp: '2026-05-02T08:14:55Z'\n  registry: {server: index.docker.io}\n  artifact: {repository: library/nginx, tag: 1.25.3, digest: " + digestA + "}\n  vulnerabilities:\n  - {vulnerabilityID: CVE-1, severity: HIGH, score: 7.5, cvss: {nvd: {V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'}}}\n",
		"apiVersion: aquasecurity.github.io/v1alpha1\nkind: ExposedSecretReportList\nitems: [{report: {artifact: {repository: a, tag: b}, secrets: [{ruleID: x, severity: LOW}]}}]\n",
		"apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: 'nginx:1@" + digestA + "'}\nscans: [{type: vulnerability, time: '2026-01-01T00:00:00Z'}]\nvulnerabilities: [{id: CVE-2, cvss: {vector: 'CVSS:3.0/AV:L/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', score: 5.1}}]\n",
		`[{"Target": "x"}]`, "null", "---\n---\n", "{}", "[]", `{"SchemaVersion": 2, "Results": 5}`,
	} {
		f.Add([]byte(s))
	}
	_ = trivyReports(f) // the real reports are the importer tests' business
	f.Fuzz(func(t *testing.T, data []byte) {
		format, derr := Detect(data)
		rep, err := Import("fuzz", data)
		if err != nil {
			var ierr *Error
			if !errors.As(err, &ierr) || len(ierr.Problems) == 0 {
				t.Fatalf("unlocated error %T: %v", err, err)
			}
			for _, p := range ierr.Problems {
				if p.Source != "fuzz" || p.Message == "" {
					t.Fatalf("problem without source or message: %+v", p)
				}
			}
			return
		}
		if derr != nil || format != rep.Format {
			t.Fatalf("Detect = %q, %v; Import read %q", format, derr, rep.Format)
		}
		x := scanresult.NewIndex()
		if err := x.Add(rep.Images...); err != nil {
			t.Fatalf("the index refuses an imported image: %v", err)
		}
		for _, im := range rep.Images {
			for _, d := range append(slices.Clone(im.Digests), im.ImageID) {
				if d == "" {
					continue
				}
				if _, ok := x.Lookup("", d); !ok {
					t.Fatalf("digest %s not found", d)
				}
			}
			for _, r := range im.References {
				if _, ok := x.Lookup(r, ""); !ok {
					t.Fatalf("reference %s not found", r)
				}
			}
		}
	})
}
