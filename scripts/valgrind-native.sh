#!/bin/sh
# Runs scripts/native-exercise.cjs (every native path, many inputs, exact-size buffers) under
# valgrind memcheck; exits non-zero on any memory error in the addon or a wrong result.
# V8's own allocator and JIT trip memcheck's checks for uninitialised values in ways unrelated
# to the addon, so those are reported by default but can be silenced with VALGRIND_UNDEF=no.
set -eu
cd "$(dirname "$0")/.."
node -e "require('node-gyp-build')('.')" || { echo "valgrind-native: build the addon first (npm run build:native)"; exit 1; }
exec valgrind --error-exitcode=1 --leak-check=no --undef-value-errors="${VALGRIND_UNDEF:-yes}" \
  --track-origins=no --num-callers=20 --show-mismatched-frees=no "$@" \
  node scripts/native-exercise.cjs
