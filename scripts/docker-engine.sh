#!/usr/bin/env bash
# A Docker engine of its own, for container faults on a machine without one (CI, a laptop
# without Docker Desktop). It installs nothing: it needs Debian's docker.io (dockerd,
# containerd, runc) and busybox-static, and root.
#
#   scripts/docker-engine.sh start DIR   start dockerd with its socket and data root in DIR,
#                                        import the base image local/base; prints DOCKER_HOST
#   scripts/docker-engine.sh stop DIR    remove every container, stop dockerd (and its
#                                        containerd), unmount what it left in DIR
#
# The engine publishes no ports and touches no firewall (--iptables=false --bridge=none):
# containers run with the host's network (network_mode host), so everything stays on
# 127.0.0.1. No registry is reachable here, so the one image, local/base, is imported from
# a tarball made on the spot: a static busybox, with lib/lib64 pointing into /usr so that
# a container that bind-mounts the host's /usr (read-only) runs the host's Python.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
command=$1
dir=$2
BASE_IMAGE=local/base
READY_TIMEOUT_S=60

ping() {
    curl --silent --fail --max-time 2 --unix-socket "$dir/docker.sock" http://engine/_ping >/dev/null 2>&1
}

need() {
    local missing=()
    for tool in "$@"; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "$0: not installed: ${missing[*]} (Debian: apt-get install docker.io busybox-static curl)" >&2
        exit 2
    fi
}

base_image() {
    local rootfs="$dir/base-rootfs"
    rm -rf "$rootfs"
    mkdir -p "$rootfs/bin" "$rootfs/usr/lib" "$rootfs/usr/lib64" "$rootfs/tmp" "$rootfs/etc"
    chmod 1777 "$rootfs/tmp"
    cp "$(command -v busybox)" "$rootfs/bin/busybox"
    for applet in sh sleep cat ls echo env true false; do
        ln -s busybox "$rootfs/bin/$applet"
    done
    ln -s usr/lib "$rootfs/lib"
    ln -s usr/lib64 "$rootfs/lib64"
    echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
    echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh" >>"$rootfs/etc/passwd"
    echo "root:x:0:" >"$rootfs/etc/group"
    echo "nogroup:x:65534:" >>"$rootfs/etc/group"
    tar -C "$rootfs" -c . | docker --host "unix://$dir/docker.sock" import - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
}

start() {
    need dockerd containerd runc busybox curl docker
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if ping; then
        echo "unix://$dir/docker.sock"
        return
    fi
    dockerd \
        --host "unix://$dir/docker.sock" \
        --data-root "$dir/data" \
        --exec-root "$dir/exec" \
        --pidfile "$dir/dockerd.pid" \
        --storage-driver vfs \
        --iptables=false \
        --ip-masq=false \
        --bridge=none \
        >"$dir/dockerd.log" 2>&1 &
    local waited=0
    until ping; do
        if ! kill -0 $! 2>/dev/null; then
            echo "$0: dockerd exited; its log ($dir/dockerd.log):" >&2
            tail -20 "$dir/dockerd.log" >&2
            exit 1
        fi
        if [ $waited -ge $((READY_TIMEOUT_S * 10)) ]; then
            echo "$0: dockerd did not answer on $dir/docker.sock within ${READY_TIMEOUT_S} s" >&2
            tail -20 "$dir/dockerd.log" >&2
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    base_image
    echo "unix://$dir/docker.sock"
}

stop() {
    [ -d "$dir" ] || return 0
    dir=$(cd "$dir" && pwd)
    if ping; then
        local containers
        containers=$(docker --host "unix://$dir/docker.sock" ps --all --quiet)
        if [ -n "$containers" ]; then
            # shellcheck disable=SC2086
            docker --host "unix://$dir/docker.sock" rm --force $containers >/dev/null
        fi
    fi
    if [ -f "$dir/dockerd.pid" ]; then
        local pid
        pid=$(cat "$dir/dockerd.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 200); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        fi
    fi
    # Mounts dockerd left behind (its exec root, overlay or vfs layers), deepest first.
    awk -v root="$dir/" 'index($2, root) == 1 {print $2}' /proc/mounts | sort -r | while read -r mount; do
        umount -l "$mount" 2>/dev/null || true
    done
}

case "$command" in
start) start ;;
stop) stop ;;
*) usage ;;
esac
