#!/usr/bin/env bash
# Builds (when stale) and runs the register-only FMA peak probe.
# Usage: tools/peak/measure-fma-peak.sh [--json] [--rounds N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${TMPDIR:-/tmp}/goldcrest-fma-peak"
# -O2 without -march: the ISA-specific loops carry their own target attributes.
if [ ! -x "$out" ] || [ "$here/fma_peak.cc" -nt "$out" ]; then
  g++ -std=c++17 -O2 -o "$out" "$here/fma_peak.cc"
fi
exec "$out" "$@"
