// Timing helpers shared by the end-to-end tests: e2e/eio/helpers.mjs and
// e2e/sio/lib.mjs re-export them, so a test file imports them from its
// own folder's helpers.

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settles like promise, or rejects once ms have passed (timer cleared). */
export function withTimeout(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with the arguments of the next `event` on emitter (anything
 * with on/once/off: an engine.io-client Socket, a socket.io-client socket,
 * manager or engine, a Node EventEmitter), rejects after ms.
 */
export function once(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const onEvent = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    emitter.once(event, onEvent);
  });
}
