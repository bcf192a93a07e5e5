package sioload

// Command is one line of bench/cmd/sioload's standard input: what a
// driver (bench/cmd/siobench) asks a load process to do. Cmd names the
// command; the other fields are its arguments.
type Command struct {
	Cmd         string  `json:"cmd"`
	Count       int     `json:"count,omitempty"`
	Size        int     `json:"size,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	DurationMS  int64   `json:"duration_ms,omitempty"`
	DrainMS     int64   `json:"drain_ms,omitempty"`
	Kind        string  `json:"kind,omitempty"`
	Rooms       int     `json:"rooms,omitempty"`
	RoomSize    int     `json:"room_size,omitempty"`
	Total       int     `json:"total,omitempty"`
	Base        int     `json:"base,omitempty"`
	Share       float64 `json:"share,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	Keep        bool    `json:"keep,omitempty"`
}

// Reply is one line of bench/cmd/sioload's standard output: an event (Ev)
// and what it carries.
type Reply struct {
	Ev     string       `json:"ev"`
	Result *Result      `json:"result,omitempty"`
	Stats  *Stats       `json:"stats,omitempty"`
	Churn  *ChurnResult `json:"churn,omitempty"`
	IDs    []uint64     `json:"ids,omitempty"`
	ID     *uint64      `json:"id,omitempty"`
	Held   *int         `json:"held,omitempty"`
	Count  *int         `json:"count,omitempty"`
	Error  string       `json:"error,omitempty"`
}
