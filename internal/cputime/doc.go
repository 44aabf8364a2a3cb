// Package cputime reads the CPU time the process has used, for the SDK's
// benchmarks and timing evidence (the root package's decoding and bulk
// benchmarks, the reconcile engine's audit evidence). On a shared machine
// CPU time moves far less with other processes' load than wall time, so
// they report it beside wall time.
//
// Process reads it from getrusage on Unix systems (user and system time of
// the whole process); elsewhere it returns 0, and the figures built on it
// read as not measured.
package cputime
