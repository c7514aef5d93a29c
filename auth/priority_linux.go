package auth

import "golang.org/x/sys/unix"

// lowerThreadPriority moves the calling OS thread to Linux's SCHED_IDLE
// policy: it runs only on CPU time that no normal thread wants, and a
// waking request handler preempts it at once. (Nice 19 still takes a slice
// of a contended core; measured, it let a login flood double read tails.)
// Entering SCHED_IDLE needs no privilege; a failure only loses the
// preference.
func lowerThreadPriority() {
	tid := unix.Gettid()
	if err := unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0); err != nil {
		_ = unix.Setpriority(unix.PRIO_PROCESS, tid, 19)
	}
}
