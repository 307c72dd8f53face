/**
 * `wsframe/utf-8-validate`: the API of the `utf-8-validate` package (the module export is the
 * function itself), backed by the fastest wsframe backend or Node's own `buffer.isUtf8`, whichever
 * measured faster at the input's size. An argument that is not a Buffer, TypedArray or DataView
 * throws a TypeError where utf-8-validate would abort the process.
 */
import { isUtf8 as nodeIsUtf8 } from 'node:buffer';
import { UTF8_ACCEPT } from '../backend.js';
import { utf8StreamJs } from '../backend-js.js';
import { active } from '../select.js';
import { viewBytes } from './args.js';
import { DROPIN_THRESHOLDS } from './thresholds.js';

const haveNodeIsUtf8 = typeof nodeIsUtf8 === 'function';

/** True when the bytes are complete, valid UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
function isValidUTF8(buf: ArrayBufferView): boolean {
  const bytes = viewBytes(buf, 'buf');
  const n = bytes.length;
  const t = DROPIN_THRESHOLDS[active.name];
  if (n < t.utf8JsBelow) return utf8StreamJs(UTF8_ACCEPT, bytes) === UTF8_ACCEPT;
  if (n >= t.utf8NodeFrom && haveNodeIsUtf8) return nodeIsUtf8(bytes);
  return active.isValidUtf8(bytes);
}

export = isValidUTF8;
