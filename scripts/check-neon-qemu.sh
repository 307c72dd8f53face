#!/bin/sh
# Cross-compiles the kernels for arm64 (NEON path) with aarch64-linux-gnu-gcc and runs the plain C
# cross-check test/c/kernels_harness.c under qemu-aarch64. The addon itself is not built for
# arm64 here (no arm64 Node headers/binary); this checks that arm_neon.c compiles and computes the
# same results as the scalar kernels. Needs: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user.
set -eu
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
aarch64-linux-gnu-gcc -O3 -std=c11 -Wall -Wextra -static -o "$out/kh" test/c/kernels_harness.c \
  native/dispatch.c native/mask_scalar.c native/utf8_dfa.c native/utf8_stream.c native/utf8_tables.c native/arm_neon.c
qemu-aarch64 "$out/kh"
# The same harness natively (x86-64 paths), for comparison.
cc -O3 -std=c11 -Wall -Wextra -o "$out/kh-native" test/c/kernels_harness.c native/dispatch.c native/mask_scalar.c \
  native/utf8_dfa.c native/utf8_stream.c native/utf8_tables.c $(ls native/x86_*.c 2>/dev/null)
"$out/kh-native"
