/**
 * Argument checks shared by the drop-in modules. The originals (N-API addons) abort the whole
 * process on a non-buffer argument and read or write out of bounds on a bad offset or length;
 * these checks turn every such call into a TypeError / RangeError before any byte is touched.
 */
import { invalidArgType, outOfRange } from '../errors.js';

/**
 * The bytes of any ArrayBufferView (what the originals' `napi_get_buffer_info` accepts: Buffer,
 * any TypedArray, DataView), as a Uint8Array over the same memory. Buffers pass through untouched.
 */
export function viewBytes(value: unknown, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw invalidArgType(name, 'an instance of Buffer, TypedArray or DataView', value);
}

/** The first four bytes of a masking key as the little-endian u32 the kernels take. */
export function keyOf(value: unknown): number {
  const m = viewBytes(value, 'mask');
  if (m.length < 4) throw outOfRange('mask.length', '>= 4', m.length);
  return (m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24)) >>> 0;
}

export function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}
