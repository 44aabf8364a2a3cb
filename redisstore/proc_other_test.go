//go:build !linux

package redisstore_test

import "syscall"

// childProcAttr is the default elsewhere: a test process that is killed
// may leave its redis-server running.
func childProcAttr() *syscall.SysProcAttr { return nil }
