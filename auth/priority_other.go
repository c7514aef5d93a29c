//go:build !linux

package auth

// lowerThreadPriority is a no-op where per-thread priorities are not
// portable; the worker pool still bounds bcrypt's concurrency.
func lowerThreadPriority() {}
