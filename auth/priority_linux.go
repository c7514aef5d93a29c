package auth

import "golang.org/x/sys/unix"

// workerNice is the nice value of bcrypt worker threads: a weight about a
// tenth of a normal thread's, so request handling wins a contended core
// while a login flood still progresses.
const workerNice = 10

// lowerThreadPriority lowers the calling OS thread's priority. On Linux
// PRIO_PROCESS with a thread id applies to that thread alone; lowering
// needs no privilege. A failure only loses the preference.
func lowerThreadPriority() {
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), workerNice)
}
