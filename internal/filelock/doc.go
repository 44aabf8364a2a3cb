// Package filelock takes exclusive locks on open files that other processes
// of the machine respect: flock(2) on Unix, LockFileEx on Windows. A lock
// belongs to the open file: closing the file, or the end of the process
// that opened it (a crash, a kill), releases it. Two opens of one file, in
// one process or in two, exclude each other.
package filelock
