// Package deploy holds the tests of Listo's container deployment: the
// Dockerfile, docker-compose.yml, docker-compose.prod.yml, .env.example and
// Caddyfile at the repository root and in this folder. There is no Docker
// engine in CI, so the files are checked by parsing them with the parsers
// Docker itself uses (compose-go, BuildKit's Dockerfile parser), and the
// image's program is checked by building it with the Dockerfile's own build
// command and running it.
package deploy
