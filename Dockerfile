# syntax=docker/dockerfile:1

# Listo container image: one static binary (the SPA and the JSON schemas are
# embedded) on distroless, running as an unprivileged user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t listo .
#
# deploy/deploy_test.go parses this file and builds the binary with the exact
# flags of the RUN line below: keep them in one RUN line.

# Build stage: the Go minor version matches the go directive in go.mod.
FROM golang:1.26-alpine AS build
WORKDIR /src

# Modules are downloaded in their own layer, reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/listo . \
    && mkdir -p /out/data

# Final stage: no shell, no package manager, only the binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/listo /listo
# DATA_DIR for the embedded database and the development JWT secret; unused
# when MONGODB_URI and JWT_SECRET are set (production).
COPY --from=build --chown=65532:65532 /out/data /data
ENV ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data \
    LOG_FORMAT=json
USER nonroot:nonroot
EXPOSE 8080
# No curl in the image: the binary checks its own /healthz (on $PORT).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/listo", "healthcheck"]
ENTRYPOINT ["/listo"]
