package redisstore

import "time"

// SetDeliveredClock sets the clock a DeliveredStore dates its deliveries
// and failures with, for the tests of the store's contract. Call it before
// the store is used.
func SetDeliveredClock(s *DeliveredStore, now func() time.Time) { s.now = now }
