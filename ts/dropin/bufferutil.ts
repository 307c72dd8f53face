/**
 * `wsframe/bufferutil`: the API of the `bufferutil` package (`{ mask, unmask }`, the module ws
 * loads by that name), backed by the fastest wsframe backend that passed its self-test. Same
 * results as bufferutil for every valid call; an invalid call throws a TypeError or RangeError
 * where bufferutil would abort the process or touch memory out of bounds.
 */
import { maskBytes } from '../backend-js.js';
import { outOfRange } from '../errors.js';
import { active, tuning } from '../select.js';
import { isIndex, keyOf, viewBytes } from './args.js';

/**
 * `output[offset + i] = source[i] ^ mask[i & 3]` for `0 <= i < length`. `source` and `output` may
 * be the same bytes (masking in place). Partly overlapping ranges give unspecified bytes within the
 * checked bounds, as with bufferutil: refusing them would need `.buffer`, which costs ~60 ns a
 * call on small Buffers here, more than the masking itself.
 */
function mask(source: ArrayBufferView, mask: ArrayBufferView, output: ArrayBufferView, offset: number, length: number): void {
  const src = viewBytes(source, 'source');
  const key = keyOf(mask);
  const out = viewBytes(output, 'output');
  if (!isIndex(offset)) throw outOfRange('offset', 'an integer >= 0', offset);
  if (!isIndex(length) || length > src.length) {
    throw outOfRange('length', `an integer >= 0 and <= source.length (${src.length})`, length);
  }
  if (offset + length > out.length) {
    throw outOfRange('offset + length', `<= output.length (${out.length})`, offset + length);
  }
  if (length < tuning.maskJsBelow) maskBytes(src, key, out, offset, length);
  else active.mask(src, key, out, offset, length);
}

/** `buffer[i] ^= mask[i & 3]` over the whole buffer, in place. */
function unmask(buffer: ArrayBufferView, mask: ArrayBufferView): void {
  const buf = viewBytes(buffer, 'buffer');
  const key = keyOf(mask);
  if (buf.length < tuning.unmaskJsBelow) maskBytes(buf, key, buf, 0, buf.length);
  else active.unmask(buf, key);
}

export = { mask, unmask };
