// Package dist embeds Listo's single-page app: plain HTML, CSS and
// JavaScript modules served by the Go binary, with no build step.
package dist

import "embed"

// Files holds index.html, 404.html, docs.html (the API reference) and
// everything under assets/.
//
//go:embed index.html 404.html docs.html assets
var Files embed.FS
