// Package dispatch holds the handler table shared by the SDK's webhook
// receivers (packages tikinow, ikitech and ginee): the handlers their
// registration methods (OnNewOrder, OnStock, ...) set, looked up by kind of
// delivery while requests are served.
//
// A [Table] maps each kind of delivery to its handler and is safe for
// concurrent use, so handlers can be registered while requests are served;
// [Adapt] turns a handler of one typed event into a handler of the
// receiver's event interface, so that each receiver registers its typed
// handlers through one generic path.
package dispatch
