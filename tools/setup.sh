#!/usr/bin/env bash
# Installs everything Bridgecast needs on Debian/Ubuntu: system packages (only those missing)
# and a virtual environment in .venv with the project and its Python dependencies.
#   tools/setup.sh app    — what the desktop app needs
#   tools/setup.sh test   — plus what the test suite needs (PulseAudio, Xvfb, …)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"

APP_PACKAGES=(
  libportaudio2 libpulse0 libfribidi0 libharfbuzz0b fonts-noto-cjk
  libegl1 libgl1 libdbus-1-3 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
)
TEST_PACKAGES=(pulseaudio pulseaudio-utils xvfb xauth)

packages=("${APP_PACKAGES[@]}")
[ "$mode" = "test" ] && packages+=("${TEST_PACKAGES[@]}")
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then packages+=(python3-venv python3-pip); fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
extras=""; [ "$mode" = "test" ] && extras="[test]"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
