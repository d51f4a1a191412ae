package document

// flowSequence reads a one-line "[a, "b", 'c d']" of scalars.
func (p *fastParser) flowSequence(c []byte) bool {
	p.out = append(p.out, '[')
	i := skipSpaces(c, 1)
	if i < len(c) && c[i] == ']' {
		p.out = append(p.out, ']')
		return afterValue(c[i+1:])
	}
	for first := true; ; first = false {
		if !first {
			p.out = append(p.out, ',')
		}
		var ok bool
		if i, ok = p.flowScalar(c, i); !ok || i >= len(c) {
			return false
		}
		switch c[i] {
		case ']':
			p.out = append(p.out, ']')
			return afterValue(c[i+1:])
		case ',':
			if i = skipSpaces(c, i+1); i < len(c) && c[i] == ']' {
				return false // a trailing comma
			}
		default:
			return false
		}
	}
}

// flowMapping reads a one-line "{k: v, "k 2": 'v 2'}" of scalars.
func (p *fastParser) flowMapping(c []byte) bool {
	p.out = append(p.out, '{')
	i := skipSpaces(c, 1)
	if i < len(c) && c[i] == '}' {
		p.out = append(p.out, '}')
		return afterValue(c[i+1:])
	}
	keys, keyBytes := len(p.keys), len(p.keyBytes)
	defer func() { p.keys, p.keyBytes = p.keys[:keys], p.keyBytes[:keyBytes] }()
	for first := true; ; first = false {
		if !first {
			p.out = append(p.out, ',')
		}
		// The key, then ": " right after it.
		if i >= len(c) {
			return false
		}
		var key []byte
		if c[i] == '"' || c[i] == '\'' {
			s, end, ok := p.quoted(c[i:], false)
			if !ok {
				return false
			}
			key, i = s, i+end
		} else {
			j := i
			for j < len(c) && plainKeyByte(c[j]) {
				j++
			}
			key = c[i:j]
			if j == i || !isPlainKeyStart(c[i]) || resolvePlain(key) != scalarString {
				return false
			}
			i = j
		}
		if i+1 >= len(c) || c[i] != ':' || c[i+1] != ' ' || len(key) > fastMaxKey {
			return false
		}
		for _, k := range p.keys[keys:] {
			if string(p.keyBytes[k[0]:k[1]]) == string(key) {
				return false
			}
		}
		p.keys = append(p.keys, [2]int{len(p.keyBytes), len(p.keyBytes) + len(key)})
		p.keyBytes = append(p.keyBytes, key...)
		p.out = appendJSONString(p.out, key)
		p.out = append(p.out, ':')
		var ok bool
		if i, ok = p.flowScalar(c, skipSpaces(c, i+1)); !ok || i >= len(c) {
			return false
		}
		switch c[i] {
		case '}':
			p.out = append(p.out, '}')
			return afterValue(c[i+1:])
		case ',':
			if i = skipSpaces(c, i+1); i < len(c) && c[i] == '}' {
				return false // a trailing comma
			}
		default:
			return false
		}
	}
}

// flowScalar reads the quoted or plain scalar at c[i:] inside a flow
// collection and returns the offset after it and the spaces that follow.
// A plain one is words of key characters separated by single spaces.
func (p *fastParser) flowScalar(c []byte, i int) (int, bool) {
	if i >= len(c) {
		return i, false
	}
	if c[i] == '"' || c[i] == '\'' {
		s, end, ok := p.quoted(c[i:], true)
		if !ok {
			return i, false
		}
		p.out = appendJSONString(p.out, s)
		return skipSpaces(c, i+end), true
	}
	if !isPlainKeyStart(c[i]) {
		return i, false
	}
	j := i
	for j < len(c) && (plainKeyByte(c[j]) || c[j] == ' ' && j+1 < len(c) && plainKeyByte(c[j+1])) {
		j++
	}
	if !p.plain(c[i:j]) {
		return i, false
	}
	return skipSpaces(c, j), true
}

func skipSpaces(c []byte, i int) int {
	for i < len(c) && c[i] == ' ' {
		i++
	}
	return i
}
