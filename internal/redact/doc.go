// Package redact removes credentials from text that leaves the SDK: log
// lines, error strings and URLs.
//
// A [Redactor] holds the secrets of one client (its client secret, seller
// key, access and refresh tokens, webhook secret keys) and replaces each of
// them by [Mask], in every form an endpoint may echo it ([Encodings]: raw,
// URL-encoded, JSON-escaped, Go-quoted; and inside a Basic Authorization
// value). [Header] copies HTTP headers with the sensitive ones masked,
// and [IsSensitive] says which header and parameter names hold credentials.
package redact
