/**
 * Which benchmark scripts make up each suite of `wsframe bench`. The scripts themselves belong to
 * the layers they measure (bench/*.mjs); this is the one place that groups them.
 */
export const SUITES = {
  kernels: [
    { script: 'kernels.mjs', what: 'mask / unmask / UTF-8 kernels on every backend vs bufferutil, utf-8-validate, buffer.isUtf8, memcpy' },
    { script: 'native.mjs', what: 'the native addon\'s SIMD paths and call overhead' },
  ],
  frames: [
    { script: 'reader.mjs', what: 'frame reader vs ws Receiver' },
    { script: 'writer.mjs', what: 'frame writer vs ws Sender' },
  ],
  e2e: [
    { script: 'echo.mjs', what: 'loopback echo round trips vs ws' },
    { script: 'broadcast.mjs', what: 'pre-framed broadcast vs ws send loops' },
    { script: 'deflate.mjs', what: 'permessage-deflate vs ws' },
    { script: 'dropin.mjs', what: 'the ws-compatible drop-in vs ws' },
  ],
};

export const SUITE_NAMES = Object.keys(SUITES);

/** The scripts of 'kernels' | 'frames' | 'e2e' | 'all', each tagged with its suite. */
export function scriptsFor(name) {
  const names = name === 'all' ? SUITE_NAMES : [name];
  return names.flatMap((suite) => SUITES[suite].map((s) => ({ suite, ...s })));
}
