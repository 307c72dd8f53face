/**
 * The contract every kernel backend (native, wasm, js) implements, with identical results.
 *
 * Conventions shared by all backends (and by the C and AssemblyScript sources, which mirror them):
 *
 * - A masking key is a 32-bit number holding the four key bytes little-endian: key byte j is
 *   `(key >>> (8 * j)) & 0xff`. A payload that starts mid-key (phase p) is handled by the caller
 *   rotating the key (`rotateKey`), so kernels have no phase argument.
 * - Kernels do not check their arguments: the public layer (`kernels.ts`) does that once, cheaply.
 *   A backend may assume `offset + length <= output.length` and `length <= source.length`.
 * - Streaming UTF-8 validation is a pure function of (state, chunk) -> state over the DFA whose
 *   state numbers are defined below; the numbering is part of the contract so that states are
 *   comparable across backends in differential tests.
 */

export type BackendName = 'native' | 'wasm' | 'js';

/** DFA states of the streaming UTF-8 validator (RFC 3629 §4 grammar). */
/** At a character boundary: everything so far is valid and complete. */
export const UTF8_ACCEPT = 0;
/** An invalid byte was seen; sticky. */
export const UTF8_REJECT = 1;
// Intermediate states (kept for reference by the C and AssemblyScript tables):
// 2 = one more continuation byte 80-BF expected, 3 = two more, 4 = three more,
// 5 = after E0 (next A0-BF: rejects overlong 3-byte forms),
// 6 = after ED (next 80-9F: rejects UTF-16 surrogates),
// 7 = after F0 (next 90-BF: rejects overlong 4-byte forms),
// 8 = after F4 (next 80-8F: rejects code points above U+10FFFF).

export interface Backend {
  readonly name: BackendName;
  /** Which code path runs inside the backend, e.g. 'avx2', 'sse2', 'simd128', 'swar32'. */
  readonly variant: string;
  /** `output[offset + i] = source[i] ^ keyByte(i & 3)` for `0 <= i < length`. */
  mask(source: Uint8Array, key: number, output: Uint8Array, offset: number, length: number): void;
  /** `buffer[i] ^= keyByte(i & 3)` in place, over the whole view. */
  unmask(buffer: Uint8Array, key: number): void;
  /**
   * unmask, then true when every resulting byte is ASCII (< 0x80). The native and WASM kernels OR
   * the bytes as they write them, so a reader learns that a text payload needs no UTF-8 validation
   * and decodes as latin1, with no second pass and no further call.
   */
  unmaskAscii(buffer: Uint8Array, key: number): boolean;
  /** One-shot validation: true when the bytes are complete, valid UTF-8 (RFC 3629). */
  isValidUtf8(buffer: Uint8Array): boolean;
  /**
   * Streaming validation: the state after consuming `chunk` from `state`. Fails fast (returns
   * Reject as soon as the bytes seen cannot be a prefix of valid UTF-8); Reject is sticky. A final
   * state other than Accept at the end of the input means a truncated sequence.
   */
  utf8Stream(state: number, chunk: Uint8Array): number;
}
