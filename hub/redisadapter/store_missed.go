package redisadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/siogate/siogate/hub"
)

// missedPage is how many stream entries one XREVRANGE reads.
const missedPage = 500

// Missed implements hub.SessionStore: it reads the namespace's stream
// backwards, from its end to the entry of offset, and returns the entries
// after it that reach rooms, oldest first. hub.ErrOffsetUnknown when the
// offset is not in the stream (trimmed, or never written) or when a node's
// numbering skips a packet after it (a write that never reached Redis).
func (s *Store) Missed(ctx context.Context, nsp, offset string, rooms []string) ([]hub.StoredPacket, error) {
	uid, seq, ok := parseOffset(offset)
	if !ok {
		return nil, hub.ErrOffsetUnknown
	}
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	key := s.streamKey(nsp)
	var newer []redis.XMessage // newest first
	end := "+"
	for found := false; !found; {
		page, err := s.client.XRevRangeN(ctx, key, end, "-", missedPage).Result()
		if err != nil {
			return nil, fmt.Errorf("redisadapter: XREVRANGE %s: %w", key, err)
		}
		if len(page) == 0 {
			return nil, hub.ErrOffsetUnknown
		}
		for _, m := range page {
			if field(m, "o") == offset {
				found = true
				break
			}
			newer = append(newer, m)
		}
		if int64(len(newer)) > 2*s.opts.MaxLen+missedPage {
			// MAXLEN ~ keeps somewhat more than MaxLen; far more means the
			// stream is not ours to read.
			return nil, hub.ErrOffsetUnknown
		}
		end = "(" + page[len(page)-1].ID
	}

	last := map[string]uint64{uid: seq} // each node's number seen last
	var out []hub.StoredPacket
	for i := len(newer) - 1; i >= 0; i-- {
		p, err := decodeEntry(newer[i])
		if err != nil {
			return nil, fmt.Errorf("redisadapter: stream %s entry %s: %w", key, newer[i].ID, err)
		}
		u, n, ok := parseOffset(p.Offset)
		if !ok {
			return nil, fmt.Errorf("redisadapter: stream %s entry %s: bad offset %q", key, newer[i].ID, p.Offset)
		}
		if prev, seen := last[u]; seen && n != prev+1 {
			return nil, fmt.Errorf("%w: packets %d to %d of node %s were not recorded", hub.ErrOffsetUnknown, prev+1, n-1, u)
		}
		last[u] = n
		if p.Reaches(rooms) {
			out = append(out, p)
		}
	}
	return out, nil
}

// parseOffset splits "<node id>-<base 36 number>" (the id may hold '-').
func parseOffset(off string) (uid string, seq uint64, ok bool) {
	i := strings.LastIndexByte(off, '-')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(off[i+1:], 36, 64)
	return off[:i], seq, err == nil && seq > 0
}

func field(m redis.XMessage, name string) string {
	v, _ := m.Values[name].(string)
	return v
}

// encodeEntry returns the stream fields of p (see Store).
func encodeEntry(p *hub.StoredPacket) ([]any, error) {
	var args strings.Builder
	args.WriteByte('[')
	for i, a := range p.Args {
		if i > 0 {
			args.WriteByte(',')
		}
		if len(a) == 0 {
			args.WriteString("null")
		} else {
			args.Write(a)
		}
	}
	args.WriteByte(']')
	values := []any{"o", p.Offset, "e", p.Event, "a", args.String(), "t", strconv.FormatInt(p.Time.UnixMilli(), 10)}
	if len(p.Rooms) > 0 {
		b, err := json.Marshal(p.Rooms)
		if err != nil {
			return nil, err
		}
		values = append(values, "r", string(b))
	}
	if len(p.Except) > 0 {
		b, err := json.Marshal(p.Except)
		if err != nil {
			return nil, err
		}
		values = append(values, "x", string(b))
	}
	if len(p.Attachments) > 0 {
		values = append(values, "n", strconv.Itoa(len(p.Attachments)))
		for i, a := range p.Attachments {
			values = append(values, "b"+strconv.Itoa(i), a)
		}
	}
	return values, nil
}

// decodeEntry is encodeEntry's inverse.
func decodeEntry(m redis.XMessage) (hub.StoredPacket, error) {
	p := hub.StoredPacket{Offset: field(m, "o"), Event: field(m, "e")}
	var args []json.RawMessage
	if err := json.Unmarshal([]byte(field(m, "a")), &args); err != nil {
		return p, fmt.Errorf("arguments: %w", err)
	}
	p.Args = make([][]byte, len(args))
	for i, a := range args {
		p.Args[i] = a
	}
	for name, dst := range map[string]*[]string{"r": &p.Rooms, "x": &p.Except} {
		if v := field(m, name); v != "" {
			if err := json.Unmarshal([]byte(v), dst); err != nil {
				return p, fmt.Errorf("field %s: %w", name, err)
			}
		}
	}
	if v := field(m, "n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1<<16 {
			return p, fmt.Errorf("attachment count %q", v)
		}
		p.Attachments = make([][]byte, n)
		for i := range n {
			b, ok := m.Values["b"+strconv.Itoa(i)].(string)
			if !ok {
				return p, fmt.Errorf("attachment %d missing", i)
			}
			p.Attachments[i] = []byte(b)
		}
	}
	if ms, err := strconv.ParseInt(field(m, "t"), 10, 64); err == nil {
		p.Time = time.UnixMilli(ms)
	}
	if p.Offset == "" {
		return p, fmt.Errorf("no offset")
	}
	return p, nil
}
