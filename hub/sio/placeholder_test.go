package sio

import (
	"slices"
	"testing"
)

func TestPlaceholder(t *testing.T) {
	if got := string(Placeholder(0)); got != `{"_placeholder":true,"num":0}` {
		t.Errorf("Placeholder(0) = %s", got)
	}
	if got := string(AppendPlaceholder([]byte("["), 12)); got != `[{"_placeholder":true,"num":12}` {
		t.Errorf("AppendPlaceholder = %s", got)
	}
}

func TestIsPlaceholder(t *testing.T) {
	for _, tc := range []struct {
		in  string
		num int
		ok  bool
	}{
		{`{"_placeholder":true,"num":0}`, 0, true},
		{`{"num":3,"_placeholder":true}`, 3, true},
		{" {\n \"_placeholder\" : true ,\t\"num\" : 42 } ", 42, true},
		{`{"_placeholder":true,"num":1,"extra":[{"_placeholder":true,"num":9}]}`, 1, true},
		{`{"\u005fplaceholder":true,"n\u0075m":7}`, 7, true},
		{`{"_placeholder":true,"num":2147483647}`, 2147483647, true},
		{`{"_placeholder":false,"num":0,"_placeholder":true}`, 0, true}, // last key wins
		{`{"_placeholder":true,"num":0,"_placeholder":false}`, 0, false},
		{`{"_placeholder":true,"num":1,"num":2}`, 2, true},
		{`{"_placeholder":true}`, 0, false},
		{`{"_placeholder":true,"num":-1}`, 0, false},
		{`{"_placeholder":true,"num":1.0}`, 0, false},
		{`{"_placeholder":true,"num":01}`, 0, false},
		{`{"_placeholder":true,"num":"1"}`, 0, false},
		{`{"_placeholder":true,"num":2147483648}`, 0, false},
		{`{"_placeholder":"true","num":0}`, 0, false},
		{`{"_placeholder":1,"num":0}`, 0, false},
		{`{"_Placeholder":true,"num":0}`, 0, false},
		{`{"num":0}`, 0, false},
		{`[{"_placeholder":true,"num":0}]`, 0, false},
		{`{"a":{"_placeholder":true,"num":0}}`, 0, false},
		{`{"_placeholder":true,"num":0}x`, 0, false},
		{`{"_placeholder":true,"num":0`, 0, false},
		{``, 0, false},
	} {
		num, ok := IsPlaceholder([]byte(tc.in))
		if ok != tc.ok || ok && num != tc.num {
			t.Errorf("IsPlaceholder(%s) = %d, %v; want %d, %v", tc.in, num, ok, tc.num, tc.ok)
		}
	}
}

func TestCountPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{in: `["x",1,{"a":[]}]`},
		{in: `["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, want: []int{0, 1}},
		{in: `["up",{"files":[{"num":1,"_placeholder":true},{"_placeholder":true,"num":0}]},{"_placeholder":true,"num":2}]`, want: []int{1, 0, 2}},
		// Nothing inside a placeholder counts, as the reference never looks there.
		{in: `[{"_placeholder":true,"num":0,"x":{"_placeholder":true,"num":5}},{"_placeholder":true,"num":1}]`, want: []int{0, 1}},
		{in: `[{"x":{"_placeholder":true,"num":5},"_placeholder":true,"num":0}]`, want: []int{0}},
		{in: `{"_placeholder":true,"num":3}`, want: []int{3}},
		{in: `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`, want: []int{0, 0}},
		{in: `[{"_placeholder":true,"num":"0"}]`, err: reasonPlaceholderNum},
		{in: `[{"_placeholder":true}]`, err: reasonPlaceholderNum},
		{in: `[1,`, err: reasonJSONEnd},
	} {
		got, err := CountPlaceholders([]byte(tc.in))
		if tc.err != "" {
			if de, ok := err.(*DecodeError); !ok || de.Reason != tc.err {
				t.Errorf("CountPlaceholders(%s): %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("CountPlaceholders(%s) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
