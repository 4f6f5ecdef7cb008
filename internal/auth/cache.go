package auth

import (
	"sync"
	"time"
)

// principalCache remembers, for a few seconds, which session or token
// belongs to whom, so that a busy API client does not cost a database query
// per request. A logout or change on this instance clears it at once;
// another instance learns within the cache's lifetime (cacheTTL), which is
// documented in docs/security.md.
type principalCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	p     Principal
	until time.Time
}

const (
	cacheTTL     = 5 * time.Second
	cacheEntries = 20000
)

func (c *principalCache) get(key string, now time.Time) (*Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.until) {
		return nil, false
	}
	p := e.p // a copy: callers may not change the cached one
	return &p, true
}

func (c *principalCache) put(key string, p *Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= cacheEntries {
		c.entries = make(map[string]cacheEntry, 256)
	}
	c.entries[key] = cacheEntry{p: *p, until: now.Add(cacheTTL)}
}

// forget drops every entry (after a logout, a password or role change):
// rare events, so clearing all is simpler than tracking who is where.
func (c *principalCache) forget() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}
