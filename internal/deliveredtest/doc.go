// Package deliveredtest is the contract test of reconcile.DeliveredStore:
// every implementation (the memory and file stores of package reconcile,
// the Redis one of the redisstore module) runs the same cases with Run,
// given an Opener that makes an empty store with a retention and a Clock.
// The cases cover the latest delivery of each order (newer wins, ties, the
// canonical status), the checkpoint, failures until a delivery at least as
// new settles them, retention, concurrent marks and bad input (Key and
// RequireProblems help a store's own tests).
package deliveredtest
