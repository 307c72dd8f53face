// Placeholder module until the WebAssembly kernels land; the loader reports the wasm backend as
// unavailable meanwhile.
export function version(): u32 {
  return 0;
}
