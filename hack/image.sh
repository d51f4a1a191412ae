#!/usr/bin/env bash
# Build Palisade's container image without a container daemon
# (go-containerregistry, as ko does): the static binary stamped with its
# version and commit, a CA bundle, /etc/passwd with the chart's user 65532,
# OCI labels. Writes, under OUT (default bin/image):
#   oci/            an OCI image layout (e.g. for `ctr images import --oci` or crane)
#   palisade.tar    the same image in `docker save` format (`ctr images import`, `docker load`)
#   sbom.cdx.json   a CycloneDX SBOM of the Go modules linked into the binary
#   digest          the image's digest, also printed on stdout
# Two builds of one commit give the same digest (hack/image's test checks it).
#
#   hack/image.sh [--out DIR] [--version V] [--repository REPO]
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "image: $*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=hack/lib.sh
. hack/lib.sh
[ -r /etc/ssl/certs/ca-certificates.crt ] || apt_install ca-certificates
exec go run ./hack/image "$@"
