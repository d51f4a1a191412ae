// Package version says which build of Palisade is running: the version,
// git commit and build date stamped at link time with
//
//	go build -ldflags "-X github.com/palisade-dev/palisade/internal/platform/version.version=v1.2.0 \
//	  -X github.com/palisade-dev/palisade/internal/platform/version.commit=$(git rev-parse HEAD) \
//	  -X github.com/palisade-dev/palisade/internal/platform/version.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/palisade
//
// and, for what was not stamped, what the Go toolchain recorded in the
// binary (the module version, vcs.revision, vcs.time, vcs.modified).
package version
