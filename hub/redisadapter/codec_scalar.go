package redisadapter

import (
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Readers of the small values around packets: rooms, names, numbers,
// flags, maps.

// decodeRooms reads a list of rooms; numbers (Node allows numeric rooms)
// become their decimal text. nil reads as no rooms.
func decodeRooms(dec *msgpack.Decoder) ([]string, error) {
	n, err := dec.DecodeArrayLen()
	if err != nil || n <= 0 {
		return nil, err
	}
	out := make([]string, 0, min(n, 16))
	for range n {
		r, err := decodeText(dec)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// decodeText reads a string, or a number as JavaScript prints it.
func decodeText(dec *msgpack.Decoder) (string, error) {
	c, err := dec.PeekCode()
	if err != nil {
		return "", err
	}
	if msgpcode.IsString(c) {
		return dec.DecodeString()
	}
	f, err := decodeNumber(dec)
	if err != nil {
		return "", fmt.Errorf("redisadapter: expected a string, got code 0x%02x", c)
	}
	return string(appendJSNumber(nil, f)), nil
}

// decodeNumber reads any msgpack number as a float64.
func decodeNumber(dec *msgpack.Decoder) (float64, error) {
	c, err := dec.PeekCode()
	if err != nil {
		return 0, err
	}
	switch {
	case c == msgpcode.Float || c == msgpcode.Double:
		return dec.DecodeFloat64()
	case c == msgpcode.Uint64:
		u, err := dec.DecodeUint64()
		return float64(u), err
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64):
		i, err := dec.DecodeInt64()
		return float64(i), err
	}
	return 0, fmt.Errorf("redisadapter: expected a number, got code 0x%02x", c)
}

// decodeTruthy reads a value as a JavaScript condition would see it (for
// flags): false, nil, 0, NaN and "" are false.
func decodeTruthy(dec *msgpack.Decoder) (bool, error) {
	c, err := dec.PeekCode()
	if err != nil {
		return false, err
	}
	switch {
	case c == msgpcode.True || c == msgpcode.False:
		return dec.DecodeBool()
	case c == msgpcode.Nil:
		return false, dec.Skip()
	case msgpcode.IsString(c):
		s, err := dec.DecodeString()
		return s != "", err
	}
	if f, err := decodeNumber(dec); err == nil {
		return f != 0 && !math.IsNaN(f), nil
	}
	return true, dec.Skip()
}

// eachKey reads a map, calling fn for each string key; fn must consume the
// value. Entries with other keys are skipped. nil reads as an empty map.
func eachKey(dec *msgpack.Decoder, fn func(key string) error) error {
	n, err := dec.DecodeMapLen()
	if err != nil {
		return err
	}
	for range n {
		c, err := dec.PeekCode()
		if err != nil {
			return err
		}
		if !msgpcode.IsString(c) {
			if err := dec.Skip(); err != nil {
				return err
			}
			if err := dec.Skip(); err != nil {
				return err
			}
			continue
		}
		key, err := dec.DecodeString()
		if err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}
