// Placeholder until the wasm backend lands: selection reports it as unavailable with this reason.
import type { Backend } from './backend.js';

export function load(): Backend {
  throw new Error('the wasm backend is not part of this build yet');
}
