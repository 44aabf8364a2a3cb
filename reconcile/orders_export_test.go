package reconcile

import "time"

// SetDeliveredClock sets the clock that a memory or file store dates its
// keys with, for the tests of retention.
func SetDeliveredClock(s DeliveredStore, now func() time.Time) {
	switch s := s.(type) {
	case *MemoryDeliveredStore:
		s.set.mu.Lock()
		defer s.set.mu.Unlock()
		s.set.now = now
	case *FileDeliveredStore:
		s.set.mu.Lock()
		defer s.set.mu.Unlock()
		s.set.now = now
	default:
		panic("not a store of this package")
	}
}

// DeliveredMinCompact is the fewest lines a file store rewrites.
const DeliveredMinCompact = deliveredMinCompact
