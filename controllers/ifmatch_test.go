package controllers

import (
	"net/http"
	"testing"
)

// If-Match compares entity tags strongly, as written: "07" names no
// version Listo issued (it issues "7"), so it allows none.
func TestIfMatchComparesTagsAsWritten(t *testing.T) {
	for _, tc := range []struct {
		header  string
		version int
		allowed bool
	}{
		{`"7"`, 7, true},
		{`"07"`, 7, false},
		{`"+7"`, 7, false},
		{`W/"7"`, 7, false},
		{`"3", "7"`, 7, true},
	} {
		r := &http.Request{Header: http.Header{"If-Match": {tc.header}}}
		if got := ifMatch(r).Allows(tc.version); got != tc.allowed {
			t.Errorf("If-Match %s allows version %d = %v; want %v", tc.header, tc.version, got, tc.allowed)
		}
	}
}
