package tiki

// TrackingService follows product requests through Tiki's approval
// (queuing, processing, awaiting approval, approved or rejected).
type TrackingService service
