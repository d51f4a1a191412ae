package linediff

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// seq is the lines "1" to "n", with the replacements given.
func seq(n int, replace map[int]string) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		l, ok := replace[i]
		if !ok {
			l = strconv.Itoa(i)
		}
		if l != "" {
			sb.WriteString(l + "\n")
		}
	}
	return sb.String()
}

// The expected diffs are GNU diff's (diff -u --label a --label b).
func TestUnified(t *testing.T) {
	for _, tc := range []struct {
		name    string
		a, b    string
		context int
		want    string
	}{
		{"equal", "x\ny\n", "x\ny\n", 3, ""},
		{"both empty", "", "", 3, ""},
		{"only the final newline differs", "x\ny", "x\ny\n", 3, ""},
		{"from nothing", "", "x\n", 3, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{"to nothing", "x\n", "", 3, "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n"},
		{"two hunks", seq(20, nil), seq(20, map[int]string{3: "three", 17: "seventeen"}), 3,
			"--- a\n+++ b\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n" +
				"@@ -14,7 +14,7 @@\n 14\n 15\n 16\n-17\n+seventeen\n 18\n 19\n 20\n"},
		{"close changes share a hunk", seq(20, nil), seq(20, map[int]string{3: "three", 9: "nine"}), 3,
			"--- a\n+++ b\n@@ -1,12 +1,12 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n 8\n-9\n+nine\n 10\n 11\n 12\n"},
		{"a line removed", seq(20, nil), seq(20, map[int]string{10: ""}), 3,
			"--- a\n+++ b\n@@ -7,7 +7,6 @@\n 7\n 8\n 9\n-10\n 11\n 12\n 13\n"},
		{"no context", seq(20, nil), seq(20, map[int]string{3: "three", 17: "seventeen"}), 0,
			"--- a\n+++ b\n@@ -3 +3 @@\n-3\n+three\n@@ -17 +17 @@\n-17\n+seventeen\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unified("a", "b", tc.a, tc.b, tc.context); got != tc.want {
				t.Errorf("Unified =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// Past MaxCells the span between the common head and tail is shown
// removed, then added: longer than it could be, still a diff that applies.
func TestUnifiedPastMaxCells(t *testing.T) {
	n := 2100 // 2100² > MaxCells
	var a, b strings.Builder
	for i := range n {
		fmt.Fprintf(&a, "line %d\n", i)
		if i == 0 || i == n-1 {
			fmt.Fprintf(&b, "changed %d\n", i)
		} else {
			fmt.Fprintf(&b, "line %d\n", i)
		}
	}
	d := Unified("a", "b", a.String(), b.String(), 3)
	if got := strings.Count(d, "\n-line "); got != n {
		t.Errorf("%d lines removed, want all %d", got, n)
	}
	checkApplies(t, a.String(), b.String(), d)
	if d := Unified("a", "b", a.String(), a.String()+"one more\n", 3); strings.Count(d, "\n") != 7 {
		t.Errorf("a line added after 2,100 equal ones: want a 7-line diff (the head is trimmed first), got\n%s", d)
	}
}

// checkApplies applies the unified diff d to a and checks it gives b, and
// that every hunk header counts its lines.
func checkApplies(t *testing.T, a, b, d string) {
	t.Helper()
	if d == "" {
		if strings.Join(lines(a), "\n") != strings.Join(lines(b), "\n") {
			t.Fatalf("no diff between different texts %q and %q", a, b)
		}
		return
	}
	dl := lines(d)
	if len(dl) < 3 || dl[0] != "--- a" || dl[1] != "+++ b" {
		t.Fatalf("bad headers:\n%s", d)
	}
	src, out := lines(a), []string{}
	next := 0 // the next line of src not yet copied
	for i := 2; i < len(dl); {
		var aStart, aLen, bStart, bLen int
		if _, err := fmt.Sscanf(expand(dl[i]), "@@ -%d,%d +%d,%d @@", &aStart, &aLen, &bStart, &bLen); err != nil {
			t.Fatalf("hunk header %q: %v", dl[i], err)
		}
		if aLen > 0 {
			aStart-- // to 0-based; an empty range names the line before
		}
		if aStart < next {
			t.Fatalf("hunk %q overlaps the one before", dl[i])
		}
		out = append(out, src[next:aStart]...)
		next = aStart
		i++
		gotA, gotB := 0, 0
		for ; i < len(dl) && !strings.HasPrefix(dl[i], "@@"); i++ {
			l := dl[i]
			switch l[0] {
			case ' ', '-':
				if next >= len(src) || src[next] != l[1:] {
					t.Fatalf("line %q of the diff does not match the text", l)
				}
				next++
				gotA++
				if l[0] == ' ' {
					out = append(out, l[1:])
					gotB++
				}
			case '+':
				out = append(out, l[1:])
				gotB++
			default:
				t.Fatalf("diff line %q", l)
			}
		}
		if gotA != aLen || gotB != bLen {
			t.Fatalf("hunk counts -%d +%d, header says -%d +%d", gotA, gotB, aLen, bLen)
		}
	}
	out = append(out, src[next:]...)
	if got, want := strings.Join(out, "\n"), strings.Join(lines(b), "\n"); got != want {
		t.Fatalf("the diff applied to a gives\n%s\nwant\n%s", got, want)
	}
}

// expand writes a header's one-line ranges with their length ("-3" is
// "-3,1").
func expand(h string) string {
	f := strings.Fields(h)
	for i := 1; i <= 2 && i < len(f); i++ {
		if !strings.Contains(f[i], ",") {
			f[i] += ",1"
		}
	}
	return strings.Join(f, " ")
}

// FuzzUnified: whatever the texts, the diff turns a into b, and the
// minimal diff is never longer than removing a and adding b.
func FuzzUnified(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n", uint8(3))
	f.Add("", "x\n", uint8(0))
	f.Add("x\ny\nx\ny\n", "y\nx\ny\nx\n", uint8(1))
	f.Fuzz(func(t *testing.T, a, b string, context uint8) {
		// Lines as the diff writes them: no carriage returns to confuse
		// the check's splitting.
		if strings.ContainsAny(a+b, "\r") {
			return
		}
		d := Unified("a", "b", a, b, int(context%8))
		checkApplies(t, a, b, d)
		changed := 0
		for _, l := range lines(d)[min(2, len(lines(d))):] {
			if l != "" && (l[0] == '-' || l[0] == '+') {
				changed++
			}
		}
		if changed > len(lines(a))+len(lines(b)) {
			t.Errorf("%d changed lines for %d + %d lines", changed, len(lines(a)), len(lines(b)))
		}
	})
}
