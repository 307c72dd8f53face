#!/bin/sh
# Install check without a compiler: clones this repository's current branch into a temp dir and
# runs `npm install` with a PATH holding only node, npm, npx, git and sh (no cc/gcc/g++/make/python).
#   1. with the committed prebuild: install must succeed and the addon must load from prebuilds/;
#   2. with prebuilds/ removed: install must still exit 0 (one line says WebAssembly is used) and
#      the addon must not load.
#   3. (with the normal PATH, compiler included) npm_config_build_from_source=true: install must
#      build the addon from source, and node-gyp-build must pick build/Release over the prebuild.
# If the branch has no WASM sources yet (assembly/index.ts), `prepare` (npm run build) cannot
# work whatever the native part does: then the check installs with --ignore-scripts and runs the
# package's install script exactly as npm would, and says so.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
branch=$(git -C "$here" rev-parse --abbrev-ref HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin="$tmp/bin"
mkdir -p "$bin"
for t in node npm npx git sh; do ln -s "$(command -v $t)" "$bin/$t"; done
NOPATH="$bin"
for t in cc gcc g++ c++ clang make python python3; do
  if PATH="$NOPATH" command -v "$t" >/dev/null 2>&1; then echo "FAIL: $t still on the stripped PATH"; exit 1; fi
done
# node-gyp would otherwise find python through an absolute path in the npm config
unset PYTHON npm_config_python

fail=0
report() { printf '%-62s %s\n' "$1" "$2"; [ "$2" = ok ] || fail=1; }

git clone -q --branch "$branch" "$here" "$tmp/wsframe" || { echo "FAIL: clone"; exit 1; }
cd "$tmp/wsframe"
echo "clone of $branch at $(git rev-parse --short HEAD) in $tmp/wsframe; PATH=$NOPATH"

install() {
  if [ -f assembly/index.ts ]; then
    PATH="$NOPATH" npm install --no-audit --no-fund "$@" >"$tmp/install.log" 2>&1
  else
    PATH="$NOPATH" npm install --no-audit --no-fund --ignore-scripts >"$tmp/install.log" 2>&1 &&
      PATH="$NOPATH" npm run install >>"$tmp/install.log" 2>&1
  fi
}
[ -f assembly/index.ts ] || echo "note: no assembly/ on this branch: prepare skipped, install script run by 'npm run install'"

# 1. with the prebuild
install; rc=$?
grep -E '^wsframe:' "$tmp/install.log" | sed 's/^/  install says: /'
[ $rc -eq 0 ] && report "1. npm install with prebuild, no compiler: exit 0" ok || { report "1. npm install with prebuild, no compiler: exit $rc" FAIL; tail -20 "$tmp/install.log"; }
loaded=$(PATH="$NOPATH" node -e "const g=require('node-gyp-build');const f=g.resolve('.');const a=g('.');console.log(require('path').relative('.',f), a.path())" 2>&1)
case "$loaded" in prebuilds/linux-x64/*) report "   addon loads from the prebuild ($loaded)" ok ;; *) report "   addon load: $loaded" FAIL ;; esac
[ -d build ] && report "   no build/ directory was created (nothing compiled)" FAIL || report "   no build/ directory was created (nothing compiled)" ok
if [ -f assembly/index.ts ]; then
  PATH="$NOPATH" npm test >"$tmp/test.log" 2>&1 && report "   npm test" ok || { report "   npm test" FAIL; tail -30 "$tmp/test.log"; }
else
  PATH="$NOPATH" npx vitest run test/native- >"$tmp/test.log" 2>&1 && report "   native tests (vitest run test/native-)" ok || { report "   native tests" FAIL; tail -30 "$tmp/test.log"; }
fi

# 2. without the prebuild
rm -rf prebuilds node_modules build
install; rc=$?
grep -E '^wsframe:' "$tmp/install.log" | sed 's/^/  install says: /'
[ $rc -eq 0 ] && report "2. npm install without prebuild, no compiler: exit 0" ok || { report "2. npm install without prebuild, no compiler: exit $rc" FAIL; tail -20 "$tmp/install.log"; }
grep -q '^wsframe: native addon not built' "$tmp/install.log" && report "   one informative line printed" ok || report "   one informative line printed" FAIL
if PATH="$NOPATH" node -e "require('node-gyp-build')('.')" >/dev/null 2>&1; then report "   addon absent, so WASM will be used" FAIL; else report "   addon absent, so WASM will be used" ok; fi
if [ -f dist/cjs/select.js ]; then
  PATH="$NOPATH" node -e "const s=require('./dist/cjs/select.js');console.log(Object.keys(s))" >/dev/null 2>&1 && report "   dist/cjs/select.js loads" ok || report "   dist/cjs/select.js loads" FAIL
fi
# 3. with the compiler, build from source when asked
git checkout -q -- prebuilds && rm -rf node_modules build
if [ -f assembly/index.ts ]; then
  npm_config_build_from_source=true npm install --no-audit --no-fund >"$tmp/install.log" 2>&1; rc=$?
else
  npm install --no-audit --no-fund --ignore-scripts >"$tmp/install.log" 2>&1 &&
    npm_config_build_from_source=true npm run install >>"$tmp/install.log" 2>&1; rc=$?
fi
grep -E '^wsframe:' "$tmp/install.log" | sed 's/^/  install says: /'
[ $rc -eq 0 ] && [ -f build/Release/wsframe.node ] && report "3. npm_config_build_from_source=true with a compiler: built" ok || { report "3. build from source: exit $rc" FAIL; tail -20 "$tmp/install.log"; }
loaded=$(node -e "const g=require('node-gyp-build');console.log(require('path').relative('.',g.resolve('.')))" 2>&1)
[ "$loaded" = build/Release/wsframe.node ] && report "   node-gyp-build picks the local build ($loaded)" ok || report "   node-gyp-build picks: $loaded" FAIL

[ $fail -eq 0 ] && echo "check-no-compiler: PASS" || echo "check-no-compiler: FAIL"
exit $fail
