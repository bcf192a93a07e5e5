// Test data shared by the end-to-end tests: e2e/eio/helpers.mjs re-exports
// pattern as bytes, e2e/sio/lib.mjs as pattern.

/** n pseudo-random bytes, the same for the same seed (xorshift32). */
export function pattern(n, seed = 1) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
