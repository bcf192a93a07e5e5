package hub

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWithAttachments(t *testing.T) {
	atts := [][]byte{{1, 2, 3}, []byte("hi"), {}}
	cases := []struct {
		name, in, want string
	}{
		{"bare", `{"_placeholder":true,"num":0}`, `"AQID"`},
		{"in an array", `[1,{"_placeholder":true,"num":1},"x"]`, `[1,"aGk=","x"]`},
		{"nested object", `{"a":{"b":[{"_placeholder":true,"num":0}]},"c":{"_placeholder":true,"num":1}}`, `{"a":{"b":["AQID"]},"c":"aGk="}`},
		{"empty attachment", `[{"_placeholder":true,"num":2}]`, `[""]`},
		{"same num twice", `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`, `["AQID","AQID"]`},
		{"other key order and spaces", `[{ "num" : 1 , "_placeholder" : true }]`, `["aGk="]`},
		{"extra keys", `[{"_placeholder":true,"num":1,"x":{}}]`, `["aGk="]`},
		{"placeholder false", `[{"_placeholder":false,"num":0}]`, `[{"_placeholder":false,"num":0}]`},
		{"num out of range", `[{"_placeholder":true,"num":3}]`, `[{"_placeholder":true,"num":3}]`},
		{"negative num", `[{"_placeholder":true,"num":-1}]`, `[{"_placeholder":true,"num":-1}]`},
		{"placeholder in a string", `["{\"_placeholder\":true,\"num\":0}"]`, `["{\"_placeholder\":true,\"num\":0}"]`},
		{"braces and escaped quotes in strings", `{"s":"a\"}{\\","p":{"_placeholder":true,"num":0},"t":"}"}`, `{"s":"a\"}{\\","p":"AQID","t":"}"}`},
		{"key with braces", `{"{\"":{"_placeholder":true,"num":1}}`, `{"{\"":"aGk="}`},
		{"object that is not a placeholder", `{"a":1,"b":{"c":"{"}}`, `{"a":1,"b":{"c":"{"}}`},
		{"scalar", `42`, `42`},
		{"truncated", `[{"_placeholder":true,"num":0}, {"a":`, `["AQID", {"a":`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			got := withAttachments(in, atts)
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if string(in) != tc.in {
				t.Fatalf("input modified: %s", in)
			}
		})
	}
	t.Run("no attachments", func(t *testing.T) {
		in := []byte(`{"_placeholder":true,"num":0}`)
		if got := withAttachments(in, nil); &got[0] != &in[0] {
			t.Fatal("want the input itself")
		}
	})
	t.Run("nothing replaced", func(t *testing.T) {
		in := []byte(`{"a":1}`)
		if got := withAttachments(in, atts); &got[0] != &in[0] {
			t.Fatal("want the input itself")
		}
	})
	t.Run("decodes into []byte", func(t *testing.T) {
		var v struct {
			P []byte
			L [][]byte
		}
		raw := []byte(`{"P":{"_placeholder":true,"num":1},"L":[{"_placeholder":true,"num":0}]}`)
		if err := json.Unmarshal(withAttachments(raw, atts), &v); err != nil {
			t.Fatal(err)
		}
		if string(v.P) != "hi" || len(v.L) != 1 || !bytes.Equal(v.L[0], atts[0]) {
			t.Fatalf("decoded %+v", v)
		}
	})
}

func TestEncodeArgs(t *testing.T) {
	type item struct {
		Name string `json:"name"`
		Blob []byte `json:"blob"`
	}
	cases := []struct {
		name string
		args []any
		raw  []string
		atts [][]byte
	}{
		{"none", nil, []string{}, nil},
		{"scalars", []any{"a", 1, true, 1.5}, []string{`"a"`, `1`, `true`, `1.5`}, nil},
		{"nil", []any{nil}, []string{`null`}, nil},
		{"bytes become attachments", []any{[]byte{1}, "x", []byte("yz")},
			[]string{`{"_placeholder":true,"num":0}`, `"x"`, `{"_placeholder":true,"num":1}`}, [][]byte{{1}, []byte("yz")}},
		{"empty bytes", []any{[]byte{}}, []string{`{"_placeholder":true,"num":0}`}, [][]byte{{}}},
		{"Raw verbatim", []any{Raw(`{"b":1, "a":2}`)}, []string{`{"b":1, "a":2}`}, nil},
		{"RawMessage verbatim", []any{json.RawMessage(`[ 1e3 ]`)}, []string{`[ 1e3 ]`}, nil},
		{"bytes nested in a struct are base64", []any{item{"n", []byte{1, 2, 3}}}, []string{`{"name":"n","blob":"AQID"}`}, nil},
		{"map", []any{map[string]int{"b": 2, "a": 1}}, []string{`{"a":1,"b":2}`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw, atts, err := encodeArgs(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range raw {
				got = append(got, string(r))
			}
			if strings.Join(got, " ") != strings.Join(tc.raw, " ") || len(got) != len(tc.raw) {
				t.Fatalf("raw %q, want %q", got, tc.raw)
			}
			if len(atts) != len(tc.atts) {
				t.Fatalf("%d attachments, want %d", len(atts), len(tc.atts))
			}
			for i := range atts {
				if !bytes.Equal(atts[i], tc.atts[i]) {
					t.Fatalf("attachment %d: %q, want %q", i, atts[i], tc.atts[i])
				}
			}
		})
	}
	t.Run("unencodable", func(t *testing.T) {
		_, _, err := encodeArgs([]any{1, make(chan int)})
		if err == nil || !strings.Contains(err.Error(), "hub: argument 1") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestRaw(t *testing.T) {
	if b, _ := Raw(nil).MarshalJSON(); string(b) != "null" {
		t.Fatalf("empty Raw marshals to %s", b)
	}
	b, err := json.Marshal(struct{ A Raw }{Raw(`{"x": [1]}`)})
	if err != nil || string(b) != `{"A":{"x":[1]}}` {
		t.Fatalf("%s %v", b, err)
	}
	var v struct{ X []int }
	if err := Raw(`{"X":[1,2]}`).Decode(&v); err != nil || len(v.X) != 2 {
		t.Fatalf("%v %v", v, err)
	}
	if Raw(`"s"`).String() != `"s"` {
		t.Fatal("String")
	}
}
