package web

import (
	"sync"
	"time"
)

// limiters are per-client token buckets, one set per name ("login",
// "public-report"). They live in memory: each instance limits on its own,
// which bounds an attacker to (instances × limit), enough against guessing
// and floods; account lock-out, which lives in the database, does the rest.
type limiters struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiters(now func() time.Time) *limiters {
	return &limiters{now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from the bucket of (name, client), which holds
// perMinute tokens and refills at perMinute a minute. When empty it says
// how long until the next token.
func (l *limiters) allow(name, client string, perMinute int) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.sweep) > time.Minute {
		// Forget clients whose buckets have long been full again.
		for k, b := range l.buckets {
			if now.Sub(b.last) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	key := name + "\x00" + client
	rate := float64(perMinute) / 60
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(perMinute), last: now}
		l.buckets[key] = b
	}
	b.tokens = min(float64(perMinute), b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / rate * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}
