package tiki

// WebhooksService registers the URLs to which TikiNOW delivers order status,
// stock and aftersale changes.
type WebhooksService service
