/**
 * The public kernel functions: argument checks (cheap, once), then the JS loop for small inputs or
 * the active backend for the rest. Every check happens before any byte is written, so a bad call
 * throws a TypeError / RangeError and changes nothing.
 */
import { UTF8_ACCEPT, UTF8_REJECT } from './backend.js';
import type { Backend } from './backend.js';
import { maskBytes, rotateKey, utf8DfaFrom, utf8StreamJs } from './backend-js.js';
import { invalidArgType, outOfRange } from './errors.js';
import { bytesOf } from './bytes.js';
import { active, tuning } from './select.js';
import { isUtf8 as nodeIsUtf8 } from 'node:buffer';

export { rotateKey };

/** A masking key: 4 bytes (a Buffer or Uint8Array, first 4 bytes used) or their little-endian u32. */
export type MaskKey = Uint8Array | number;

/** Reads a 4-byte masking key as the little-endian u32 the kernels take. */
export function maskKeyFrom(bytes: Uint8Array, offset = 0): number {
  if (!(bytes instanceof Uint8Array)) throw invalidArgType('bytes', 'an instance of Buffer or Uint8Array', bytes);
  if (!Number.isInteger(offset) || offset < 0 || offset + 4 > bytes.length) {
    throw outOfRange('offset', `an integer >= 0 and <= ${bytes.length - 4}`, offset);
  }
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

function keyOf(key: MaskKey, phase: number): number {
  let k: number;
  if (typeof key === 'number') {
    if (!Number.isInteger(key) || key < -0x80000000 || key > 0xffffffff) {
      throw outOfRange('key', 'an integer in [-2^31, 2^32 - 1]', key);
    }
    k = key >>> 0;
  } else if (key instanceof Uint8Array) {
    if (key.length < 4) throw outOfRange('key.length', '>= 4', key.length);
    k = (key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24)) >>> 0;
  } else {
    throw invalidArgType('key', 'a number or an instance of Buffer or Uint8Array', key);
  }
  if (phase !== 0) {
    if (!Number.isInteger(phase) || phase < 0) throw outOfRange('phase', 'an integer >= 0', phase);
    k = rotateKey(k, phase);
  }
  return k;
}

function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}

/**
 * Masks `length` bytes of `source` into `output` starting at `offset`:
 * `output[offset + i] = source[i] ^ key[(phase + i) % 4]` (RFC 6455 §5.3). `source` and `output`
 * may be the same bytes (masking in place) but must not partly overlap (a RangeError).
 */
export function mask(source: Uint8Array, key: MaskKey, output: Uint8Array, offset: number, length: number, phase = 0): void {
  if (!(source instanceof Uint8Array)) throw invalidArgType('source', 'an instance of Buffer or Uint8Array', source);
  if (!(output instanceof Uint8Array)) throw invalidArgType('output', 'an instance of Buffer or Uint8Array', output);
  if (!isIndex(offset)) throw outOfRange('offset', 'an integer >= 0', offset);
  if (!isIndex(length) || length > source.length) {
    throw outOfRange('length', `an integer >= 0 and <= source.length (${source.length})`, length);
  }
  if (offset + length > output.length) {
    throw outOfRange('offset + length', `<= output.length (${output.length})`, offset + length);
  }
  if (source.buffer === output.buffer) {
    // Overlapping ranges that start at different bytes would give engine-dependent results.
    const s = source.byteOffset, o = output.byteOffset + offset;
    if (s !== o && s < o + length && o < s + length) {
      throw outOfRange('offset', 'such that source and output do not partly overlap', offset);
    }
  }
  const k = keyOf(key, phase);
  if (length < tuning.maskJsBelow) maskBytes(source, k, output, offset, length);
  else active.mask(source, k, output, offset, length);
}

/** Unmasks (or masks: XOR is its own inverse) `buffer` in place: `buffer[i] ^= key[(phase + i) % 4]`. */
export function unmask(buffer: Uint8Array, key: MaskKey, phase = 0): void {
  if (!(buffer instanceof Uint8Array)) throw invalidArgType('buffer', 'an instance of Buffer or Uint8Array', buffer);
  const k = keyOf(key, phase);
  if (buffer.length < tuning.unmaskJsBelow) maskBytes(buffer, k, buffer, 0, buffer.length);
  else active.unmask(buffer, k);
}

/** True when `input` is complete, valid UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
export function isValidUtf8(input: Uint8Array | ArrayBufferView | ArrayBuffer): boolean {
  // Buffers and Uint8Arrays first, with nothing in between: from 20 B this is Node's own
  // buffer.isUtf8, and every nanosecond spent here shows against it (bench/kernels.mjs).
  if (input instanceof Uint8Array) {
    const n = input.length;
    if (n >= tuning.utf8NodeFrom) return nodeIsUtf8(input);
    if (n < tuning.utf8JsBelow) return smallUtf8(input, n);
    return active.isValidUtf8(input);
  }
  return isValidUtf8(bytesOf(input, 'input'));
}

/**
 * Short inputs: an ASCII scan in JS beats any call out (1.4-3.6x buffer.isUtf8 up to 24 B), but the
 * DFA costs ~5 ns per multi-byte character here, so past the first of those, more than 8 bytes to
 * go are handed to buffer.isUtf8 whole (measured crossovers: Latin ~16 B, CJK ~10 B).
 */
function smallUtf8(b: Uint8Array, n: number): boolean {
  let i = 0;
  while (i < n && b[i] < 0x80) i++;
  if (i === n) return true;
  if (n - i > 8 && tuning.utf8NodeFrom !== Infinity) return nodeIsUtf8(b);
  return utf8DfaFrom(UTF8_ACCEPT, b, i) === UTF8_ACCEPT;
}

/**
 * Validates UTF-8 that arrives in pieces (the fragments of a text message). `push` returns false as
 * soon as the bytes so far cannot start valid UTF-8: on the first invalid byte, not at the end. A
 * character split across pushes is carried over (at most 3 bytes of state). `end` returns whether
 * the whole input was complete and valid, and resets the validator for the next message.
 */
export class Utf8Validator {
  private state: number = UTF8_ACCEPT;
  private readonly backend: Backend;

  /** Uses the backend active when it is created, so a stream never changes engine midway. */
  constructor() {
    this.backend = active;
  }

  /** Feeds the next piece; false once the input is known to be invalid (and from then on). */
  push(chunk: Uint8Array | ArrayBufferView | ArrayBuffer): boolean {
    const bytes = bytesOf(chunk, 'chunk');
    const s = this.state;
    if (s === UTF8_REJECT) return false;
    this.state = bytes.length < tuning.utf8JsBelow ? utf8StreamJs(s, bytes) : this.backend.utf8Stream(s, bytes);
    return this.state !== UTF8_REJECT;
  }

  /** True when everything pushed was complete, valid UTF-8 (no truncated character); then resets. */
  end(): boolean {
    const ok = this.state === UTF8_ACCEPT;
    this.state = UTF8_ACCEPT;
    return ok;
  }

  /** Forgets everything pushed so far. */
  reset(): void {
    this.state = UTF8_ACCEPT;
  }

  /** False once an invalid byte was seen (until `end` or `reset`). */
  get valid(): boolean {
    return this.state !== UTF8_REJECT;
  }

  /** True when the input so far ends inside a multi-byte character. */
  get pending(): boolean {
    return this.state > UTF8_REJECT;
  }
}
