#!/usr/bin/env bash
# Installs the RTMP test bed (bench/testbed/rtmp_server.py): Debian's nginx-light with the
# RTMP module (libnginx-mod-rtmp), the stream module (TLS in front of RTMP for RTMPS) and
# openssl (the test CA).  Only what is missing; idempotent; run as root or with sudo.
# The tests start their own nginx (own config, ports and pid file): the system nginx the
# package would start is stopped and disabled here, so nothing holds port 80 afterwards.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(nginx-light libnginx-mod-rtmp libnginx-mod-stream openssl)
missing=()
installed=""
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  installed=" (installed ${missing[*]})"
  # Never let the package start a system-wide nginx (it would hold port 80 for nothing).
  policy_rc=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy_rc=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy_rc" >/dev/null
    $SUDO chmod 755 "$policy_rc"
  fi
  # apt's chatter goes to a log that is shown only when the install fails.
  apt_log="$(mktemp)"
  if ! { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
          --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2; rm -f "$apt_log"
    if [ -n "$policy_rc" ]; then $SUDO rm -f "$policy_rc"; fi
    echo "setup_rtmp: installing ${missing[*]} failed" >&2; exit 1
  fi
  rm -f "$apt_log"
  if [ -n "$policy_rc" ]; then $SUDO rm -f "$policy_rc"; fi
fi

# A system nginx started anyway (systemd machines): stop and disable it.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  if systemctl is-enabled --quiet nginx 2>/dev/null || systemctl is-active --quiet nginx 2>/dev/null; then
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
elif [ -s /run/nginx.pid ]; then
  # Without systemd the package's init script may have started one: stop that one (by its pid
  # file, so the test bed's own instances are left alone).
  pid="$(cat /run/nginx.pid 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then $SUDO kill -QUIT "$pid" 2>/dev/null || true; fi
fi

# --- smoke check: the modules load into a config of our own -----------------------------------
rtmp_module=/usr/lib/nginx/modules/ngx_rtmp_module.so
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
[ -f "$rtmp_module" ] || { echo "setup_rtmp: $rtmp_module not found" >&2; exit 1; }
[ -f "$stream_module" ] || { echo "setup_rtmp: $stream_module not found" >&2; exit 1; }
check_dir="$(mktemp -d)"
trap 'rm -rf "$check_dir"' EXIT
mkdir -p "$check_dir/logs"
cat > "$check_dir/nginx.conf" <<CONF
load_module $rtmp_module;
load_module $stream_module;
pid $check_dir/nginx.pid;
error_log $check_dir/logs/error.log;
events { worker_connections 16; }
rtmp { server { listen 127.0.0.1:1; application live { live on; } } }
CONF
if ! nginx -t -q -p "$check_dir" -c "$check_dir/nginx.conf" -e "$check_dir/logs/error.log" >/dev/null 2>&1; then
  nginx -t -p "$check_dir" -c "$check_dir/nginx.conf" -e "$check_dir/logs/error.log" >&2 || true
  echo "setup_rtmp: nginx cannot load the RTMP/stream modules" >&2; exit 1
fi
echo "setup_rtmp: ok ($(nginx -v 2>&1 | sed 's/^nginx version: //'), rtmp module $(dpkg-query -W -f='${Version}' libnginx-mod-rtmp), $(openssl version | cut -d' ' -f1-2))$installed"
