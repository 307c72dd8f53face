/**
 * Sizes below which the drop-in modules stay in a plain JS loop instead of calling the active
 * backend, per backend. Measured against the real bufferutil / utf-8-validate and ws's own JS
 * loops with bench/dropin-kernels.mjs on this project's machine (numbers in
 * docs/parts/dropin-design.md). They differ from the kernel layer's `Tuning` because the drop-in
 * API has its own fixed costs (a Buffer key instead of a u32, bufferutil-shaped arguments).
 */
import type { BackendName } from '../backend.js';

export interface DropinThresholds {
  /** bufferutil.mask: byte loop below this length. */
  maskJsBelow: number;
  /** bufferutil.unmask: byte loop below this length. */
  unmaskJsBelow: number;
  /** utf-8-validate: JS DFA below this length. */
  utf8JsBelow: number;
  /** utf-8-validate: Node's `buffer.isUtf8` (simdutf) from this length on, when Node has it. */
  utf8NodeFrom: number;
}

export const DROPIN_THRESHOLDS: Record<BackendName, DropinThresholds> = {
  native: { maskJsBelow: 32, unmaskJsBelow: 32, utf8JsBelow: 24, utf8NodeFrom: Infinity },
  wasm: { maskJsBelow: 128, unmaskJsBelow: 128, utf8JsBelow: 24, utf8NodeFrom: 24 },
  js: { maskJsBelow: 96, unmaskJsBelow: 96, utf8JsBelow: 24, utf8NodeFrom: 24 },
};
