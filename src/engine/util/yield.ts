/**
 * Lets the event loop run (an IPC "cancel", a SIGINT) between two compute steps. The wasm and cpu
 * back ends resolve their promises as microtasks, so without this a long run never yields.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
