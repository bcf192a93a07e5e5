package redisadapter

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/siogate/siogate/hub/sio"
)

// Values cross the bus as msgpack in the shapes notepack.io 3.x gives
// JavaScript values, and reach clients as Socket.IO JSON. This file
// converts one into the other:
//
//	JSON (hub)                         msgpack (wire)
//	null, true, false                  nil, true, false
//	integral number                    smallest int / uint
//	other number                       float64
//	string                             str
//	array, object (key order kept)     array, map
//	binary placeholder + attachment    bin
//
// Reading, msgpack also yields what only JavaScript writes: float32,
// undefined (fixext 0, dropped from objects and null in arrays as
// JSON.stringify does), timestamps (Dates, written as JSON.stringify writes
// a Date), the ArrayBuffer extension (binary) and other extensions
// ([type, binary], as notepack decodes them).

// maxDepth bounds the nesting of decoded values.
const maxDepth = 1000

// errDepth reports a value nested deeper than maxDepth.
var errDepth = errors.New("redisadapter: value nested too deeply")

// jsonToMsgpack writes the JSON value raw; binary placeholders become the
// bin of their attachment in atts.
func jsonToMsgpack(enc *msgpack.Encoder, raw []byte, atts [][]byte) error {
	v, err := parseJSON(raw)
	if err != nil {
		return err
	}
	return writeValue(enc, v, atts, 0)
}

// A parsed JSON value: nil, bool, jsonNumber, string, []any or *jsonObject.
type (
	jsonNumber string
	jsonObject struct {
		keys []string
		vals []any
	}
)

func writeValue(enc *msgpack.Encoder, v any, atts [][]byte, depth int) error {
	if depth > maxDepth {
		return errDepth
	}
	switch v := v.(type) {
	case nil:
		return enc.EncodeNil()
	case bool:
		return enc.EncodeBool(v)
	case string:
		return enc.EncodeString(v)
	case jsonNumber:
		return writeNumber(enc, string(v))
	case []any:
		if err := enc.EncodeArrayLen(len(v)); err != nil {
			return err
		}
		for _, e := range v {
			if err := writeValue(enc, e, atts, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *jsonObject:
		if num, ok := v.placeholder(); ok {
			if num >= len(atts) {
				return fmt.Errorf("redisadapter: placeholder %d of %d attachments", num, len(atts))
			}
			return encodeBin(enc, atts[num])
		}
		if err := enc.EncodeMapLen(len(v.keys)); err != nil {
			return err
		}
		for i, k := range v.keys {
			if err := enc.EncodeString(k); err != nil {
				return err
			}
			if err := writeValue(enc, v.vals[i], atts, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("redisadapter: unexpected JSON value %T", v)
}

// encodeBin writes b as bin (EncodeBytes would write nil for a nil slice).
func encodeBin(enc *msgpack.Encoder, b []byte) error {
	if err := enc.EncodeBytesLen(len(b)); err != nil {
		return err
	}
	_, err := enc.Writer().Write(b)
	return err
}

// writeNumber writes a JSON number as notepack writes a JavaScript number:
// integral values as the smallest integer, others as float64. Integer
// literals keep their exact value even past 2^53.
func writeNumber(enc *msgpack.Encoder, lit string) error {
	if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return enc.EncodeInt(i)
	}
	if u, err := strconv.ParseUint(lit, 10, 64); err == nil {
		return enc.EncodeUint(u)
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("redisadapter: bad JSON number %q", lit)
	}
	switch {
	case f != math.Trunc(f) || f < -(1<<63) || f >= 1<<64:
		// notepack would write an integer past 2^64 wrongly; float64 keeps
		// the value.
		return enc.EncodeFloat64(f)
	case f < 1<<63:
		return enc.EncodeInt(int64(f))
	default:
		return enc.EncodeUint(uint64(f))
	}
}

// placeholder reports whether o is a binary placeholder and its num.
func (o *jsonObject) placeholder() (int, bool) {
	var isPH, hasNum bool
	num := 0
	for i, k := range o.keys {
		switch k {
		case "_placeholder":
			isPH = o.vals[i] == true
		case "num":
			n, ok := o.vals[i].(jsonNumber)
			if !ok {
				return 0, false
			}
			v, err := strconv.Atoi(string(n))
			if err != nil || v < 0 {
				return 0, false
			}
			num, hasNum = v, true
		}
	}
	return num, isPH && hasNum
}

// jsonBuilder reads msgpack values as JSON: value appends one to dst;
// binary values are appended to atts and replaced by placeholders.
type jsonBuilder struct {
	dec  *msgpack.Decoder
	atts [][]byte
}

// value reads one value and appends its JSON to dst; undefined reports a
// JavaScript undefined (dst unchanged).
func (jb *jsonBuilder) value(dst []byte, depth int) (out []byte, undefined bool, err error) {
	if depth > maxDepth {
		return dst, false, errDepth
	}
	c, err := jb.dec.PeekCode()
	if err != nil {
		return dst, false, err
	}
	switch {
	case c == msgpcode.Nil:
		return append(dst, "null"...), false, jb.dec.Skip()
	case c == msgpcode.True || c == msgpcode.False:
		b, err := jb.dec.DecodeBool()
		return strconv.AppendBool(dst, b), false, err
	case msgpcode.IsFixedNum(c) || c == msgpcode.Int8 || c == msgpcode.Int16 || c == msgpcode.Int32 || c == msgpcode.Int64:
		i, err := jb.dec.DecodeInt64()
		return strconv.AppendInt(dst, i, 10), false, err
	case c == msgpcode.Uint8 || c == msgpcode.Uint16 || c == msgpcode.Uint32 || c == msgpcode.Uint64:
		u, err := jb.dec.DecodeUint64()
		return strconv.AppendUint(dst, u, 10), false, err
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := jb.dec.DecodeFloat64()
		return appendJSNumber(dst, f), false, err
	case msgpcode.IsString(c):
		s, err := jb.dec.DecodeString()
		return sio.AppendString(dst, s), false, err
	case msgpcode.IsBin(c):
		n, err := jb.dec.DecodeBytesLen()
		if err != nil {
			return dst, false, err
		}
		b, err := readBytes(jb.dec, n)
		if err != nil {
			return dst, false, err
		}
		return jb.attach(dst, b), false, nil
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := jb.dec.DecodeArrayLen()
		if err != nil {
			return dst, false, err
		}
		dst = append(dst, '[')
		for i := range n {
			if i > 0 {
				dst = append(dst, ',')
			}
			var undef bool
			if dst, undef, err = jb.value(dst, depth+1); err != nil {
				return dst, false, err
			}
			if undef {
				dst = append(dst, "null"...)
			}
		}
		return append(dst, ']'), false, nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := jb.dec.DecodeMapLen()
		if err != nil {
			return dst, false, err
		}
		dst = append(dst, '{')
		first := true
		for range n {
			mark := len(dst)
			if !first {
				dst = append(dst, ',')
			}
			if dst, err = jb.key(dst); err != nil {
				return dst, false, err
			}
			dst = append(dst, ':')
			var undef bool
			if dst, undef, err = jb.value(dst, depth+1); err != nil {
				return dst, false, err
			}
			if undef {
				dst = dst[:mark] // JSON.stringify drops undefined members
				continue
			}
			first = false
		}
		return append(dst, '}'), false, nil
	case msgpcode.IsExt(c):
		return jb.ext(dst)
	}
	return dst, false, fmt.Errorf("redisadapter: unexpected msgpack code 0x%02x", c)
}

// key appends a map key as a JSON string (a JavaScript object key is
// always a string).
func (jb *jsonBuilder) key(dst []byte) ([]byte, error) {
	c, err := jb.dec.PeekCode()
	if err != nil {
		return dst, err
	}
	if msgpcode.IsString(c) {
		s, err := jb.dec.DecodeString()
		return sio.AppendString(dst, s), err
	}
	// Another scalar: its JSON text, quoted.
	sub := jsonBuilder{dec: jb.dec}
	text, _, err := sub.value(nil, maxDepth)
	if err != nil {
		return dst, err
	}
	if len(sub.atts) > 0 {
		return dst, errors.New("redisadapter: binary map key")
	}
	return sio.AppendString(dst, string(text)), nil
}

func (jb *jsonBuilder) attach(dst, b []byte) []byte {
	if b == nil {
		b = []byte{}
	}
	dst = sio.AppendPlaceholder(dst, len(jb.atts))
	jb.atts = append(jb.atts, b)
	return dst
}

// ext appends an extension value as notepack decodes it: undefined,
// Dates, ArrayBuffers, or [type, binary] for the others.
func (jb *jsonBuilder) ext(dst []byte) ([]byte, bool, error) {
	c, err := jb.dec.PeekCode()
	if err != nil {
		return dst, false, err
	}
	id, n, err := jb.dec.DecodeExtHeader()
	if err != nil {
		return dst, false, err
	}
	data, err := readBytes(jb.dec, n)
	if err != nil {
		return dst, false, err
	}
	switch {
	case c == msgpcode.FixExt1 && id == 0:
		return dst, true, nil // undefined
	case c == msgpcode.FixExt8 && id == 0: // the old Date extension: milliseconds
		return appendDate(dst, time.UnixMilli(int64(be64(data)))), false, nil
	case (c == msgpcode.Ext8 || c == msgpcode.Ext16 || c == msgpcode.Ext32) && id == 0:
		return jb.attach(dst, data), false, nil // ArrayBuffer
	case c == msgpcode.FixExt4 && id == -1: // timestamp 32
		return appendDate(dst, time.Unix(int64(be32(data)), 0)), false, nil
	case c == msgpcode.FixExt8 && id == -1: // timestamp 64
		v := be64(data)
		return appendDate(dst, time.Unix(int64(v&(1<<34-1)), int64(v>>34))), false, nil
	case c == msgpcode.Ext8 && id == -1 && n == 12: // timestamp 96
		return appendDate(dst, time.Unix(int64(be64(data[4:])), int64(be32(data)))), false, nil
	}
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, int64(id), 10)
	dst = append(dst, ',')
	dst = jb.attach(dst, data)
	return append(dst, ']'), false, nil
}

// readBytes reads n bytes, allocating as they arrive: a length from the
// wire cannot make it allocate more than the message holds.
func readBytes(dec *msgpack.Decoder, n int) ([]byte, error) {
	const chunk = 64 << 10
	if n < 0 {
		return nil, fmt.Errorf("redisadapter: bad length %d", n)
	}
	out := make([]byte, 0, min(n, chunk))
	for len(out) < n {
		start := len(out)
		out = append(out, make([]byte, min(n-start, chunk))...)
		if err := dec.ReadFull(out[start:]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func be64(b []byte) uint64 { return uint64(be32(b))<<32 | uint64(be32(b[4:])) }

// appendDate writes t as JSON.stringify writes a Date: an ISO string in
// UTC with milliseconds.
func appendDate(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	return append(dst, '"')
}

// appendJSNumber writes f as JSON.stringify writes a number (NaN and the
// infinities as null).
func appendJSNumber(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return append(dst, "null"...)
	case f == 0:
		return append(dst, '0') // also -0
	}
	abs := math.Abs(f)
	if abs >= 1e21 || abs < 1e-6 {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'e', -1, 64)
		// Go writes e-07 and e+21; JavaScript writes e-7 and e+21.
		n := len(dst)
		if n-start >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
		return dst
	}
	return strconv.AppendFloat(dst, f, 'f', -1, 64)
}
