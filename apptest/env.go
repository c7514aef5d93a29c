package apptest

import "os"

// lookupEnv is the one place the test harness reads the process
// environment (for LISTO_TEST_MONGODB_URI).
func lookupEnv(k string) string { return os.Getenv(k) }
