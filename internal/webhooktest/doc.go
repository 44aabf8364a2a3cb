// Package webhooktest holds what the tests of the SDK's webhook receivers
// (packages tikinow, ikitech and ginee) share:
// reading fixtures, seeding fuzz corpora, recording events, errors and
// dedupe store calls, and [Run], the tests every receiver must pass.
//
// A [Receiver] describes a receiver under test (how to build it, make an
// authenticated request, register every handler); [Run] checks on it that
// the options of package webhook apply and that the request pipeline
// behaves as documented, and [CheckDelivery] checks one delivery. [Recorder], [Errors],
// [RecordingStore] and [StubStore] record what a receiver did; [ReadFile],
// [Member], [Pad] and [Seed] prepare bodies and corpora.
package webhooktest
