package tiki

// EventQueueService manages Tiki's event queues: queues, subscriptions and
// pulling events.
type EventQueueService service
