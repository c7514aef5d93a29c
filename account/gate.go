package account

import (
	"sync"
)

// oneAtATime admits one operation per key at a time: a person's password
// checks run one after another, so one stolen session cannot occupy the
// whole bcrypt pool and starve everyone else's logins.
type oneAtATime struct {
	mu   sync.Mutex
	busy map[string]bool
}

func newOneAtATime() *oneAtATime { return &oneAtATime{busy: map[string]bool{}} }

// enter claims key; it reports false when key is already in, and then the
// caller must not call leave.
func (g *oneAtATime) enter(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.busy[key] {
		return false
	}
	g.busy[key] = true
	return true
}

func (g *oneAtATime) leave(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.busy, key)
}
