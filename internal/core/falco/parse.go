package falco

import (
	"fmt"
	"strconv"
	"strings"
)

// The condition language, as Falco's filter grammar defines it:
//
//	Expr     = And { "or" And }
//	And      = Not { "and" Not }
//	Not      = { "not" } Check
//	Check    = "(" Expr ")" | Field [ Unary | BinOp Value | ListOp List ] | MacroName
//	List     = "(" [ Value { "," Value } ] ")"
//	Value    = QuotedString | BareString
//
// A field is a dotted name with an optional argument in brackets
// (ka.uri.param[command], jevt.value[/requestObject/spec]); a bare name
// with no dot and no operator is a macro. Values in a list may name lists,
// which expand to their items.

// node is a parsed condition.
type node interface{ pos() int }

type (
	andNode struct {
		at   int
		kids []node
	}
	orNode struct {
		at   int
		kids []node
	}
	notNode struct {
		at  int
		kid node
	}
	// macroNode refers to a macro by name.
	macroNode struct {
		at   int
		name string
	}
	// checkNode compares a field with values.
	checkNode struct {
		at     int
		field  string
		arg    string
		hasArg bool
		op     string
		// values are the operand(s); for list operators, each may name a list.
		values []string
		// bare records, per value, whether it was written unquoted (only
		// bare words can name lists).
		bare []bool
	}
	// constNode is true or false: what an empty list of exceptions or an
	// always-true macro compiles to.
	constNode struct {
		at int
		v  bool
	}
)

func (n *andNode) pos() int   { return n.at }
func (n *orNode) pos() int    { return n.at }
func (n *notNode) pos() int   { return n.at }
func (n *macroNode) pos() int { return n.at }
func (n *checkNode) pos() int { return n.at }
func (n *constNode) pos() int { return n.at }

// Operators by the operand they take.
var (
	unaryOps = map[string]bool{"exists": true}
	listOps  = map[string]bool{"in": true, "intersects": true, "pmatch": true}
	binOps   = map[string]bool{
		"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
		"contains": true, "icontains": true, "bcontains": true, "startswith": true, "bstartswith": true,
		"endswith": true, "glob": true, "iglob": true, "regex": true,
	}
)

// SyntaxError is a condition that does not parse; Pos is the byte offset
// in the condition.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at position %d", e.Msg, e.Pos) }

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tComma
	tOp     // = == != < <= > >=
	tWord   // bare word: keyword, field, macro, operator word or value
	tString // quoted string, unescaped
)

type token struct {
	kind tokKind
	text string
	pos  int
}

type parser struct {
	src string
	i   int
	tok token
	// values is set while a value is expected: bare words then end only
	// at spaces, parentheses and commas.
	values bool
}

// parseCondition parses a condition into its tree.
func parseCondition(src string) (node, error) {
	p := &parser{src: src}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, &SyntaxError{0, "empty condition"}
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, &SyntaxError{p.tok.pos, fmt.Sprintf("unexpected %s, expecting 'and', 'or' or the end", p.describe())}
	}
	return n, nil
}

func (p *parser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "end of condition"
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	case tComma:
		return "','"
	}
	return strconv.Quote(p.tok.text)
}

func (p *parser) or() (node, error) {
	at := p.tok.pos
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.isWord("or") {
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &orNode{at, kids}, nil
}

func (p *parser) and() (node, error) {
	at := p.tok.pos
	first, err := p.not()
	if err != nil {
		return nil, err
	}
	kids := []node{first}
	for p.isWord("and") {
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &andNode{at, kids}, nil
}

func (p *parser) not() (node, error) {
	if p.isWord("not") {
		at := p.tok.pos
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return &notNode{at, n}, nil
	}
	return p.check()
}

func (p *parser) isWord(w string) bool { return p.tok.kind == tWord && p.tok.text == w }

func (p *parser) check() (node, error) {
	switch p.tok.kind {
	case tLParen:
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, &SyntaxError{p.tok.pos, fmt.Sprintf("unexpected %s, expecting ')'", p.describe())}
		}
		return n, p.next()
	case tWord:
	default:
		return nil, &SyntaxError{p.tok.pos, fmt.Sprintf("unexpected %s, expecting a field, a macro, 'not' or '('", p.describe())}
	}
	word := p.tok
	if word.text == "and" || word.text == "or" {
		return nil, &SyntaxError{word.pos, fmt.Sprintf("unexpected '%s', expecting a field, a macro, 'not' or '('", word.text)}
	}
	name, arg, hasArg, err := splitField(word)
	if err != nil {
		return nil, err
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	op := ""
	switch {
	case p.tok.kind == tOp:
		op = p.tok.text
	case p.tok.kind == tWord && (unaryOps[p.tok.text] || listOps[p.tok.text] || binOps[p.tok.text]):
		op = p.tok.text
	}
	if op == "" {
		if !strings.Contains(name, ".") && !hasArg {
			return &macroNode{word.pos, name}, nil
		}
		return nil, &SyntaxError{p.tok.pos, fmt.Sprintf("field %s is not followed by an operator (found %s)", word.text, p.describe())}
	}
	c := &checkNode{at: word.pos, field: name, arg: arg, hasArg: hasArg, op: op}
	// What follows an operator is a value, and a bare value may hold
	// operator characters (fd.name = <NA>, proc.args contains -x=1).
	p.values = !unaryOps[op]
	err = p.next()
	p.values = false
	if err != nil {
		return nil, err
	}
	switch {
	case unaryOps[op]:
		return c, nil
	case listOps[op]:
		return c, p.list(c)
	}
	switch p.tok.kind {
	case tWord, tString:
		c.values, c.bare = []string{p.tok.text}, []bool{p.tok.kind == tWord}
		return c, p.next()
	}
	return nil, &SyntaxError{p.tok.pos, fmt.Sprintf("unexpected %s, expecting a value after '%s'", p.describe(), op)}
}

// list reads "(" values ")" into c; a bare list name without parentheses
// is accepted too, as Falco does.
func (p *parser) list(c *checkNode) error {
	if p.tok.kind == tWord {
		c.values, c.bare = []string{p.tok.text}, []bool{true}
		return p.next()
	}
	if p.tok.kind != tLParen {
		return &SyntaxError{p.tok.pos, fmt.Sprintf("unexpected %s, expecting '(' after '%s'", p.describe(), c.op)}
	}
	if err := p.nextValue(); err != nil {
		return err
	}
	c.values, c.bare = []string{}, []bool{}
	if p.tok.kind == tRParen {
		return p.next()
	}
	for {
		switch p.tok.kind {
		case tWord, tString:
			c.values = append(c.values, p.tok.text)
			c.bare = append(c.bare, p.tok.kind == tWord)
		default:
			return &SyntaxError{p.tok.pos, fmt.Sprintf("unexpected %s in the list of '%s'", p.describe(), c.op)}
		}
		if err := p.next(); err != nil {
			return err
		}
		switch p.tok.kind {
		case tComma:
			if err := p.nextValue(); err != nil {
				return err
			}
		case tRParen:
			return p.next()
		default:
			return &SyntaxError{p.tok.pos, fmt.Sprintf("unexpected %s in the list of '%s', expecting ',' or ')'", p.describe(), c.op)}
		}
	}
}

// splitField separates a field's name from its bracketed argument.
func splitField(t token) (name, arg string, hasArg bool, err error) {
	w := t.text
	i := strings.IndexByte(w, '[')
	if i < 0 {
		return w, "", false, nil
	}
	if !strings.HasSuffix(w, "]") || i == 0 {
		return "", "", false, &SyntaxError{t.pos, fmt.Sprintf("malformed field argument in %q", w)}
	}
	return w[:i], w[i+1 : len(w)-1], true, nil
}

// nextValue reads the next token where a value is expected.
func (p *parser) nextValue() error {
	p.values = true
	defer func() { p.values = false }()
	return p.next()
}

// next reads the next token into p.tok.
func (p *parser) next() error {
	for p.i < len(p.src) && isSpace(p.src[p.i]) {
		p.i++
	}
	start := p.i
	if p.i >= len(p.src) {
		p.tok = token{tEOF, "", start}
		return nil
	}
	c := p.src[p.i]
	switch c {
	case '(':
		p.i++
		p.tok = token{tLParen, "(", start}
		return nil
	case ')':
		p.i++
		p.tok = token{tRParen, ")", start}
		return nil
	case ',':
		p.i++
		p.tok = token{tComma, ",", start}
		return nil
	case '"', '\'':
		s, n, err := unquote(p.src[p.i:])
		if err != nil {
			return &SyntaxError{start, err.Error()}
		}
		p.i += n
		p.tok = token{tString, s, start}
		return nil
	case '=', '!', '<', '>':
		if p.values {
			break
		}
		op := string(c)
		if p.i+1 < len(p.src) && p.src[p.i+1] == '=' {
			op += "="
		}
		if op == "!" {
			return &SyntaxError{start, "'!' must be followed by '=' (use 'not' to negate)"}
		}
		p.i += len(op)
		p.tok = token{tOp, op, start}
		return nil
	}
	p.tok = token{tWord, p.word(), start}
	return nil
}

// word reads a bare word: up to a space, a parenthesis, a comma or an
// operator character. Brackets are kept whole, so a field argument may hold
// any of those (jevt.value[/a b], proc.aname[2]).
func (p *parser) word() string {
	start := p.i
	depth := 0
	for p.i < len(p.src) {
		c := p.src[p.i]
		if depth > 0 {
			if c == ']' {
				depth--
			}
			p.i++
			continue
		}
		if isSpace(c) || c == '(' || c == ')' || c == ',' || c == '"' || c == '\'' {
			break
		}
		if p.values {
			p.i++
			continue
		}
		if c == '=' || c == '<' || c == '>' ||
			(c == '!' && p.i+1 < len(p.src) && p.src[p.i+1] == '=') {
			break
		}
		if c == '[' && p.i > start {
			depth++
		}
		p.i++
	}
	return p.src[start:p.i]
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// unquote reads a quoted string at the start of s, with Falco's escapes
// (\" \' \\ \n \t and the like), and returns it and the bytes consumed.
func unquote(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated quoted string")
}

// listItem reads a list item as Falco does: an item written with quotes
// inside the YAML string ('"10.0.0.0/8"') is unquoted.
func listItem(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		if v, n, err := unquote(s); err == nil && n == len(s) {
			return v
		}
	}
	return s
}
