#!/usr/bin/env bash
# Installs the real-SFU test bed (bench/testbed): Janus (VideoRoom), the simple-whip-server WHIP
# front end, iproute2 (network namespaces), headless Chromium + chromedriver.  Idempotent and
# fast when everything is already there; run as root or with sudo.  Nothing is downloaded at
# test time: everything the tests need is fetched here.
#
#   tools/setup_sfu.sh            install (only what is missing) and smoke-check
#   BRIDGECAST_SFU_DIR=/some/dir  where simple-whip-server goes
#                                 (default ${XDG_CACHE_HOME:-$HOME/.cache}/bridgecast/sfu)
set -euo pipefail

SFU_DIR="${BRIDGECAST_SFU_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bridgecast/sfu}"
WHIP_DIR="$SFU_DIR/simple-whip-server"
# Bump when the layout or the pinned modules below change: forces a rebuild of $WHIP_DIR.
WHIP_STAMP_VERSION="1"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# --- Debian packages ------------------------------------------------------------------------
# coturn: the TURN server of the UDP-blocked tests (TURN over UDP/TCP/TLS, bench/testbed/turn.py).
PACKAGES=(janus libjs-janus-gateway iproute2 chromium chromium-driver curl ca-certificates coturn)
# simple-whip-server's Debian package depends on Debian's node-* packages, which conflict with
# a Node.js from elsewhere (e.g. NodeSource); so we only need *a* node + npm here.
if ! command -v node >/dev/null 2>&1; then PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
apt_updated=0
apt_update() {
  if [ "$apt_updated" -eq 0 ]; then $SUDO apt-get update -q; apt_updated=1; fi
}
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup_sfu: installing system packages: ${missing[*]}"
  # Never let the janus package start a system-wide instance that would hold 8088/8188/7088.
  policy_rc=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy_rc=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy_rc" >/dev/null
    $SUDO chmod 755 "$policy_rc"
  fi
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || { [ -n "$policy_rc" ] && $SUDO rm -f "$policy_rc"; exit 1; }
  if [ -n "$policy_rc" ]; then $SUDO rm -f "$policy_rc"; fi
fi

# If a system Janus or coturn got started anyway (systemd machines), stop and disable it: the
# tests run their own instances in private network namespaces with their own configs.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for service in janus coturn; do
    if systemctl is-enabled --quiet "$service" 2>/dev/null || systemctl is-active --quiet "$service" 2>/dev/null; then
      echo "setup_sfu: stopping and disabling the system $service service"
      $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
    fi
  done
fi

# --- simple-whip-server (WHIP front end for Janus) -----------------------------------------
# `apt-get install simple-whip-server` conflicts with a non-Debian Node.js, so unpack the .deb
# into $WHIP_DIR and install its Node modules (pinned) with npm there.
whip_ok() {
  [ -f "$WHIP_DIR/.bridgecast-stamp" ] && [ "$(cat "$WHIP_DIR/.bridgecast-stamp")" = "$WHIP_STAMP_VERSION" ] \
    && [ -f "$WHIP_DIR/src/server.js" ] && [ -f "$WHIP_DIR/node_modules/websocket/package.json" ]
}
if ! whip_ok; then
  echo "setup_sfu: installing simple-whip-server into $WHIP_DIR"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  apt-cache show simple-whip-server >/dev/null 2>&1 || apt_update
  # apt's sandbox user must be able to write the download directory.
  chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -q simple-whip-server >/dev/null)
  dpkg -x "$tmp"/simple-whip-server_*.deb "$tmp/x"
  rm -rf "$WHIP_DIR"
  mkdir -p "$WHIP_DIR"
  cp -a "$tmp/x/usr/share/simple-whip-server/." "$WHIP_DIR/"
  # src/config.js is a symlink into /etc: make it a real file, Debian's defaults plus an
  # override file named by $WHIP_CONFIG_JSON (the test harness writes one per instance, so
  # parallel runs never edit this shared copy).
  rm -f "$WHIP_DIR/src/config.js"
  {
    cat "$tmp/x/etc/simple-whip-server/config.js"
    cat <<'EOF'

// Bridgecast: per-instance overrides (JSON) named by $WHIP_CONFIG_JSON.
if (process.env.WHIP_CONFIG_JSON) {
	var overrides = JSON.parse(require('fs').readFileSync(process.env.WHIP_CONFIG_JSON, 'utf8'));
	for (var key in overrides) module.exports[key] = overrides[key];
}
EOF
  } > "$WHIP_DIR/src/config.js"
  # The web/javascript symlink points at Debian's shared JS libs (only the demo page uses it).
  rm -f "$WHIP_DIR/web/javascript"
  cat > "$WHIP_DIR/package.json" <<'EOF'
{
  "name": "bridgecast-simple-whip-server",
  "private": true,
  "version": "0.0.0",
  "description": "Debian's simple-whip-server sources with pinned Node modules (Bridgecast test bed)",
  "main": "src/server.js",
  "dependencies": {
    "async": "3.2.6",
    "body-parser": "1.20.3",
    "colors": "1.4.0",
    "cors": "2.8.5",
    "debug": "4.3.7",
    "express": "4.21.2",
    "websocket": "1.0.35"
  }
}
EOF
  # --ignore-scripts: no install scripts run (bufferutil/utf-8-validate ship prebuilt binaries).
  (cd "$WHIP_DIR" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  echo "$WHIP_STAMP_VERSION" > "$WHIP_DIR/.bridgecast-stamp"
fi

# --- smoke checks ---------------------------------------------------------------------------
janus --help 2>/dev/null | grep "^Janus version" >/dev/null || { echo "setup_sfu: janus does not run" >&2; exit 1; }
[ -f /usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroom.so ] || [ -n "$(find /usr/lib -name libjanus_videoroom.so -print -quit 2>/dev/null)" ] \
  || { echo "setup_sfu: janus VideoRoom plugin not found" >&2; exit 1; }
(cd "$WHIP_DIR" && node -e "require('express'); require('websocket'); require('body-parser'); require('./src/config.js')") \
  || { echo "setup_sfu: simple-whip-server modules are broken; delete $WHIP_DIR and re-run" >&2; exit 1; }
command -v turnserver >/dev/null 2>&1 || { echo "setup_sfu: coturn's turnserver not found" >&2; exit 1; }
ip netns list >/dev/null 2>&1 || { echo "setup_sfu: 'ip netns' does not work (needs root)" >&2; exit 1; }
# Headless Chromium must start (the DOM dump proves it rendered a page).
chrome_profile="$(mktemp -d)"
if ! timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$chrome_profile" --dump-dom 'data:text/html,<p>bridgecast-ok</p>' 2>/dev/null \
      | grep bridgecast-ok >/dev/null; then
  rm -rf "$chrome_profile"
  echo "setup_sfu: headless chromium did not start" >&2; exit 1
fi
rm -rf "$chrome_profile"
echo "setup_sfu: ok (janus $(janus --help 2>/dev/null | sed -n 's/^Janus version: .*(\(.*\))/\1/p'), node $(node --version), whip server in $WHIP_DIR)"
