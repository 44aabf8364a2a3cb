package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/tikisdk/tiki/reconcile"
)

// planTTL is how long a stock plan of push_stock can be applied.
const planTTL = 15 * time.Minute

// maxPlans bounds the plans kept at once.
const maxPlans = 32

// planStore keeps the stock plans push_stock made, until applied once or
// expired.
type planStore struct {
	mu    sync.Mutex
	plans map[string]*storedPlan
}

// storedPlan is a plan, the engine that made it and what releases it.
type storedPlan struct {
	plan   *reconcile.Plan
	engine *reconcile.Engine
	done   func()
	made   time.Time
}

func newPlanStore() *planStore { return &planStore{plans: map[string]*storedPlan{}} }

// put keeps a plan and returns its id, dropping expired plans and, past
// maxPlans, the oldest.
func (s *planStore) put(plan *reconcile.Plan, eng *reconcile.Engine, done func(), now time.Time) string {
	var raw [12]byte
	_, _ = rand.Read(raw[:])
	id := "plan-" + hex.EncodeToString(raw[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	var oldest string
	for k, p := range s.plans {
		if now.Sub(p.made) > planTTL {
			p.done()
			delete(s.plans, k)
			continue
		}
		if oldest == "" || p.made.Before(s.plans[oldest].made) {
			oldest = k
		}
	}
	if len(s.plans) >= maxPlans && oldest != "" {
		s.plans[oldest].done()
		delete(s.plans, oldest)
	}
	s.plans[id] = &storedPlan{plan: plan, engine: eng, done: done, made: now}
	return id
}

// take returns a plan to apply, once.
func (s *planStore) take(id string, now time.Time) (*storedPlan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.plans[id]
	if p == nil {
		return nil, fmt.Errorf("tiki: no plan %q: it was applied already, or never made: call push_stock with the books to plan again", id)
	}
	delete(s.plans, id)
	if now.Sub(p.made) > planTTL {
		p.done()
		return nil, fmt.Errorf("tiki: plan %q is older than %s and Tiki may have changed since: call push_stock with the books to plan again", id, planTTL)
	}
	return p, nil
}
