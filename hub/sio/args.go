package sio

// SplitEvent splits the payload of an EVENT or BINARY_EVENT into the event
// name and the raw JSON of each argument, without whitespace around it.
// The arguments alias data; args is nil when the event has none.
//
// SplitEvent validates all of data, whether or not Decode did: it must be a
// JSON array whose first element is a string. It does not reject reserved
// names (Decode does). It allocates the name, unless empty, and the args
// slice. Errors are *DecodeError with offsets into data.
func SplitEvent(data []byte) (name string, args [][]byte, err error) {
	s := scanner{b: data}
	i := skipSpace(data, 0)
	if i = s.open(i); i < 0 {
		return "", nil, s.err
	}
	if i >= len(data) {
		return "", nil, errAt(i, reasonJSONEnd)
	}
	switch data[i] {
	case ']':
		return "", nil, errAt(i, reasonEmptyEvent)
	case '"':
	default:
		return "", nil, errAt(i, reasonEventName)
	}
	k := i
	if i = s.str(i); i < 0 {
		return "", nil, s.err
	}
	q := data[k:i]
	if args, i = s.rest(i); i < 0 {
		return "", nil, s.err
	}
	return unquote(q), args, nil
}

// SplitArray returns the raw JSON of each element of the JSON array data (an
// ACK payload, say), without whitespace around it; nil for an empty array.
// The elements alias data. Errors are *DecodeError with offsets into data.
func SplitArray(data []byte) ([][]byte, error) {
	s := scanner{b: data}
	i := skipSpace(data, 0)
	if i = s.open(i); i < 0 {
		return nil, s.err
	}
	if i < len(data) && data[i] == ']' {
		if i = skipSpace(data, i+1); i != len(data) {
			return nil, errAt(i, reasonJSONTrailing)
		}
		return nil, nil
	}
	k := i
	if i = s.value(i, 1); i < 0 {
		return nil, s.err
	}
	var buf [8][]byte
	first := append(buf[:0], data[k:i])
	elems, i := s.restInto(i, first)
	if i < 0 {
		return nil, s.err
	}
	return append([][]byte(nil), elems...), nil
}

// EventName returns the event name of an EVENT or BINARY_EVENT payload that
// Decode accepted. It reads only the name, so it validates nothing beyond it;
// use SplitEvent on data of unknown origin. It allocates only the name.
func EventName(data []byte) (string, error) {
	s := scanner{b: data}
	i := skipSpace(data, 0)
	if i = s.open(i); i < 0 {
		return "", s.err
	}
	if i >= len(data) {
		return "", errAt(i, reasonJSONEnd)
	}
	if data[i] != '"' {
		return "", errAt(i, reasonEventName)
	}
	k := i
	if i = s.str(i); i < 0 {
		return "", s.err
	}
	return unquote(data[k:i]), nil
}

// open reads the '[' that starts an array at b[i] and the whitespace after
// it.
func (s *scanner) open(i int) int {
	if i >= len(s.b) {
		return s.fail(i, reasonJSONEnd)
	}
	if s.b[i] != '[' {
		return s.fail(i, reasonNotArray)
	}
	return skipSpace(s.b, i+1)
}

// rest scans the elements of an array after the first one, which ends at
// b[i], through the closing ']' and the end of the data. It returns the
// elements in a new slice, nil when there are none.
func (s *scanner) rest(i int) ([][]byte, int) {
	var buf [8][]byte
	elems, i := s.restInto(i, buf[:0])
	if i < 0 || len(elems) == 0 {
		return nil, i
	}
	return append([][]byte(nil), elems...), i
}

// restInto is rest appending to elems, which it returns.
func (s *scanner) restInto(i int, elems [][]byte) ([][]byte, int) {
	b := s.b
	for {
		if i = skipSpace(b, i); i >= len(b) {
			return elems, s.fail(i, reasonJSONEnd)
		}
		switch b[i] {
		case ',':
		case ']':
			if i = skipSpace(b, i+1); i != len(b) {
				return elems, s.fail(i, reasonJSONTrailing)
			}
			return elems, i
		default:
			return elems, s.fail(i, reasonJSONArrayEnd)
		}
		k := skipSpace(b, i+1)
		if i = s.value(k, 1); i < 0 {
			return elems, -1
		}
		elems = append(elems, b[k:i])
	}
}
