package linediff

import (
	"strconv"
	"strings"
)

// MaxCells bounds the work of one comparison: the lines that differ
// between the common head and tail of the two texts are matched with a
// longest-common-subsequence table of (old lines × new lines) cells, and
// when that would exceed MaxCells (say two versions of a 3,000-line
// document edited at both ends) the whole span is shown as removed, then
// added. A diff is then longer than it could be, never wrong.
const MaxCells = 1 << 22

// Unified returns the unified diff that turns a into b, headed
// "--- aName" and "+++ bName", with context unchanged lines around each
// change (diff -u uses 3); "" when the texts have the same lines. A
// missing newline at the end of a text is not reported.
func Unified(aName, bName, a, b string, context int) string {
	ops := diff(lines(a), lines(b))
	hunks := group(ops, max(context, 0))
	if len(hunks) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("--- " + aName + "\n+++ " + bName + "\n")
	for _, h := range hunks {
		h.write(&sb)
	}
	return sb.String()
}

// lines splits s into its lines, without their newlines.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// op is one line of the edit script: kept (' '), removed ('-') or added
// ('+').
type op struct {
	kind byte
	line string
}

// diff returns an edit script turning a into b with as few removed and
// added lines as it can (see MaxCells); removals come before additions.
func diff(a, b []string) []op {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	ops := make([]op, 0, len(a)+len(b)-head-tail)
	for _, l := range a[:head] {
		ops = append(ops, op{' ', l})
	}
	ops = append(ops, middle(a[head:len(a)-tail], b[head:len(b)-tail])...)
	for _, l := range a[len(a)-tail:] {
		ops = append(ops, op{' ', l})
	}
	return ops
}

// middle diffs the span between the common head and tail with an LCS
// table, or, past MaxCells, removes all of a and adds all of b. Within the
// bound the shorter side has at most 2,048 lines, so a cell fits a uint16.
func middle(a, b []string) []op {
	n, m := len(a), len(b)
	if n*m == 0 || n*m > MaxCells {
		ops := make([]op, 0, n+m)
		for _, l := range a {
			ops = append(ops, op{'-', l})
		}
		for _, l := range b {
			ops = append(ops, op{'+', l})
		}
		return ops
	}
	// lcs[i*(m+1)+j] is the length of the longest common subsequence of
	// a[i:] and b[j:].
	w := m + 1
	lcs := make([]uint16, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case a[i] == b[j]:
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
				lcs[i*w+j] = lcs[(i+1)*w+j]
			default:
				lcs[i*w+j] = lcs[i*w+j+1]
			}
		}
	}
	ops := make([]op, 0, n+m)
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i, j = i+1, j+1
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, op{'-', a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, op{'+', b[j]})
	}
	return ops
}

// hunk is a run of the edit script with the line numbers (1-based) where
// it starts in a and in b.
type hunk struct {
	ops          []op
	aLine, bLine int
}

// group cuts the edit script into hunks: each change with up to context
// kept lines on either side, hunks closer than 2×context merged.
func group(ops []op, context int) []hunk {
	var hunks []hunk
	aLine, bLine := 1, 1 // of ops[i]
	start := -1          // first op of the open hunk
	var startA, startB int
	lastChange := -1
	for i, o := range ops {
		if o.kind != ' ' {
			if start >= 0 && i-lastChange-1 > 2*context {
				// Close the open hunk context lines after its last change.
				hunks = append(hunks, hunk{ops[start : lastChange+1+context], startA, startB})
				start = -1
			}
			if start < 0 {
				back := 0
				for back < context && i-back-1 >= 0 && ops[i-back-1].kind == ' ' {
					back++
				}
				start, startA, startB = i-back, aLine-back, bLine-back
			}
			lastChange = i
		}
		if o.kind != '+' {
			aLine++
		}
		if o.kind != '-' {
			bLine++
		}
	}
	if start >= 0 {
		hunks = append(hunks, hunk{ops[start:min(len(ops), lastChange+1+context)], startA, startB})
	}
	return hunks
}

// write writes the hunk's header and lines. As diff -u does, a range of
// one line is written without its length, and an empty range starts at
// the line before it.
func (h hunk) write(sb *strings.Builder) {
	var aLen, bLen int
	for _, o := range h.ops {
		if o.kind != '+' {
			aLen++
		}
		if o.kind != '-' {
			bLen++
		}
	}
	sb.WriteString("@@ -" + span(h.aLine, aLen) + " +" + span(h.bLine, bLen) + " @@\n")
	for _, o := range h.ops {
		sb.WriteByte(o.kind)
		sb.WriteString(o.line)
		sb.WriteByte('\n')
	}
}

func span(start, n int) string {
	switch n {
	case 0:
		return strconv.Itoa(start-1) + ",0"
	case 1:
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(n)
}
