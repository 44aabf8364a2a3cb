package tikitest

import (
	"slices"
	"time"

	"github.com/tikisdk/tiki"
)

// OrderChange is a change of an order of Tiki's current order API (v2)
// that Tiki notifies: an order placed (the event queue's
// ORDER_CREATED_SUCCESSFULLY) or moved to another status
// (ORDER_STATUS_UPDATED), each also sent as a TikiNOW order webhook when
// one is registered.
type OrderChange struct {
	// Code is the order's code.
	Code string
	// Status is the order's status after the change.
	Status tiki.OrderStatus
	// Created is true for a new order, false for a status change.
	Created bool
	// At is when the change happened on the fake's clock, to the second:
	// the order's updated_at after it.
	At time.Time
}

// lostOrderState is the fake's loss of order notifications; its fields
// are guarded by Server.mu.
type lostOrderState struct {
	lose func(OrderChange) bool
	lost []OrderChange
}

// LoseOrderNotifications makes the fake lose the notifications of the
// order changes (of Tiki's current order API, v2) for which lose returns
// true, as a queue or a webhook sender that drops messages would: the
// order changes as usual (the order list, Get and the fake's Go API show
// it), but neither its event-queue event nor its TikiNOW order webhook is
// sent. It is how a test makes events go missing to prove that a backfill
// over the order list finds every order anyway. nil stops losing
// notifications.
//
// lose is called once per change, in the order the changes happen, with
// the fake's lock held: it must not call the Server's methods. A
// deterministic choice (a rand.Rand with a fixed seed, a list of codes)
// keeps the test repeatable.
func (s *Server) LoseOrderNotifications(lose func(OrderChange) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.lostOrders.lose = lose
}

// LostOrderNotifications returns the order changes whose notifications
// the fake lost (see LoseOrderNotifications), oldest first.
func (s *Server) LostOrderNotifications() []OrderChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.state.lostOrders.lost)
}

// loseOrderChange reports whether the notifications of the change of o
// that just happened at are lost, and records a lost one. s.mu must be
// held.
func (s *Server) loseOrderChange(at time.Time, o *v2Order, created bool) bool {
	st := &s.state.lostOrders
	if st.lose == nil {
		return false
	}
	c := OrderChange{Code: o.code, Status: tiki.OrderStatus(o.status), Created: created, At: at.Truncate(time.Second)}
	if !st.lose(c) {
		return false
	}
	st.lost = append(st.lost, c)
	return true
}
