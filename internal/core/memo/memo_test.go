package memo

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestMatchMemoAgreesWithRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[^/]+\.azurecr\.io/.+$`)
	mm := NewRegexp(re)
	long := "acme.azurecr.io/" + strings.Repeat("a", MaxLen)
	inputs := []string{"acme.azurecr.io/redis:7.2", "docker.io/library/redis:latest", "", "acme.azurecr.io/", "x.azurecr.io/a@sha256:00", long}
	for range 2 { // the second round is answered from the memo
		for _, s := range inputs {
			if got, want := mm.MatchString(s), re.MatchString(s); got != want {
				t.Errorf("%q: memo %v, regexp %v", s, got, want)
			}
		}
	}
	if _, kept := mm.seen[long]; kept {
		t.Errorf("a string over MaxLen bytes was remembered")
	}
}

// TestMatchMemoIsBounded feeds more distinct strings than the limit, from
// several goroutines (run with -race), and checks the memo never holds
// more than its limit and still answers right.
func TestMatchMemoIsBounded(t *testing.T) {
	re := regexp.MustCompile(`7$`)
	mm := NewRegexp(re)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range Limit {
				s := fmt.Sprintf("%d-%d", g, i)
				if mm.MatchString(s) != re.MatchString(s) {
					t.Errorf("%q answered wrong", s)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(mm.seen); n > Limit {
		t.Errorf("memo holds %d strings, limit %d", n, Limit)
	}
}
