/**
 * `wsframe/utf-8-validate`: the API of the `utf-8-validate` package (the module export is the
 * function itself). Small inputs run wsframe's JS DFA; larger ones Node's own `buffer.isUtf8`
 * (simdutf) where Node has it, because it measured faster than every wsframe backend there, and
 * the active wsframe backend on Node versions without it. An argument that is not a Buffer, TypedArray or DataView
 * throws a TypeError where utf-8-validate would abort the process.
 */
import { isUtf8 as nodeIsUtf8 } from 'node:buffer';
import { UTF8_ACCEPT } from '../backend.js';
import { utf8StreamJs } from '../backend-js.js';
import { active } from '../select.js';
import { viewBytes } from './args.js';
import { thresholds } from './thresholds.js';

const haveNodeIsUtf8 = typeof nodeIsUtf8 === 'function';

/** True when the bytes are complete, valid UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
function isValidUTF8(buf: ArrayBufferView): boolean {
  const bytes = viewBytes(buf, 'buf');
  const n = bytes.length;
  const t = thresholds();
  if (haveNodeIsUtf8) return n < t.utf8NodeFrom ? utf8StreamJs(UTF8_ACCEPT, bytes) === UTF8_ACCEPT : nodeIsUtf8(bytes);
  return n < t.utf8JsBelow ? utf8StreamJs(UTF8_ACCEPT, bytes) === UTF8_ACCEPT : active.isValidUtf8(bytes);
}

export = isValidUTF8;
