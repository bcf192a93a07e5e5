package sio

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func TestSplitEvent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		name string
		args []string
	}{
		{`["message",1,"2",{"3":[true]}]`, "message", []string{`1`, `"2"`, `{"3":[true]}`}},
		{`["ping"]`, "ping", nil},
		{` [ "a b" , [ 1 , 2 ] ,null ] `, "a b", []string{`[ 1 , 2 ]`, `null`}},
		{`["a\"b\\c\n\u00e9\ud83d\ude00"]`, "a\"b\\c\n\u00e9\U0001F600", nil},
		{`["\ud800x"]`, "\uFFFDx", nil},                     // lone surrogate, as encoding/json
		{`["\udc00\ud800\udc00"]`, "\uFFFD\U00010000", nil}, // lone low, then a pair
		{`["\ud800\u0041"]`, "\uFFFDA", nil},
		{`["",{}]`, "", []string{`{}`}},
		{`["connect"]`, "connect", nil}, // reserved names are Decode's business
		{`["x",1,2,3,4,5,6,7,8,9,10]`, "x", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
	} {
		name, args, err := SplitEvent([]byte(tc.in))
		if err != nil {
			t.Errorf("SplitEvent(%s): %v", tc.in, err)
			continue
		}
		if name != tc.name || !slices.Equal(strs(args), tc.args) {
			t.Errorf("SplitEvent(%s) = %q, %q; want %q, %q", tc.in, name, strs(args), tc.name, tc.args)
		}
		if tc.args == nil && args != nil {
			t.Errorf("SplitEvent(%s): args = %#v, want nil", tc.in, args)
		}
		if got, err := EventName([]byte(tc.in)); got != tc.name || err != nil {
			t.Errorf("EventName(%s) = %q, %v; want %q", tc.in, got, err, tc.name)
		}
		var want string // the name as encoding/json decodes it
		var all []json.RawMessage
		if err := json.Unmarshal([]byte(tc.in), &all); err != nil || json.Unmarshal(all[0], &want) != nil || want != name {
			t.Errorf("SplitEvent(%s) name %q, encoding/json %q", tc.in, name, want)
		}
	}
}

func TestSplitEventInvalid(t *testing.T) {
	for in, want := range map[string]invalidCase{
		``:                 {0, reasonJSONEnd},
		`  `:               {2, reasonJSONEnd},
		`{}`:               {0, reasonNotArray},
		`[`:                {1, reasonJSONEnd},
		`[]`:               {1, reasonEmptyEvent},
		`[1]`:              {1, reasonEventName},
		`["x`:              {3, reasonJSONString},
		`["x"`:             {4, reasonJSONEnd},
		`["x",]`:           {5, reasonJSONChar},
		`["x",1 2]`:        {7, reasonJSONArrayEnd},
		`["x"]]`:           {5, reasonJSONTrailing},
		`["x",[1,]]`:       {8, reasonJSONChar},
		"[\"x\",\"\xff\"]": {6, reasonJSONUTF8},
	} {
		_, _, err := SplitEvent([]byte(in))
		var de *DecodeError
		if !errors.As(err, &de) || de.Offset != want.off || de.Reason != want.reason {
			t.Errorf("SplitEvent(%q): %v; want %q at %d", in, err, want.reason, want.off)
		}
	}
}

func TestSplitArray(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: `[]`},
		{in: ` [ ] `},
		{in: `[1]`, want: []string{"1"}},
		{in: `[1,"2",{"3":[false]}]`, want: []string{`1`, `"2"`, `{"3":[false]}`}},
		{in: "[\n{\"a\" : 1}\t,\r[]\n]\n", want: []string{`{"a" : 1}`, `[]`}},
		{in: `[1,2,3,4,5,6,7,8,9,10]`, want: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
		{in: ``, err: reasonJSONEnd},
		{in: `{}`, err: reasonNotArray},
		{in: `[] 1`, err: reasonJSONTrailing},
		{in: `[1,]`, err: reasonJSONChar},
		{in: `[1`, err: reasonJSONEnd},
		{in: `[,1]`, err: reasonJSONChar},
	} {
		got, err := SplitArray([]byte(tc.in))
		if tc.err != "" {
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason != tc.err {
				t.Errorf("SplitArray(%q): %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(strs(got), tc.want) || (tc.want == nil) != (got == nil) {
			t.Errorf("SplitArray(%q) = %q, %v; want %q", tc.in, strs(got), err, tc.want)
		}
	}
}

func TestSplitAllocs(t *testing.T) {
	data := []byte(`["message",1,"2",{"3":[true]}]`)
	// The name and the args slice.
	if n := testing.AllocsPerRun(100, func() { SplitEvent(data) }); n != 2 {
		t.Errorf("SplitEvent: %v allocs, want 2", n)
	}
	if n := testing.AllocsPerRun(100, func() { EventName(data) }); n != 1 {
		t.Errorf("EventName: %v allocs, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { SplitArray(data) }); n != 1 {
		t.Errorf("SplitArray: %v allocs, want 1", n)
	}
}

func strs(bs [][]byte) []string {
	var s []string
	for _, b := range bs {
		s = append(s, string(b))
	}
	return s
}
