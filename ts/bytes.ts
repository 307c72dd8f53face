/**
 * Binary inputs as bytes: the one place that turns what a caller may pass (Buffer, any TypedArray,
 * DataView, ArrayBuffer, SharedArrayBuffer) into a Uint8Array view without copying, and the byte
 * order of the machine, which the word loops of the kernels, the reader and the writer depend on.
 */
import { invalidArgType } from './errors.js';

export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * `input` as a Uint8Array view of the same memory (no copy), or a TypeError naming `name` and what
 * it accepts (`expected`, for callers that take strings too).
 */
export function bytesOf(
  input: unknown,
  name: string,
  expected = 'an instance of Buffer, TypedArray, DataView or ArrayBuffer',
): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) {
    return new Uint8Array(input);
  }
  throw invalidArgType(name, expected, input);
}
