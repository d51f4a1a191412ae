package document

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// A Deployment in the shape hack/bench/gencorpus writes, with the block
// scalars, quoting and comments hand-written manifests add.
const deploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-7-deployment
  namespace: payments
  labels:
    app: api-7
    app.kubernetes.io/part-of: bench
  annotations:
    owner: team-3@example.com # who to call
    description: "the \"payments\" API\n"
spec:
  replicas: 3
  selector:
    matchLabels:
      app: api-7
  template:
    metadata:
      labels:
        app: api-7
    spec:
      serviceAccountName: api-7
      securityContext:
        runAsNonRoot: true
        runAsUser: 2653
        seccompProfile:
          type: RuntimeDefault
      initContainers:
      - name: init
        image: ghcr.io/acme/api:v1.4.2
        command: ["sh", "-c", "echo init"]
      containers:
      - name: app
        image: acmeprod.azurecr.io/payments/billing:2.8.1
        imagePullPolicy: IfNotPresent
        args:
        - --port=8080
        - '--log-level=info'
        ports:
        - containerPort: 8080
          name: http
          protocol: TCP
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            cpu: 0.5
            memory: 1Gi
        env:
        - name: LOG_LEVEL
          value: info
        - name: CONFIG
          value: |
            listen: :8080
            debug: false
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
          initialDelaySeconds: 5
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: ["ALL"]
        volumeMounts:
        - name: tmp
          mountPath: /tmp
      volumes:
      - name: tmp
        emptyDir: {}
`

// compareWithLibrary fails when the fast path converts data to a value
// other than the library's, or converts what the library rejects. It
// reports whether the fast path took data.
func compareWithLibrary(t *testing.T, data []byte) bool {
	t.Helper()
	fast, ok := fastYAMLToJSON(data)
	if !ok {
		return false
	}
	lib, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("fast path accepted %q, which the library rejects: %v\nfast: %s", data, err, fast)
	}
	if diff := cmp.Diff(decodeJSON(t, lib), decodeJSON(t, fast)); diff != "" {
		t.Fatalf("fast path differs from the library on %q (-library +fast):\n%s", data, diff)
	}
	return true
}

func decodeJSON(t *testing.T, j []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON %s: %v", j, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("trailing data after JSON %s", j)
	}
	return v
}

func TestFastYAMLConverts(t *testing.T) {
	tests := []struct{ yaml, json string }{
		{"a: b\n", `{"a":"b"}`},
		{"a: b", `{"a":"b"}`},
		{"  a: 1\n  b: x\n", `{"a":1,"b":"x"}`},
		{"# c\na: b # c\n\n# c\nc: d#e\n", `{"a":"b","c":"d#e"}`},
		{"a:\n  b:\n    c: 1\n  d: 2\n", `{"a":{"b":{"c":1},"d":2}}`},
		{"a:\n- 1\n- x\nb: 2\n", `{"a":[1,"x"],"b":2}`},
		{"a:\n  - 1\n  -   x\n", `{"a":[1,"x"]}`},
		{"a:\n- k: 1\n  v: 2\n- k: 3\n", `{"a":[{"k":1,"v":2},{"k":3}]}`},
		{"a:\n-   k: 1\n    v: 2\n", `{"a":[{"k":1,"v":2}]}`},
		{"a:\n- - 1\n  - 2\n- -\n    x: z\n", `{"a":[[1,2],[{"x":"z"}]]}`},
		{"a:\n-\n  b: 1\n-\n- # c\n", `{"a":[{"b":1},null,null]}`},
		{"a:\nb: ~\nc: null\nd: Null\n", `{"a":null,"b":null,"c":null,"d":null}`},
		{"a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: N\ng: True\n", `{"a":true,"b":false,"c":true,"d":false,"e":true,"f":false,"g":true}`},
		{"a: yess\nb: nO\nc: tRue\nd: o\n", `{"a":"yess","b":"nO","c":"tRue","d":"o"}`},
		{"a: 0\nb: -12\nc: 8080\nd: 1.5\ne: -0.25\nf: 2.\ng: 1e3\n", `{"a":0,"b":-12,"c":8080,"d":1.5,"e":-0.25,"f":2,"g":1000}`},
		{"a: 100m\nb: 1Gi\nc: 1.2.3\nd: 2024-01-02\ne: 10.0.0.0/8\nf: -Xmx1g\n", `{"a":"100m","b":"1Gi","c":"1.2.3","d":"2024-01-02","e":"10.0.0.0/8","f":"-Xmx1g"}`},
		{".dockerconfigjson: e30=\n", `{".dockerconfigjson":"e30="}`},
		{"a: 'it''s'\nb: \"x\\ty\\u00e9\\\"\"\nc: ''\n\"d e\": 1\n'f': 2\n", `{"a":"it's","b":"x\ty\u00e9\"","c":"","d e":1,"f":2}`},
		{"a: 'yes'\nb: \"1\"\nc: \"null\"\n", `{"a":"yes","b":"1","c":"null"}`},
		{"a: http://x:80/y\nb: a:b\nc: {}\nd: []\ne: [ ]\n", `{"a":"http://x:80/y","b":"a:b","c":{},"d":[],"e":[]}`},
		{"a: [a, 'b', \"c\", 1, yes]\n", `{"a":["a","b","c",1,true]}`},
		{"a: [a b, 'c d' ]\n", `{"a":["a b","c d"]}`},
		{"- {type: x, 'n': 1, \"o p\": gitleaks 8.18.2, q: no}\n- { }\n", `[{"type":"x","n":1,"o p":"gitleaks 8.18.2","q":false},{}]`},
		{"a: |\n  x\n   y\n\n  z\nb: 1\n", `{"a":"x\n y\n\nz\n","b":1}`},
		{"a: |-\n  x\n\nb: 1\n", `{"a":"x","b":1}`},
		{"a: |+\n  x\n\nb: 1\n", `{"a":"x\n\n","b":1}`},
		{"a: >\n  x\n  y\n\n  z\n    w\n  v\n", `{"a":"x y\nz\n  w\nv\n"}`},
		{"a: >-\n  x\n  y\n", `{"a":"x y"}`},
		{"a: |\nb: 1\n", `{"a":"","b":1}`},
		{"a:\n- |\n  x\n- z\n", `{"a":["x\n","z"]}`},
		{"- a\n- b: 1\n", `["a",{"b":1}]`},
		{"hello: wörld ✓\n", `{"hello":"wörld ✓"}`},
		{"a: 1e400\nb: .5\nc: 99999999999999999999\n", `{"a":"1e400","b":0.5,"c":100000000000000000000}`},
	}
	for _, tt := range tests {
		got, ok := fastYAMLToJSON([]byte(tt.yaml))
		if !ok {
			t.Errorf("fastYAMLToJSON(%q) gave up", tt.yaml)
			continue
		}
		if diff := cmp.Diff(decodeJSON(t, []byte(tt.json)), decodeJSON(t, got)); diff != "" {
			t.Errorf("fastYAMLToJSON(%q) (-want +got):\n%s", tt.yaml, diff)
		}
		compareWithLibrary(t, []byte(tt.yaml))
	}
}

// giveUps are documents the fast path leaves to the library: YAML it does
// not read, scalars whose YAML 1.1 value it does not write, and errors.
var giveUps = []string{
	"a: &x 1\nb: *x\n",
	"a: !!str 1\n",
	"<<: {a: 1}\n",
	"? a\n: b\n",
	"a: {b: {c: 1}}\n", "a: {b}\n", "a: {b: }\n", "a: {b:c}\n", "a: {b: 1,}\n", "a: {b: 1, b: 2}\n",
	"a: {b : 1}\n", "a: {b: [c]}\n", "a: {b: 1\n", "a: {b: 1}, c\n", "a: {b: c #d}\n",
	"a: [b, [c]]\n",
	"a: [b,\n  c]\n",
	"a: 0x1F\n", "a: 0o17\n", "a: 017\n", "a: 1_000\n", "a: +1\n", "a: -0\n", "a: 0b101\n",
	"a: .inf\n", "a: -.Inf\n", "a: .nan\n", "a: 1e-9\n", "a: 1e22\n",
	"yes: 1\n", "n: 1\n", "1: a\n", "null: a\n", "~: a\n",
	"a: 1\na: 2\n",
	"a:\tb\n", "a: b\r\n", "\ufeffa: b\n", "a: \x01\n", "a: \xff\n", "a: b\u2028c\n",
	"%YAML 1.1\n---\na: b\n", "---\na: b\n", "a: b\n...\n",
	"a: |2\n  x\n", "a: |+\nb: 1\n",
	"a: 'b\n  c'\n", "a: \"b\\/c\"\n", "a: \"b\n",
	"a: b\n  c\n", "a:\n  b\n",
	"a: b: c\n", "a: - b\n", "a: b\n - c\n", "a:\n  b: 1\n c: 2\n",
	"a: 1\n- b\n", "- a\nb: 1\n",
	"[a, b]\n", "{a: b}\n", "just a string\n",
}

func TestFastYAMLGivesUp(t *testing.T) {
	for _, y := range giveUps {
		if j, ok := fastYAMLToJSON([]byte(y)); ok {
			t.Errorf("fastYAMLToJSON(%q) = %s, want it to give up", y, j)
		}
	}
}

// repoManifests returns the documents of the repository's YAML test data.
func repoManifests(t testing.TB) [][]byte {
	var docs [][]byte
	files, _ := filepath.Glob("../../../*/*/*/testdata/*.yaml")
	more, _ := filepath.Glob("../../../cmd/*/testdata/*.yaml")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(bytes.NewReader(b), f)
		for {
			d, err := r.Next()
			if err != nil {
				break
			}
			docs = append(docs, d.Data)
		}
	}
	return docs
}

func TestFastYAMLMatchesLibraryOnRepoManifests(t *testing.T) {
	docs := append(repoManifests(t), []byte(deploymentYAML))
	fast := 0
	for _, d := range docs {
		if compareWithLibrary(t, d) {
			fast++
		}
	}
	t.Logf("%d of %d documents took the fast path", fast, len(docs))
}

// TestFastYAMLCoversCorpus checks that at least 90% of the documents of a
// corpus made by hack/bench/gencorpus take the fast path, and convert as
// the library does. It needs PALISADE_CORPUS (the corpus directory).
func TestFastYAMLCoversCorpus(t *testing.T) {
	dir := os.Getenv("PALISADE_CORPUS")
	if dir == "" {
		t.Skip("set PALISADE_CORPUS to a corpus made by hack/bench/gencorpus")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no YAML in %s: %v", dir, err)
	}
	total, fast := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(bytes.NewReader(b), f)
		for {
			d, err := r.Next()
			if err != nil {
				break
			}
			total++
			if compareWithLibrary(t, d.Data) {
				fast++
			}
		}
	}
	t.Logf("%d of %d documents took the fast path", fast, total)
	if fast*10 < total*9 {
		t.Errorf("%d of %d documents took the fast path, want at least 90%%", fast, total)
	}
}

func FuzzFastYAMLMatchesLibrary(f *testing.F) {
	f.Add([]byte(deploymentYAML))
	for _, d := range repoManifests(f) {
		f.Add(d)
	}
	for _, y := range giveUps {
		f.Add([]byte(y))
	}
	for _, s := range []string{
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL", "",
		"0", "-0", "+0", "00", "012", "0o12", "0x1f", "0X1F", "0b11", "-0b11", "1_000", "1__0", "_1",
		"9223372036854775807", "9223372036854775808", "18446744073709551616", "-9223372036854775809",
		"1.5", "1.", ".5", "-.5", "+1.5", "1e3", "1E-3", "1.5e+3", "1e400", "0.0000001", "1e21",
		".inf", ".Inf", "-.inf", "+.INF", ".nan", ".NaN", "._1", "1_0.5",
		"2024-01-02", "2024-01-02T03:04:05Z", "2024-1-2 3:4:5", "12:30", "1:20:30", "100m", "1Gi", "v1",
		"<<", "=", "-", "--x", "a#b", "a #b", "'q'", `"q\x41\u00e9\U0001F600\N\_\L\P\0"`, `"\/"`, `"\ud800"`,
		"{}", "[]", "[ ]", "{ }", "[a]", "[1, 2.5, yes]", "['a', \"b\"]", "[a,]", "{a: b}", "{a: b, c: 'd', 'e': \"f\"}", "{a: b c}", "{a: b,c: d}", "{a:b}", "{a: 1.5, b: yes, c: ~}", "&a x", "*a", "!!int 1", "? x",
	} {
		f.Add([]byte("k: " + s + "\n"))
		f.Add([]byte("- " + s + "\n"))
	}
	for _, y := range []string{
		"a:\n  b: 1\n   c: 2\n", "a:\n   b: 1\n  c: 2\n", "a:\n- b\n - c\n", "a:\n - b\n- c\n",
		"a:\n- b: 1\n   c: 2\n", "a:\n-  b: 1\n   c: 2\n", "- - - x\n", "-\n -\n  x\n",
		"a: |\n\n  x\n", "a: |\n   \n  x\n", "a: |\n  x\n   \n", "a: >\n x\n\n\n y\n\n", "a: >+\n  x\n\n\n",
		"a: |\n  x", "a: |-\n  x\n  ", "a: >\n  x\n # c\n", "a: |\n  # not a comment\n", "a: |\n x\n  y\n z\n",
		"- |\n x\n- >-\n  y\n   z\n", "a:\n  - |\n    x\n  - y\n", "a: | # c\n  x\n", "a: |#\n  x\n",
		"a: b # c\n   # d\ne: f\n", "a: 'b' # c\n", "a: 'b'c\n", "a: \"b\" x\n", "\"a\" : 1\n", "'a':1\n",
		"a:b: c\n", "a :b\n", "a/b.c-d_e: f\n", "a: b\n\n\n", "\n\na: b\n",
	} {
		f.Add([]byte(y))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithLibrary(t, data)
	})
}

func BenchmarkDocJSON(b *testing.B) {
	data := []byte(deploymentYAML)
	if _, ok := fastYAMLToJSON(data); !ok {
		b.Fatal("the benchmark Deployment does not take the fast path")
	}
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			fastYAMLToJSON(data)
		}
	})
	b.Run("library", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := yaml.YAMLToJSON(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Doc.JSON", func(b *testing.B) {
		d := Doc{Source: "bench.yaml", Line: 1, Data: data}
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := d.JSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFastYAMLMatchesLibraryOnGeneratedDocuments compares the two on
// documents put together from manifest-like lines at random indentations,
// which reach the parser's corners far more often than byte mutations do.
func TestFastYAMLMatchesLibraryOnGeneratedDocuments(t *testing.T) {
	parts := []string{
		"a:", "b: 1", "c: x", "- d", "- e: 2", "-", "- - f", "g: |", "h: >", "i: |-", "j: >+", "k: |+",
		"x", "  y", "# c", "", " ", "   ", "l: 'q''r'", `m: "s\tt"`, "n2: [u, 'v', 1]", "o: {}", "p: []",
		"- |", "- >-", "q: yes", "r: ~", "s: 0.5", "t: 010", "u: a # c", "v: a#b", "w:   ", "- # c",
		"z: 2024-01-01", "\"k y\": 1", "- {a: b, c: 1}", "e: {f: 'g', h: i j}", "k: {l: m}", "- {n: o}", "'k z':", "- 'a': b", "  - x", "#", "a: b: c", "aa:b", "- [x]",
		"a: {b: c, 'd': \"e f\", g: 1}", "- {a: yes , b:  x y}", "- {a: [b]}", "a: {b: c}#d", "a: {b: 08, e: 1_0}", "a: { b: c }",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	fast := 0
	for range n {
		var b strings.Builder
		for range 1 + rng.IntN(8) {
			b.WriteString(strings.Repeat(" ", rng.IntN(5)))
			b.WriteString(parts[rng.IntN(len(parts))])
			b.WriteByte('\n')
		}
		if compareWithLibrary(t, []byte(b.String())) {
			fast++
		}
	}
	t.Logf("%d of %d generated documents took the fast path", fast, n)
}
