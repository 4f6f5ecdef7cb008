package cases

import "sync"

// calendarCache holds the holiday calendar, read from the holidays table.
type calendarCache struct {
	mu sync.Mutex
}
