#!/usr/bin/env bash
# Make the base image without a registry: debootstrap a minimal Debian and `docker import` it.
# Usage (as root): bash sandboxes/base/bootstrap.sh [TAG]   (default TAG: debian:bookworm-slim)
# Env: SUITE (bookworm), MIRROR (http://deb.debian.org/debian). Takes about a minute.
set -euo pipefail
tag=${1:-debian:bookworm-slim}
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}

command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "debootstrap needs root" >&2; exit 1; }

rootfs=$(mktemp -d /tmp/agentbench-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >&2
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
tar -C "$rootfs" --numeric-owner -c . | docker import -c 'CMD ["bash"]' - "$tag"
echo "imported $tag"
