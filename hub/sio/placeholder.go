package sio

import "strconv"

// A binary packet carries its binary values as attachments: in the JSON
// payload each one is replaced by the placeholder {"_placeholder":true,"num":N},
// N counting from 0 in depth-first order, and the attachments follow the
// packet in that order.

// Placeholder returns the placeholder for attachment num, written exactly as
// the reference encoder writes it: {"_placeholder":true,"num":N}.
func Placeholder(num int) []byte {
	return AppendPlaceholder(make([]byte, 0, 32), num)
}

// AppendPlaceholder appends the placeholder for attachment num to dst (see
// Placeholder).
func AppendPlaceholder(dst []byte, num int) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(num), 10)
	return append(dst, '}')
}

// IsPlaceholder reports whether raw is one JSON value that is a placeholder,
// and its num. Like the reference parser it accepts any key order,
// whitespace and extra keys; the key "_placeholder" must hold true and "num"
// a non-negative integer written with digits only (for a repeated key the
// last one counts).
func IsPlaceholder(raw []byte) (num int, ok bool) {
	i := skipSpace(raw, 0)
	if i == len(raw) || raw[i] != '{' {
		return 0, false
	}
	s := scanner{b: raw, placeholders: true, limit: -1}
	if s.document(i) < 0 || !s.lastPlaceholder {
		return 0, false
	}
	return s.lastNum, true
}

// CountPlaceholders validates the JSON text raw and returns the nums of its
// placeholders in depth-first order, nil if there are none. It does not look
// inside a placeholder. An object with "_placeholder": true whose num is not
// a non-negative integer is an error, as in the reference parser.
//
// A payload built by the reference encoder yields exactly 0..N-1 for N
// attachments; Decode only checks that every num is below N.
func CountPlaceholders(raw []byte) ([]int, error) {
	s := scanner{b: raw, placeholders: true, collect: true, limit: -1}
	if s.document(0) < 0 {
		return nil, s.err
	}
	return s.nums, nil
}
