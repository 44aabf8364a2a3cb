package redisstore_test

import "syscall"

// childProcAttr makes a redis-server started by the tests die with the
// test process, even when it is killed (a timeout, a crash).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
