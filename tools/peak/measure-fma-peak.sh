#!/usr/bin/env bash
# Builds and runs the register-only FMA peak probe. Usage: tools/peak/measure-fma-peak.sh [--json]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${TMPDIR:-/tmp}/goldcrest-fma-peak"
# -O2 without -march: the ISA-specific loops carry their own target attributes.
g++ -std=c++17 -O2 -o "$out" "$here/fma_peak.cc"
exec "$out" "$@"
