package sio

import "unicode/utf8"

// The JSON scanner validates RFC 8259 text in place without building values.
// Strings must be valid UTF-8: the payload is relayed to other clients in
// WebSocket text frames, and the Engine.IO layer leaves the check to us.

// maxDepth bounds the nesting of arrays and objects, as in encoding/json.
const maxDepth = 10000

// scanner holds the state of one validation. Its methods take the index of
// the first byte to read and return the index after what they read, or -1
// after recording the first error in err.
type scanner struct {
	b    []byte
	base int // offset of b in the caller's input, added to error offsets
	err  *DecodeError
	// placeholders turns on the recognition of binary placeholders. Then
	// every num must be below limit unless limit is negative, and when
	// collect is set nums receives them in depth-first order.
	placeholders bool
	collect      bool
	limit        int
	nums         []int
	// lastPlaceholder tells whether the object closed last was a
	// placeholder, and lastNum is then its num.
	lastPlaceholder bool
	lastNum         int
}

func (s *scanner) fail(i int, reason string) int {
	if s.err == nil {
		s.err = errAt(s.base+i, reason)
	}
	return -1
}

// document validates s.b[i:] as one JSON value with optional whitespace
// around it and returns the index where the value starts.
func (s *scanner) document(i int) int {
	i = skipSpace(s.b, i)
	start := i
	end := s.value(i, 0)
	if end < 0 {
		return -1
	}
	if end = skipSpace(s.b, end); end != len(s.b) {
		return s.fail(end, reasonJSONTrailing)
	}
	return start
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value scans the value starting exactly at b[i] (no leading whitespace).
func (s *scanner) value(i, depth int) int {
	b := s.b
	if i >= len(b) {
		return s.fail(i, reasonJSONEnd)
	}
	switch c := b[i]; {
	case c == '"':
		return s.str(i)
	case c == '{':
		return s.object(i, depth)
	case c == '[':
		return s.array(i, depth)
	case c == '-' || c >= '0' && c <= '9':
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	}
	return s.fail(i, reasonJSONChar)
}

func (s *scanner) literal(i int, lit string) int {
	b := s.b
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return s.fail(i+k, reasonJSONEnd)
		}
		if b[i+k] != lit[k] {
			return s.fail(i+k, reasonJSONChar)
		}
	}
	return i + len(lit)
}

func (s *scanner) number(i int) int {
	b := s.b
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return s.fail(i, reasonJSONEnd)
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return s.fail(i, reasonJSONNumber)
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return s.fail(j, reasonJSONNumber)
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return s.fail(j, reasonJSONNumber)
		}
		i = j
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// strPlain marks the bytes a string holds as they are: printable ASCII other
// than '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string whose opening quote is b[i].
func (s *scanner) str(i int) int {
	b := s.b
	i++
	for {
		for i < len(b) && strPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			return s.fail(i, reasonJSONString)
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(b) {
				return s.fail(i+1, reasonJSONString)
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) {
						return s.fail(k, reasonJSONString)
					}
					if hexVal(b[k]) < 0 {
						return s.fail(k, reasonJSONEscape)
					}
				}
				i += 6
			default:
				return s.fail(i+1, reasonJSONEscape)
			}
		case c < 0x20:
			return s.fail(i, reasonJSONControl)
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return s.fail(i, reasonJSONUTF8)
			}
			i += size
		}
	}
}

func (s *scanner) array(i, depth int) int {
	b := s.b
	if depth >= maxDepth {
		return s.fail(i, reasonJSONDepth)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if i = s.value(i, depth+1); i < 0 {
			return -1
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return s.fail(i, reasonJSONEnd)
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1
		default:
			return s.fail(i, reasonJSONArrayEnd)
		}
	}
}

// object scans an object. With s.placeholders it also recognizes binary
// placeholders: objects whose key "_placeholder" holds true (the last
// occurrence of a key counts, as in JSON.parse). A placeholder's "num" must
// be a non-negative integer. Placeholders nested inside a placeholder are
// dropped from nums, as the reference parser never looks inside one, but
// their nums are still checked against limit.
func (s *scanner) object(i, depth int) int {
	b := s.b
	if depth >= maxDepth {
		return s.fail(i, reasonJSONDepth)
	}
	start, mark := i, len(s.nums)
	isPh := false
	var num []byte
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		s.lastPlaceholder = false
		return i + 1
	}
	for {
		if i >= len(b) {
			return s.fail(i, reasonJSONEnd)
		}
		if b[i] != '"' {
			return s.fail(i, reasonJSONKey)
		}
		k := i
		if i = s.str(i); i < 0 {
			return -1
		}
		key := b[k:i]
		if i = skipSpace(b, i); i >= len(b) {
			return s.fail(i, reasonJSONEnd)
		}
		if b[i] != ':' {
			return s.fail(i, reasonJSONColon)
		}
		i = skipSpace(b, i+1)
		v := i
		if i = s.value(i, depth+1); i < 0 {
			return -1
		}
		if s.placeholders {
			if keyIs(key, "_placeholder") {
				isPh = string(b[v:i]) == "true"
			} else if keyIs(key, "num") {
				num = b[v:i]
			}
		}
		if i = skipSpace(b, i); i >= len(b) {
			return s.fail(i, reasonJSONEnd)
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if b[i] != '}' {
			return s.fail(i, reasonJSONObjectEnd)
		}
		i++
		break
	}
	s.lastPlaceholder = isPh
	if isPh {
		n, ok := placeholderNum(num)
		if !ok {
			return s.fail(start, reasonPlaceholderNum)
		}
		s.lastNum = n
		if s.limit >= 0 && n >= s.limit {
			return s.fail(start, reasonPlaceholderOver)
		}
		if s.collect {
			s.nums = append(s.nums[:mark], n)
		}
	}
	return i
}

// placeholderNum parses the raw "num" of a placeholder: a non-negative
// integer written with digits only, at most maxCount.
func placeholderNum(raw []byte) (int, bool) {
	if len(raw) == 0 || len(raw) > 1 && raw[0] == '0' {
		return 0, false
	}
	return parseCount(raw)
}

// maxCount bounds attachment counts and placeholder nums, whatever the size
// of int.
const maxCount = 1<<31 - 1

// parseCount parses decimal digits up to maxCount; ok is false for any
// other byte or a larger value.
func parseCount(raw []byte) (n int, ok bool) {
	var v int64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v = v*10 + int64(c-'0'); v > maxCount {
			return 0, false
		}
	}
	return int(v), true
}
