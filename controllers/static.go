package controllers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
)

// ContentSecurityPolicy is sent with every HTML page: the SPA loads nothing
// from any other origin and runs no inline script or style. Images may
// also be data: URLs (the TOTP setup's QR code, which the API answers as
// one).
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Static serves the embedded SPA. Every asset is reachable under
// /assets/<build>/..., where <build> is a hash of the whole dist tree, and
// the HTML pages refer to that path: those URLs change whenever any file
// changes, so they are cached for a year, while the HTML itself is
// revalidated on every load.
type Static struct {
	build    string
	files    map[string]asset // by path below the root: "index.html", "assets/app.css"
	notFound asset
}

// NewStatic reads the SPA from files.
func NewStatic(files fs.FS) (*Static, error) {
	raw := map[string][]byte{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(files, p)
		raw[p] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	names := make([]string, 0, len(raw))
	for p := range raw {
		names = append(names, p)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, p := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(raw[p]))
		h.Write(raw[p])
	}
	s := &Static{build: hex.EncodeToString(h.Sum(nil))[:12], files: map[string]asset{}}
	for p, b := range raw {
		if strings.HasSuffix(p, ".html") {
			b = bytes.ReplaceAll(b, []byte(`"/assets/`), []byte(`"/assets/`+s.build+`/`))
		}
		sum := sha256.Sum256(b)
		s.files[p] = asset{body: b, contentType: contentType(p), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	if _, ok := s.files["index.html"]; !ok {
		return nil, fmt.Errorf("static: index.html is missing")
	}
	s.notFound = s.files["404.html"]
	return s, nil
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".webmanifest":
		return "application/json"
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Build is the hash that versions the asset URLs.
func (s *Static) Build() string { return s.build }

// Index handles GET / (and /index.html).
func (s *Static) Index(c *gin.Context) {
	s.serve(c, s.files["index.html"], http.StatusOK, "no-cache")
}

// Asset handles GET /assets/*path: a versioned path is cached for a year,
// an unversioned one is revalidated.
func (s *Static) Asset(c *gin.Context) bool {
	p := strings.TrimPrefix(c.Param("path"), "/")
	cache := "no-cache"
	if rest, ok := strings.CutPrefix(p, s.build+"/"); ok {
		p, cache = rest, "public, max-age=31536000, immutable"
	} else if i := strings.IndexByte(p, '/'); i == len(s.build) && isHex(p[:i]) {
		// An older build's URL: serve today's file, but don't cache it long.
		p = p[i+1:]
	}
	a, ok := s.files["assets/"+p]
	if !ok {
		return false
	}
	s.serve(c, a, http.StatusOK, cache)
	return true
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// NotFoundPage writes dist/404.html with status 404.
func (s *Static) NotFoundPage(c *gin.Context) {
	s.serve(c, s.notFound, http.StatusNotFound, "no-cache")
}

func (s *Static) serve(c *gin.Context, a asset, status int, cache string) {
	h := c.Writer.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", cache)
	if strings.HasPrefix(a.contentType, "text/html") {
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
	}
	if status == http.StatusOK {
		h.Set("ETag", a.etag)
		if match := c.GetHeader("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
			c.Status(http.StatusNotModified)
			c.Writer.WriteHeaderNow()
			return
		}
	}
	c.Status(status)
	if c.Request.Method == http.MethodHead {
		h.Set("Content-Length", fmt.Sprint(len(a.body)))
		c.Writer.WriteHeaderNow()
		return
	}
	_, _ = c.Writer.Write(a.body)
}

// WantsHTML reports whether the client is a browser asking for a page.
func WantsHTML(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}
