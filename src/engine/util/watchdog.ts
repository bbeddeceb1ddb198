import { Worker } from 'node:worker_threads';

/**
 * A time budget for work that may block the event loop for good (TF.js rebuilding a model is
 * synchronous: a topology it cannot finish spins in one call). Nothing on the main thread can
 * interrupt that, so the watchdog is a thread of its own: when the budget runs out it writes the
 * reason to stderr and ends the process. While the guarded work runs, the process's SIGINT
 * listeners (the CLI's "stop after this step") are set aside, so Ctrl-C ends it at once: a
 * blocked loop would never run them, and there is no finished step to keep yet.
 */

/** Seconds model loading may take, unless ROBUSTNESS_LENS_LOAD_TIMEOUT_S says otherwise. */
export const DEFAULT_LOAD_SECONDS = 300;

export function loadBudgetSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.ROBUSTNESS_LENS_LOAD_TIMEOUT_S);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_LOAD_SECONDS;
}

// Plain JavaScript, run by the thread from source: it must not depend on the bundle's layout.
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.shared);
if (Atomics.wait(flag, 0, 0, workerData.ms) === 'timed-out') {
  require('node:fs').writeSync(2, workerData.message + '\\n');
  process.kill(process.pid, 'SIGKILL');
}
`;

/**
 * Runs `work` under a budget of `seconds`; `what` names it in the message ("loading model.json").
 * The process is killed (exit by SIGKILL) if the budget runs out, even with its loop blocked.
 */
export async function withWatchdog<T>(what: string, seconds: number, work: () => Promise<T>): Promise<T> {
  const shared = new SharedArrayBuffer(4);
  const message =
    `robustness-lens: ${what} took more than ${seconds} s, so the process was stopped (the ` +
    `model may loop while it is built; set ROBUSTNESS_LENS_LOAD_TIMEOUT_S to allow ` +
    `more time)`;
  const watchdog = new Worker(WATCHDOG, { eval: true, workerData: { shared, ms: seconds * 1000, message } });
  watchdog.unref();
  const listeners = process.listeners('SIGINT');
  for (const listener of listeners) process.removeListener('SIGINT', listener);
  try {
    return await work();
  } finally {
    for (const listener of listeners) process.on('SIGINT', listener);
    const flag = new Int32Array(shared);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    void watchdog.terminate();
  }
}
