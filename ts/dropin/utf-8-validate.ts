/**
 * `wsframe/utf-8-validate`: the API of the `utf-8-validate` package (the module export is the
 * function itself), on wsframe's public validator: short inputs scan ASCII in JS, the rest go to
 * Node's own `buffer.isUtf8` (simdutf) where Node has it, otherwise to the active backend (the
 * size dispatch of ts/select.ts, shared with the kernels API). An argument that is not a Buffer,
 * TypedArray or DataView throws a TypeError where utf-8-validate would abort the process.
 */
import { isValidUtf8 } from '../kernels.js';
import { viewBytes } from './args.js';

/** True when the bytes are complete, valid UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
function isValidUTF8(buf: ArrayBufferView): boolean {
  return isValidUtf8(viewBytes(buf, 'buf'));
}

export = isValidUTF8;
