package middleware

import (
	"net/http"
	"strings"
	"testing"
	"unicode"

	"listo/httpx"
)

// FuzzAccessToken: whatever the Authorization and Cookie headers, the
// token parser never panics; a present Authorization header is the only
// source, and yields a token only for the Bearer scheme (any case) followed
// by a space, with the token taken from after it and trimmed; without one,
// only a non-empty listo_access cookie yields a token, its value as sent.
func FuzzAccessToken(f *testing.F) {
	f.Fuzz(func(t *testing.T, authorization, cookie string) {
		r := &http.Request{Method: http.MethodGet, Header: http.Header{}}
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		token, fromCookie, err := accessToken(r)
		if err != nil {
			if token != "" || fromCookie {
				t.Fatalf("accessToken(%q, %q) = %q, %t with error %v", authorization, cookie, token, fromCookie, err)
			}
			return
		}
		if authorization == "" {
			ck, cerr := r.Cookie(httpx.AccessCookie)
			if !fromCookie || cerr != nil || token != ck.Value || token == "" {
				t.Fatalf("accessToken(no header, %q) = %q, %t; want the non-empty %s cookie", cookie, token, fromCookie, httpx.AccessCookie)
			}
			return
		}
		if token == "" {
			t.Fatalf("accessToken(%q, _) = \"\" with no error", authorization)
		}
		if fromCookie {
			t.Fatalf("accessToken(%q, %q) took the cookie though an Authorization header was sent", authorization, cookie)
		}
		if len(authorization) < len("Bearer ") || !strings.EqualFold(authorization[:6], "Bearer") || authorization[6] != ' ' {
			t.Fatalf("accessToken(%q, _) = %q from a header that is not Bearer", authorization, token)
		}
		if token != strings.TrimFunc(token, unicode.IsSpace) || !strings.Contains(authorization[7:], token) {
			t.Fatalf("accessToken(%q, _) = %q; want the header's credentials, trimmed", authorization, token)
		}
	})
}
