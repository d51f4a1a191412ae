package agent

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/console/agentclient"
	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
)

const shopAPI = "registry.example.com/shop/api:1.4.2"

// newSyncFixture is a console holding palisade-malware.yaml's results and
// a consoleScans for its cluster, saving in dir.
func newSyncFixture(t *testing.T, dir string) (*consoleFixture, *consoleScans) {
	t.Helper()
	c := newConsole(t)
	report, err := os.ReadFile(fixture.Repo(t, "internal/supply/scanreport/testdata/palisade-malware.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.ImportScanResults(context.Background(), "palisade-malware.yaml", report); err != nil {
		t.Fatal(err)
	}
	client, err := agentclient.New(c.url(), c.token, "")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	return c, newConsoleScans(client, scanreport.NewSources(), newScanMetrics(), nil, dir, logger)
}

func TestConsoleScansLookupAndSync(t *testing.T) {
	dir := t.TempDir()
	c, cs := newSyncFixture(t, dir)
	api := image.Parse(shopAPI)

	// Not in the agent's index: asked of the console at once, by many
	// reviews at the same time.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if im, ok := cs.LookupRef(api, ""); !ok || len(im.Malware) != 1 {
				t.Errorf("LookupRef(%s) = %+v, %v; want the console's result", shopAPI, im, ok)
			}
		}()
	}
	wg.Wait()
	unknown := image.Parse("registry.example.com/shop/unknown:1")
	if _, ok := cs.LookupRef(unknown, ""); ok {
		t.Error("an image the console does not know was found")
	}
	if cs.src.Len() != 0 {
		t.Errorf("lookups changed the index: %d images", cs.src.Len())
	}

	// The sync asks again about both, and puts what the console has in
	// the index, and on disk.
	cs.sync(context.Background())
	if im, ok := cs.src.LookupRef(api, ""); !ok || len(im.Malware) != 1 {
		t.Errorf("after the sync, the index has %+v, %v", im, ok)
	}
	if cs.src.Len() != 1 {
		t.Errorf("after the sync, the index holds %d images, want 1", cs.src.Len())
	}

	// Restarted while the console is down: the saved results stand.
	c.stop()
	_, fresh := newSyncFixture(t, dir)
	fresh.client = cs.client // the stopped console
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fresh.Run(ctx) // loads, fails to sync (ctx done), returns
	if im, ok := fresh.LookupRef(api, ""); !ok || len(im.Malware) != 1 {
		t.Errorf("after a restart without the console: %+v, %v; want the saved result", im, ok)
	}
	// An image never seen counts as unscanned when the console is down.
	if _, ok := fresh.LookupRef(unknown, ""); ok {
		t.Error("an unknown image was found with the console down")
	}
}

func TestPodImages(t *testing.T) {
	const digest = "sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1.36"}},
			Containers:     []corev1.Container{{Name: "web", Image: "nginx:1.25"}, {Name: "bad", Image: "Not/Valid"}},
		},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{
			{Name: "web", ImageID: "docker.io/library/nginx@" + digest},
		}},
	}
	got := podImages(p)
	want := []agentclient.ImageQuery{
		{Image: "docker.io/library/busybox:1.36"},
		{Image: "docker.io/library/nginx:1.25", Digest: digest},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("podImages = %+v, want %+v", got, want)
	}
}
