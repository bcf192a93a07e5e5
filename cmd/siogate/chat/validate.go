package chat

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFileName bounds an attachment's file name, in characters.
const maxFileName = 100

// checkName checks a nickname or room name (what says which) and returns
// it without surrounding spaces: 1 to MaxNameLen letters, digits, marks,
// spaces and - _ . '
func (c *Chat) checkName(what, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("%s is missing", what)
	}
	if n := utf8.RuneCountInString(v); n > c.o.MaxNameLen {
		return "", fmt.Errorf("%s is too long (%d characters; at most %d)", what, n, c.o.MaxNameLen)
	}
	for _, r := range v {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) && !strings.ContainsRune(" -_.'", r) {
			return "", fmt.Errorf("%s %q: use letters, digits, spaces and - _ . ' only", what, v)
		}
	}
	return v, nil
}

// checkText checks a message's text and returns it without surrounding
// white space: at most MaxMessageLen characters, no control characters but
// newlines and tabs.
func (c *Chat) checkText(v string) (string, error) {
	v = strings.TrimSpace(v)
	if n := utf8.RuneCountInString(v); n > c.o.MaxMessageLen {
		return "", fmt.Errorf("text is too long (%d characters; at most %d)", n, c.o.MaxMessageLen)
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", fmt.Errorf("text holds the control character %U", r)
		}
	}
	return v, nil
}

// mediaType is an attachment type the chat accepts.
type mediaType struct {
	kind    string // "image" or "voice clip", for error messages
	sniffed string // what http.DetectContentType must find in the bytes
}

// mediaTypes are the accepted attachment types: images the browser shows,
// and what MediaRecorder records (WebM/Opus in Chrome and Firefox, MP4 in
// Safari) or an Ogg file.
var mediaTypes = map[string]mediaType{
	"image/png":  {"image", "image/png"},
	"image/jpeg": {"image", "image/jpeg"},
	"image/gif":  {"image", "image/gif"},
	"image/webp": {"image", "image/webp"},
	"audio/webm": {"voice clip", "video/webm"}, // the WebM container, audio only or not
	"audio/ogg":  {"voice clip", "application/ogg"},
	"audio/mp4":  {"voice clip", "video/mp4"},
}

const acceptedTypes = "image/png, image/jpeg, image/gif, image/webp, audio/webm, audio/ogg, audio/mp4"

// checkFile checks an attachment: its description (file) and its bytes
// (the event's binary attachments, of which there must be exactly one).
// It returns the description to send and a copy of the bytes.
func (c *Chat) checkFile(meta *fileMeta, atts [][]byte) (*File, []byte, error) {
	switch {
	case meta == nil && len(atts) == 0:
		return nil, nil, nil
	case meta == nil:
		return nil, nil, errors.New(`binary data without a description: send {"file": {"type": "image/png", "name": "cat.png"}, "data": <bytes>}`)
	case len(atts) != 1:
		return nil, nil, fmt.Errorf("file needs exactly one binary attachment (data), got %d", len(atts))
	}
	data := atts[0]
	typ, _, err := mime.ParseMediaType(meta.Type)
	if err != nil {
		return nil, nil, fmt.Errorf("file.type %q is not a media type", clip(meta.Type, 64))
	}
	mt, ok := mediaTypes[typ]
	if !ok {
		return nil, nil, fmt.Errorf("file.type %q is not accepted (accepted: %s)", clip(typ, 64), acceptedTypes)
	}
	switch {
	case len(data) == 0:
		return nil, nil, fmt.Errorf("the %s is empty", mt.kind)
	case len(data) > c.o.MaxAttachment:
		return nil, nil, fmt.Errorf("the %s is too large (%s; the limit is %s)", mt.kind, byteSize(len(data)), byteSize(c.o.MaxAttachment))
	}
	if got := http.DetectContentType(data); got != mt.sniffed {
		return nil, nil, fmt.Errorf("the bytes are not %s (they look like %s)", typ, got)
	}
	name := strings.TrimSpace(meta.Name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if n := utf8.RuneCountInString(name); n > maxFileName {
		return nil, nil, fmt.Errorf("file.name is too long (%d characters; at most %d)", n, maxFileName)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return nil, nil, errors.New("file.name holds control characters")
	}
	return &File{Name: name, Type: typ, Size: len(data)}, bytes.Clone(data), nil
}

// byteSize writes n bytes for people: 900 B, 12.5 KiB, 1.2 MiB.
func byteSize(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// clip shortens s to at most n bytes (on a character boundary) for an
// error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
