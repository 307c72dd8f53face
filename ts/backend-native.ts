// Placeholder until the native backend lands: selection reports it as unavailable with this reason.
import type { Backend } from './backend.js';

export function load(): Backend {
  throw new Error('the native backend is not part of this build yet');
}
