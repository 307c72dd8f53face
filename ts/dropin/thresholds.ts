/**
 * Sizes below which the drop-in modules stay in a plain JS loop instead of calling the active
 * backend, per backend. Measured against the real bufferutil / utf-8-validate and ws's own JS
 * loops with bench/dropin-kernels.mjs on this project's machine (numbers in
 * docs/design/dropin.md). They differ from the kernel layer's `Tuning` because the drop-in
 * API has its own fixed costs (a Buffer key instead of a u32, bufferutil-shaped arguments).
 */
import type { Backend, BackendName } from '../backend.js';
import { active } from '../select.js';

export interface DropinThresholds {
  /** bufferutil.mask: byte loop below this length, the backend from it. */
  maskJsBelow: number;
  /** bufferutil.unmask: byte loop below this length, the backend from it. */
  unmaskJsBelow: number;
  /** utf-8-validate where Node has `buffer.isUtf8` (>= 18.14): JS DFA below this length, isUtf8 from it. */
  utf8NodeFrom: number;
  /** utf-8-validate where Node has no `buffer.isUtf8`: JS DFA below this length, the backend from it. */
  utf8JsBelow: number;
}

// bench/dropin-kernels.mjs, Node 20.20.2, AMD EPYC 2 cores (loaded machine; see dropin-design.md):
// - a native call costs about as much as masking ~128 B in the byte loop (~1 ns/B), WASM (copy in
//   and out) and the JS word loop (two Int32Array views) about as much as ~192-256 B;
// - buffer.isUtf8 (simdutf) beats every wsframe backend from ~48 B up, the JS DFA beats it below.
export const DROPIN_THRESHOLDS: Record<BackendName, DropinThresholds> = {
  native: { maskJsBelow: 128, unmaskJsBelow: 128, utf8NodeFrom: 48, utf8JsBelow: 96 },
  wasm: { maskJsBelow: 192, unmaskJsBelow: 192, utf8NodeFrom: 48, utf8JsBelow: 128 },
  js: { maskJsBelow: 256, unmaskJsBelow: 256, utf8NodeFrom: 48, utf8JsBelow: Infinity },
};

let tunedFor: Backend | undefined;
let current: DropinThresholds = DROPIN_THRESHOLDS.js;

/**
 * The thresholds of the active backend. Looked up again only when the active backend changed
 * (`useBackend`): a keyed lookup by backend name on every call costs ~25 ns here, as much as
 * masking 16 bytes.
 */
export function thresholds(): DropinThresholds {
  if (active !== tunedFor) {
    tunedFor = active;
    current = DROPIN_THRESHOLDS[active.name];
  }
  return current;
}
