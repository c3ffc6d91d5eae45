#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine: installs what it needs, then runs
# the engine/UI import contract and pytest.  Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh test
bash tools/setup_sfu.sh   # Janus, simple-whip-server, Chromium: the real SFU the WHIP tests publish to
bash tools/setup_rtmp.sh  # nginx + RTMP/stream modules, openssl: the RTMP/RTMPS server the RTMP tests publish to
export QT_QPA_PLATFORM=offscreen
echo "== import contract (engine never imports Qt or ui/)"
.venv/bin/lint-imports
echo "== tests"
.venv/bin/python -m pytest "$@"
