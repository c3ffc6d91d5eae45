#!/usr/bin/env bash
# Installs what the app needs (first run only does real work) and opens Bridgecast Studio.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh app
exec .venv/bin/bridgecast "$@"
