package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"listo/openapi"
	"listo/schemas"
)

// APIDocs serves the OpenAPI document of the router's routes and the
// reference page that renders it (dist/docs.html).
type APIDocs struct {
	static *Static
	doc    []byte
	etag   string
}

// NewAPIDocs makes the handler; Describe gives it its document once every
// route is registered.
func NewAPIDocs(static *Static) *APIDocs { return &APIDocs{static: static} }

// Describe builds the document of routes, once, at start. A route the
// operations table lacks, or a documented operation no route serves, is
// logged: the tests fail on either.
func (h *APIDocs) Describe(routes gin.RoutesInfo, log *slog.Logger) error {
	if _, ok := h.static.files["docs.html"]; !ok {
		return errors.New("api docs: dist/docs.html is missing")
	}
	rs := make([]openapi.Route, 0, len(routes))
	for _, r := range routes {
		rs = append(rs, openapi.Route{Method: r.Method, Path: r.Path})
	}
	doc, err := openapi.Build(rs, schemas.Files())
	if err != nil {
		return err
	}
	if len(doc.Undocumented) > 0 {
		log.Warn("routes missing from the OpenAPI document's table", "routes", strings.Join(doc.Undocumented, ", "))
	}
	if len(doc.Unrouted) > 0 {
		log.Warn("documented operations that no route serves", "operations", strings.Join(doc.Unrouted, ", "))
	}
	sum := sha256.Sum256(doc.JSON)
	h.doc, h.etag = doc.JSON, `"`+hex.EncodeToString(sum[:8])+`"`
	return nil
}

// Document handles GET /openapi.json: the OpenAPI 3.1 document, revalidated
// by ETag.
func (h *APIDocs) Document(c *gin.Context) {
	h.static.serve(c, asset{body: h.doc, contentType: "application/json", etag: h.etag}, http.StatusOK, "no-cache")
}

// Page handles GET /docs: the API reference page.
func (h *APIDocs) Page(c *gin.Context) {
	h.static.serve(c, h.static.files["docs.html"], http.StatusOK, "no-cache")
}
