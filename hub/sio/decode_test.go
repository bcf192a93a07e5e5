package sio

import (
	"errors"
	"strings"
	"testing"
)

// invalidCase is what Decode must report for a line of testdata/invalid.txt;
// offsets are into the Socket.IO packet (the frame without its "4").
type invalidCase struct {
	off    int
	reason string
}

var invalidCases = map[string]invalidCase{
	"empty":                     {0, reasonEmptyPacket},
	"type-letter":               {0, reasonBadType},
	"type-7":                    {0, reasonBadType},
	"connect-error-garbage":     {1, reasonJSONChar},
	"event-object":              {1, reasonNotArray},
	"event-garbage-id":          {1, reasonJSONChar},
	"event-reserved-connect":    {2, reasonReservedEvent},
	"event-reserved-error":      {2, reasonReservedEvent},
	"event-reserved-disconnect": {2, reasonReservedEvent},
	"event-reserved-ing":        {2, reasonReservedEvent},
	"event-reserved-new":        {2, reasonReservedEvent},
	"event-reserved-remove":     {2, reasonReservedEvent},
	"event-reserved-escaped":    {2, reasonReservedEvent},
	"event-empty":               {2, reasonEmptyEvent},
	"event-number-name":         {2, reasonEventName},
	"event-no-data":             {1, reasonMissingData},
	"event-nsp-no-data":         {7, reasonMissingData},
	"event-trailing":            {6, reasonJSONTrailing},
	"event-two-values":          {7, reasonJSONTrailing},
	"binary-no-count":           {1, reasonNoAttachCount},
	"binary-no-dash":            {2, reasonAttachDash},
	"binary-sign":               {1, reasonNoAttachCount},
	"binary-too-many":           {1, reasonTooManyAttach},
	"binary-count-overflow":     {1, reasonAttachRange},
	"binary-placeholder-over":   {8, reasonPlaceholderOver},
	"binary-placeholder-neg":    {8, reasonPlaceholderNum},
	"binary-placeholder-str":    {8, reasonPlaceholderNum},
	"binary-placeholder-float":  {8, reasonPlaceholderNum},
	"binary-placeholder-none":   {8, reasonPlaceholderNum},
	"binary-ack-no-id":          {3, reasonMissingID},
	"ack-no-id":                 {1, reasonMissingID},
	"ack-object":                {2, reasonNotArray},
	"ack-no-data":               {2, reasonMissingData},
	"ack-id-overflow":           {1, reasonIDRange},
	"ack-id-huge":               {1, reasonIDRange},
	"connect-array":             {1, reasonConnectData},
	"connect-string":            {1, reasonConnectData},
	"connect-id":                {1, reasonIDNotAllowed},
	"connect-nsp-data-no-comma": {8, reasonBadNamespace},
	"event-nsp-no-comma":        {6, reasonBadNamespace},
	"nsp-quote":                 {3, reasonBadNamespace},
	"nsp-control":               {3, reasonBadNamespace},
	"nsp-bad-utf8":              {2, reasonBadNamespace},
	"disconnect-data":           {1, reasonUnexpectedData},
	"disconnect-nsp-data":       {9, reasonUnexpectedData},
	"disconnect-id":             {1, reasonIDNotAllowed},
	"connect-error-array":       {1, reasonErrorData},
	"connect-error-no-data":     {1, reasonMissingData},
	"json-trailing-comma":       {6, reasonJSONChar},
	"json-missing-comma":        {6, reasonJSONArrayEnd},
	"json-leading-zero":         {7, reasonJSONArrayEnd},
	"json-bare-dot":             {8, reasonJSONNumber},
	"json-bare-exponent":        {8, reasonJSONNumber},
	"json-minus":                {7, reasonJSONNumber},
	"json-plus":                 {6, reasonJSONChar},
	"json-literal":              {9, reasonJSONChar},
	"json-literal-case":         {6, reasonJSONChar},
	"json-escape":               {5, reasonJSONEscape},
	"json-short-unicode":        {8, reasonJSONEscape},
	"json-control":              {4, reasonJSONControl},
	"json-newline-in-string":    {4, reasonJSONControl},
	"json-bad-utf8":             {4, reasonJSONUTF8},
	"json-surrogate-utf8":       {4, reasonJSONUTF8},
	"json-unterminated":         {4, reasonJSONString},
	"json-unclosed-array":       {7, reasonJSONEnd},
	"json-object-colon":         {11, reasonJSONColon},
	"json-object-key":           {7, reasonJSONKey},
	"json-object-comma":         {13, reasonJSONKey},
	"json-object-end":           {12, reasonJSONObjectEnd},
	"json-single-quote":         {2, reasonJSONChar},
	"json-nan":                  {6, reasonJSONChar},
}

func TestDecodeInvalid(t *testing.T) {
	wires := wireMap(t, "invalid.txt", invalidCases)
	for name, want := range invalidCases {
		t.Run(name, func(t *testing.T) {
			in := wires[name].packet()
			p, err := Decode(in, 10)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode(%q) = %+v, %v; want a *DecodeError", in, p, err)
			}
			if de.Offset != want.off || de.Reason != want.reason {
				t.Errorf("Decode(%q): %v; want %q at offset %d", in, err, want.reason, want.off)
			}
			if !strings.HasPrefix(err.Error(), "sio: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestDecodeMaxAttachments(t *testing.T) {
	in := []byte(`53-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]`)
	for _, tc := range []struct {
		max int
		ok  bool
	}{{0, true}, {-1, true}, {3, true}, {4, true}, {2, false}, {1, false}} {
		_, err := Decode(in, tc.max)
		if (err == nil) != tc.ok {
			t.Errorf("maxAttachments %d: err = %v, want ok=%v", tc.max, err, tc.ok)
		}
	}
	// Without a limit the count is still bounded.
	if _, err := Decode([]byte(`52147483648-["x"]`), 0); err == nil {
		t.Error("attachment count 2^31 accepted")
	}
	if p, err := Decode([]byte(`52147483647-["x"]`), 0); err != nil || p.Attachments != 1<<31-1 {
		t.Errorf("attachment count 2^31-1: %+v, %v", p, err)
	}
}

func TestDecodeDepth(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(`2["x",` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `]`)
	}
	if _, err := Decode(deep(maxDepth), 0); err != nil {
		t.Errorf("depth %d: %v", maxDepth, err)
	}
	_, err := Decode(deep(maxDepth+1), 0)
	var de *DecodeError
	if !errors.As(err, &de) || de.Reason != reasonJSONDepth {
		t.Errorf("depth %d: %v, want %q", maxDepth+1, err, reasonJSONDepth)
	}
}

// Decode must not allocate for the main namespace, and only the namespace
// string otherwise.
func TestDecodeAllocs(t *testing.T) {
	for in, want := range map[string]float64{
		`2["message",1,"2",{"3":[true]}]`:                                      0,
		`2456["message-with-ack",1,"2",{"3":[false]}]`:                         0,
		`2/custom,["auth",{}]`:                                                 1,
		`52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`: 0,
		`0{"token":"123"}`:                                                     0,
		`2["\u0064isconnect"]`:                                                 1, // the error
	} {
		b := []byte(in)
		if got := testing.AllocsPerRun(100, func() { Decode(b, 10) }); got != want {
			t.Errorf("Decode(%s): %v allocs, want %v", in, got, want)
		}
	}
}
