package hub

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/siogate/siogate/hub/sio"
)

// Raw is one JSON value exactly as the client sent it. Passing a Raw to
// Emit writes it back byte for byte.
type Raw []byte

// Decode unmarshals r into v.
func (r Raw) Decode(v any) error { return json.Unmarshal(r, v) }

// String returns the JSON text.
func (r Raw) String() string { return string(r) }

// MarshalJSON returns r itself (null when empty).
func (r Raw) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// encodeArgs turns emit arguments into raw JSON elements and binary
// attachments. []byte arguments become attachments (Socket.IO binary, a
// Buffer / ArrayBuffer on the client); Raw and json.RawMessage are written
// verbatim; everything else goes through encoding/json (where a []byte
// nested in a struct is base64 text, as encoding/json always does).
func encodeArgs(args []any) (raw [][]byte, atts [][]byte, err error) {
	raw = make([][]byte, 0, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case []byte:
			raw = append(raw, sio.AppendPlaceholder(nil, len(atts)))
			atts = append(atts, v)
		case Raw:
			raw = append(raw, v)
		case json.RawMessage:
			raw = append(raw, v)
		case nil:
			raw = append(raw, []byte("null"))
		default:
			b, mErr := json.Marshal(v)
			if mErr != nil {
				return nil, nil, fmt.Errorf("hub: argument %d: %w", i, mErr)
			}
			raw = append(raw, b)
		}
	}
	return raw, atts, nil
}

// withAttachments returns raw with every binary placeholder replaced by the
// base64 JSON string of its attachment, so that encoding/json can decode it
// into a []byte. raw itself is not modified.
func withAttachments(raw []byte, atts [][]byte) []byte {
	if len(atts) == 0 {
		return raw
	}
	var out []byte
	last := 0
	inString, escaped := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			continue
		}
		if c != '{' {
			continue
		}
		end := objectEnd(raw, i)
		if end < 0 {
			break
		}
		num, ok := sio.IsPlaceholder(raw[i:end])
		if !ok || num < 0 || num >= len(atts) {
			continue
		}
		out = append(out, raw[last:i]...)
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, atts[num])
		out = append(out, '"')
		last = end
		i = end - 1
	}
	if out == nil {
		return raw
	}
	return append(out, raw[last:]...)
}

// objectEnd returns the index just past the object starting at raw[i]
// ('{'), or -1.
func objectEnd(raw []byte, i int) int {
	depth := 0
	inString, escaped := false, false
	for j := i; j < len(raw); j++ {
		c := raw[j]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}
