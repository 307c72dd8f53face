#!/bin/sh
# Runs the reader fuzzer (scripts/fuzz.mjs) on the native backend with the addon built under
# AddressSanitizer (+ UndefinedBehaviorSanitizer): any invalid read or write, use after free or
# undefined behaviour in native/ aborts the run with a report. The ASan build lives in a separate
# copy of the package (build/asan-pkg/) so the normal build/ and prebuilds/ are untouched.
#
#   sh scripts/asan-native.sh [fuzz.mjs options for each kernel path, default --frames 100000 --paths both]
#
# Leak detection is off for the fuzz run because node itself (V8, libuv) keeps allocations alive at
# exit that LeakSanitizer reports; the addon allocates no memory at all (no malloc in native/, it
# works on the caller's buffers), which `grep` checks below.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
pkg="$root/build/asan-pkg"
[ -f dist/cjs/index.js ] || { echo "asan-native: build first (npm run build)"; exit 1; }
if grep -nE '\b(malloc|calloc|realloc|free)\s*\(' native/*.c native/*.h; then
  echo "asan-native: native/ allocates memory: enable leak checks for it"; exit 1
fi
rm -rf "$pkg"
mkdir -p "$pkg"
mkdir -p "$pkg/scripts"
cp -r binding.gyp native package.json "$pkg/"
cp scripts/native-exercise.cjs "$pkg/scripts/"
cp -r dist "$pkg/dist"
ln -s "$root/node_modules" "$pkg/node_modules"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
nodedir=$(npm config get nodedir 2>/dev/null || true)
(cd "$pkg" && CFLAGS="$san" CXXFLAGS="$san" LDFLAGS="-fsanitize=address,undefined" \
  node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild ${nodedir:+--nodedir="$nodedir"} >"$pkg/build.log" 2>&1) \
  || { cat "$pkg/build.log"
       # CI on a machine without Node's headers or a compiler: say so rather than fail the run.
       if [ "${ASAN_SKIP_IF_NO_BUILD:-0}" = 1 ]; then echo "asan-native: SKIPPED, the addon could not be built here"; exit 0; fi
       exit 1; }
nm -D "$pkg/build/Release/wsframe.node" | grep -q __asan_report || { echo "asan-native: the addon was not instrumented"; exit 1; }
libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
[ $# -gt 0 ] || set -- --frames 100000 --paths both
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The self-test on load plus the fuzz corpus, every native kernel path (AVX2 is the default here).
LD_PRELOAD="$libasan $libubsan" node -e "
  const w = require('$pkg/dist/cjs/index.js');
  const s = w.backendStatus().find((b) => b.name === 'native');
  if (!s.available) { console.error('native backend unavailable under ASan:', s.reason); process.exit(1); }
  console.log('ASan addon loaded:', s);
"
LD_PRELOAD="$libasan $libubsan" node "$pkg/scripts/native-exercise.cjs"
# The fuzz corpus once per kernel path this CPU has (the addon picks AVX2 here by default).
paths=$(LD_PRELOAD="$libasan $libubsan" node -e "console.log(require('$pkg/dist/cjs/backend-native.js').nativePaths().join(' '))")
for path in $paths; do
  echo "asan-native: fuzz on the $path path"
  LD_PRELOAD="$libasan $libubsan" node scripts/fuzz.mjs --package "$pkg" --backend native --native-path "$path" --seed 11 "$@"
done
echo "asan-native: no AddressSanitizer or UBSan report"
