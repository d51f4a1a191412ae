package signature_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/image/trust"
	"github.com/palisade-dev/palisade/internal/supply/signature"
	"github.com/palisade-dev/palisade/internal/supply/signature/signaturetest"
)

func trustSet(t *testing.T, keys []string, ids ...trust.Identity) *trust.Trust {
	t.Helper()
	tr, err := trust.New(keys, ids)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func verify(v *signature.Verifier, tr *trust.Trust, ref string) trust.Result {
	return v.Verify(context.Background(), tr, trust.Request{Image: image.Parse(ref)})
}

// anonymous keeps the tests off any Docker config on the machine.
var anonymous = authn.NewMultiKeychain()

func TestVerifyWithKeys(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	good, other := signaturetest.NewKey(t), signaturetest.NewKey(t)

	signed := reg.Push(t, "app/signed", "v1")
	reg.Sign(t, good, signed, signed)
	reg.Push(t, "app/unsigned", "v1")
	wrongKey := reg.Push(t, "app/wrongkey", "v1")
	reg.Sign(t, other, wrongKey, wrongKey)
	// A signature made for the signed image, copied beside another one.
	copied := reg.Push(t, "app/copied", "v1")
	reg.Sign(t, good, copied, signed)
	tampered := reg.Push(t, "app/tampered", "v1")
	reg.SignTampered(t, good, tampered)
	// Two signatures, the second by the trusted key.
	twice := reg.Push(t, "app/twice", "v1")
	reg.Sign(t, other, twice, twice)
	reg.Sign(t, good, twice, twice)

	v := signature.New(signature.Options{Keychain: anonymous})
	tr := trustSet(t, []string{good.PublicPEM})
	for _, tc := range []struct {
		name, ref string
		want      trust.Status
		detail    string
	}{
		{"signed, by tag", reg.Host + "/app/signed:v1", trust.Signed, "signed with key sha256:"},
		{"signed, by digest", signed.String(), trust.Signed, "signed with key sha256:"},
		{"signed, tag and digest", reg.Host + "/app/signed:v1@" + signed.DigestStr(), trust.Signed, "signed with key"},
		{"unsigned", reg.Host + "/app/unsigned:v1", trust.NotSigned, "no signature on sha256:"},
		{"wrong key", reg.Host + "/app/wrongkey:v1", trust.NotSigned, "1 signature on " + wrongKey.DigestStr() + ", none verifies against the 1 key: "},
		{"signature of another digest", reg.Host + "/app/copied:v1", trust.NotSigned, "invalid or missing digest in claim"},
		{"tampered payload", reg.Host + "/app/tampered:v1", trust.NotSigned, "none verifies"},
		{"one of two signatures verifies", reg.Host + "/app/twice:v1", trust.Signed, "signed with key"},
		{"tag not found", reg.Host + "/app/signed:v2", trust.Unverified, "tag v2 not found"},
		{"invalid reference", "UPPER/Case:1", trust.Unverified, "invalid image reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := verify(v, tr, tc.ref)
			if r.Status != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("Verify(%s) = %v %q, want %v containing %q", tc.ref, r.Status, r.Detail, tc.want, tc.detail)
			}
		})
	}
	// The signed image's digest is reported: admission pins it.
	if r := verify(v, tr, reg.Host+"/app/signed:v1"); r.Digest != signed.DigestStr() {
		t.Errorf("digest = %q, want %q", r.Digest, signed.DigestStr())
	}
	// Either of two keys is enough.
	if r := verify(v, trustSet(t, []string{other.PublicPEM, good.PublicPEM}), reg.Host+"/app/signed:v1"); r.Status != trust.Signed {
		t.Errorf("two keys: %v %q", r.Status, r.Detail)
	}
}

func TestVerifyKeyless(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	ca := signaturetest.NewCA(t)
	img := reg.Push(t, "app/keyless", "v1")
	reg.SignKeyless(t, ca, "release@example.com", "https://accounts.example.com", img)
	ref := reg.Host + "/app/keyless:v1"

	v := signature.New(signature.Options{Keychain: anonymous, Roots: ca.Pool()})
	for _, tc := range []struct {
		name string
		id   trust.Identity
		want trust.Status
	}{
		{"exact", trust.Identity{Issuer: "https://accounts.example.com", Subject: "release@example.com"}, trust.Signed},
		{"regular expressions", trust.Identity{IssuerRegExp: `https://accounts\.example\.com`, SubjectRegExp: `.*@example\.com`}, trust.Signed},
		{"other subject", trust.Identity{Issuer: "https://accounts.example.com", Subject: "dev@example.com"}, trust.NotSigned},
		{"other issuer", trust.Identity{Issuer: "https://token.actions.githubusercontent.com", Subject: "release@example.com"}, trust.NotSigned},
		// Expressions match the whole value, not a part of it.
		{"unanchored part", trust.Identity{IssuerRegExp: `accounts\.example\.com`, Subject: "release@example.com"}, trust.NotSigned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := verify(v, trustSet(t, nil, tc.id), ref); r.Status != tc.want {
				t.Errorf("%v %q, want %v", r.Status, r.Detail, tc.want)
			}
		})
	}

	// A certificate from another CA is not trusted.
	if r := verify(signature.New(signature.Options{Keychain: anonymous, Roots: signaturetest.NewCA(t).Pool()}),
		trustSet(t, nil, trust.Identity{Issuer: "https://accounts.example.com", Subject: "release@example.com"}), ref); r.Status != trust.NotSigned {
		t.Errorf("other CA: %v %q", r.Status, r.Detail)
	}
	// Without any root of trust for certificates, it cannot be verified.
	r := verify(signature.New(signature.Options{Keychain: anonymous}), trustSet(t, nil, trust.Identity{Issuer: "i", Subject: "s"}), ref)
	if r.Status != trust.Unverified || !strings.Contains(r.Detail, "--signature-trusted-root") {
		t.Errorf("no roots: %v %q", r.Status, r.Detail)
	}
	// A key does not accept a keyless signature.
	if r := verify(v, trustSet(t, []string{signaturetest.NewKey(t).PublicPEM}), ref); r.Status != trust.NotSigned {
		t.Errorf("key vs keyless signature: %v %q", r.Status, r.Detail)
	}
}

func TestVerifyUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	v := signature.New(signature.Options{Keychain: anonymous})
	r := verify(v, trustSet(t, []string{signaturetest.NewKey(t).PublicPEM}), addr+"/app/x:v1")
	if r.Status != trust.Unverified || !strings.Contains(r.Detail, "could not be reached") {
		t.Errorf("closed port: %v %q", r.Status, r.Detail)
	}

	// A registry that never answers is given up on within the budget.
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	v = signature.New(signature.Options{Keychain: anonymous, Timeout: 200 * time.Millisecond})
	r = verify(v, trustSet(t, []string{signaturetest.NewKey(t).PublicPEM}), hang.Addr().String()+"/app/x:v1")
	if r.Status != trust.Unverified || !strings.Contains(r.Detail, "did not answer in time") {
		t.Errorf("silent registry: %v %q", r.Status, r.Detail)
	}
	// The caller's own deadline wins when it is shorter.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	v = signature.New(signature.Options{Keychain: anonymous, Timeout: time.Minute})
	r = v.Verify(ctx, trustSet(t, []string{signaturetest.NewKey(t).PublicPEM}), trust.Request{Image: image.Parse(hang.Addr().String() + "/app/y:v1")})
	if r.Status != trust.Unverified || !strings.Contains(r.Detail, "admission budget") {
		t.Errorf("caller deadline: %v %q", r.Status, r.Detail)
	}
}

func TestVerifyPullSecrets(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	reg.RequireAuth("robot", "s3cret-password")
	k := signaturetest.NewKey(t)
	img := reg.Push(t, "private/app", "v1")
	reg.Sign(t, k, img, img)
	ref := reg.Host + "/private/app:v1"
	tr := trustSet(t, []string{k.PublicPEM})

	dockerConfig := `{"auths":{"` + reg.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("robot:s3cret-password")) + `"}}}`
	var asked []string
	v := signature.New(signature.Options{Keychain: anonymous, PullSecrets: func(_ context.Context, ns string, names []string) ([]corev1.Secret, error) {
		asked = append(asked, ns+"/"+strings.Join(names, ","))
		if names[0] != "regcred" {
			return nil, errors.New(`secrets "` + names[0] + `" not found`)
		}
		return []corev1.Secret{{Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(dockerConfig)}}}, nil
	}})

	r := v.Verify(context.Background(), tr, trust.Request{Image: image.Parse(ref), Namespace: "shop"})
	if r.Status != trust.Unverified || !strings.Contains(r.Detail, "refused access (401)") {
		t.Errorf("no credentials: %v %q", r.Status, r.Detail)
	}
	r = v.Verify(context.Background(), tr, trust.Request{Image: image.Parse(ref), Namespace: "shop", PullSecrets: []string{"missing"}})
	if r.Status != trust.Unverified || !strings.Contains(r.Detail, "imagePullSecrets") {
		t.Errorf("missing secret: %v %q", r.Status, r.Detail)
	}
	// The pod's pull secret opens the registry: the failures above, which
	// are remembered for a few seconds, held only for their credentials.
	r = v.Verify(context.Background(), tr, trust.Request{Image: image.Parse(ref), Namespace: "shop", PullSecrets: []string{"regcred"}})
	if r.Status != trust.Signed {
		t.Errorf("with the pod's pull secret: %v %q", r.Status, r.Detail)
	}
	if asked[len(asked)-1] != "shop/regcred" {
		t.Errorf("secrets read: %v", asked)
	}
	for _, s := range []string{r.Detail} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("a result names the password: %q", s)
		}
	}
}

// TestVerifyCaches counts the requests that reach the registry.
func TestVerifyCaches(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	k := signaturetest.NewKey(t)
	img := reg.Push(t, "app/cached", "v1")
	reg.Sign(t, k, img, img)
	var requests atomic.Int64
	inner := reg.Server.Config.Handler
	reg.Server.Config.Handler = countHandler(inner, &requests)

	now := time.Now()
	var clock sync.Mutex
	var observed sync.Map // "status cached" → count
	v := signature.New(signature.Options{Keychain: anonymous, TTL: time.Minute, TagTTL: 10 * time.Second, Now: func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		return now
	}, Observe: func(s trust.Status, cached bool) {
		n, _ := observed.LoadOrStore(s.String()+" "+strconv.FormatBool(cached), new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}})
	count := func(k string) int64 {
		n, ok := observed.Load(k)
		if !ok {
			return 0
		}
		return n.(*atomic.Int64).Load()
	}
	advance := func(d time.Duration) { clock.Lock(); now = now.Add(d); clock.Unlock() }
	tr := trustSet(t, []string{k.PublicPEM})
	ref := reg.Host + "/app/cached:v1"
	parsed := image.Parse(ref)
	if r, ok := v.Cached(tr, trust.Request{Image: parsed}); ok {
		t.Errorf("Cached answered %v before any verification", r.Status)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("Cached asked the registry %d times", n)
	}

	// Concurrent first calls share one conversation with the registry.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if r := verify(v, tr, ref); r.Status != trust.Signed {
				t.Errorf("%v %q", r.Status, r.Detail)
			}
		})
	}
	wg.Wait()
	cold := requests.Load()
	t.Logf("a cold verification by tag made %d registry requests", cold)
	if cold == 0 || cold > 6 {
		t.Fatalf("cold verification made %d requests", cold)
	}
	// The concurrent calls are answered by the one conversation: a call
	// that starts after it ended reads the cache instead (on a loaded
	// machine some do), but all eight are observed, and none asks again.
	if fresh, cached := count("signed false"), count("signed true"); fresh < 1 || fresh+cached != 8 {
		t.Errorf("observed (from the registry, from the cache) = [%d %d], want 8 in all, at least one from the registry", fresh, cached)
	}
	cachedBefore := count("signed true")
	verify(v, tr, ref)
	if n := requests.Load(); n != cold {
		t.Errorf("a cached verification made %d requests", n-cold)
	}
	if n := count("signed true") - cachedBefore; n != 1 {
		t.Errorf("the verification after them was observed %d times as cached, want 1", n)
	}
	// Cached now answers from memory, as Verify did, without a request.
	if r, ok := v.Cached(tr, trust.Request{Image: parsed}); !ok || r.Status != trust.Signed {
		t.Errorf("Cached after a verification = %v %v, want signed from memory", r.Status, ok)
	}
	if n := requests.Load(); n != cold {
		t.Errorf("Cached made %d requests", n-cold)
	}
	// After the tag TTL, the tag is resolved again (the registry ping and
	// a HEAD) while the digest's verdict still holds.
	advance(11 * time.Second)
	verify(v, tr, ref)
	if n := requests.Load() - cold; n != 2 {
		t.Errorf("tag re-resolution made %d requests, want 2", n)
	}
	// After the verdict TTL, the signatures are read again.
	advance(2 * time.Minute)
	before := requests.Load()
	verify(v, tr, ref)
	if n := requests.Load() - before; n < 2 {
		t.Errorf("expired verdict made %d requests, want the tag and the signatures again", n)
	}
}

// A registry that answers an error is reported with its answer, at once:
// no retry turns a 500 into "did not answer in time".
func TestVerifyRegistryError(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(countHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"errors":[{"code":"UNKNOWN","message":"database is down"}]}`)
	}), &calls))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	v := signature.New(signature.Options{Keychain: anonymous, Timeout: time.Minute})
	r := verify(v, trustSet(t, []string{signaturetest.NewKey(t).PublicPEM}), host+"/app/x:v1")
	want := "the registry answered 500 Internal Server Error (UNKNOWN: database is down)"
	if r.Status != trust.Unverified || !strings.Contains(r.Detail, want) {
		t.Errorf("Verify = %v %q, want unverified with %q", r.Status, r.Detail, want)
	}
	if n := calls.Load(); n > 2 {
		t.Errorf("the registry was asked %d times; want no retries (the ping, then nothing)", n)
	}
	_, err := v.Digest(context.Background(), trust.Request{Image: image.Parse(host + "/app/x:v2")})
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Digest error %v, want %q", err, want)
	}
}

// Digest resolves a tag to the digest it names now, remembers it TagTTL,
// and passes a pinned digest through without asking.
func TestDigest(t *testing.T) {
	reg := signaturetest.NewRegistry(t)
	first := reg.Push(t, "app/web", "v1")
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	v := signature.New(signature.Options{Keychain: anonymous, Now: func() time.Time { return now }})
	digest := func(ref string) string {
		t.Helper()
		d, err := v.Digest(context.Background(), trust.Request{Image: image.Parse(ref)})
		if err != nil {
			t.Fatalf("Digest(%s): %v", ref, err)
		}
		return d
	}
	if d := digest(reg.Host + "/app/web:v1"); d != first.DigestStr() {
		t.Errorf("Digest = %s, want %s", d, first.DigestStr())
	}
	second := reg.Push(t, "app/web", "v1")
	if d := digest(reg.Host + "/app/web:v1"); d != first.DigestStr() {
		t.Errorf("within TagTTL: Digest = %s, want the remembered %s", d, first.DigestStr())
	}
	now = now.Add(signature.DefaultTagTTL)
	if d := digest(reg.Host + "/app/web:v1"); d != second.DigestStr() {
		t.Errorf("after TagTTL: Digest = %s, want %s", d, second.DigestStr())
	}
	reg.Server.Close()
	if d := digest("127.0.0.1:1/app/web:v1@" + first.DigestStr()); d != first.DigestStr() {
		t.Errorf("pinned: Digest = %s", d)
	}
	if _, err := v.Digest(context.Background(), trust.Request{Image: image.Parse(reg.Host + "/app/web:v2")}); err == nil ||
		!strings.Contains(err.Error(), "resolving tag v2: the registry could not be reached") {
		t.Errorf("registry down: error %v", err)
	}
}
