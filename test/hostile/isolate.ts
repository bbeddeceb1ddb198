import { spawn } from 'node:child_process';
import { ensurePythonParser } from '../../src/core';
import { repoPath } from '../helpers/paths';

/**
 * Hostile inputs are run in a child process: one that reads forever or allocates without end
 * would otherwise take the test runner down with it (a blocked event loop ignores node:test's
 * timeouts). The test file runs itself again with HOSTILE_CASE set; that child runs the one case,
 * prints its outcome and its peak resident memory as one JSON line, and exits.
 */

export interface CaseOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface IsolatedResult extends CaseOutcome {
  /** Peak resident memory of the child, in MiB (process.resourceUsage().maxRSS). */
  peakMiB: number;
  /** Wall time the child took, in milliseconds. */
  ms: number;
  /** How the child ended when it did not exit on its own: a signal, or 'budget' when we killed it. */
  killed?: string;
  /** What the child wrote outside its JSON line (a watchdog's message, a crash). */
  rawStderr: string;
}

/** No hostile input may make a process pass this much resident memory. */
export const MEMORY_LIMIT_MIB = 2048;

const MARK = 'HOSTILE-RESULT ';

type Case = (arg: string) => CaseOutcome | Promise<CaseOutcome>;

/**
 * In the child: runs the case named by HOSTILE_CASE and exits (returns true, and the caller
 * registers no tests). In the test runner: returns false.
 */
export function runChildCase(cases: Record<string, Case>): boolean {
  const name = process.env.HOSTILE_CASE;
  if (name === undefined) return false;
  const run = cases[name];
  if (!run) throw new Error(`no hostile case ${name}`);
  void (async () => {
    // As the CLI's main does before any command (test/helpers/python.ts does it in a before hook,
    // which a child without tests never runs).
    await ensurePythonParser(repoPath('dist-test'));
    const outcome = await run(process.env.HOSTILE_ARG ?? '');
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${MARK}${JSON.stringify({ ...outcome, peakMiB })}\n`);
    process.exit(0);
  })();
  return true;
}

/**
 * Runs case `name` of this test file in a child and waits at most `budgetMs` (then kills it).
 * `signalOn`: once the child's stderr holds that text, it is sent that signal (a Ctrl-C, say).
 */
export function runIsolated(
  name: string,
  arg: string,
  budgetMs: number,
  signalOn?: { stderr: string; signal: NodeJS.Signals },
): Promise<IsolatedResult> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, HOSTILE_CASE: name, HOSTILE_ARG: arg };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [process.argv[1] as string], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  let signalled = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (signalOn && !signalled && stderr.includes(signalOn.stderr)) {
      signalled = true;
      child.kill(signalOn.signal);
    }
  });
  let overBudget = false;
  const timer = setTimeout(() => {
    overBudget = true;
    child.kill('SIGKILL');
  }, budgetMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      const line = stdout.split('\n').find((l) => l.startsWith(MARK));
      const base = { ms, rawStderr: stderr, ...(overBudget ? { killed: 'budget' } : signal ? { killed: signal } : {}) };
      if (line) {
        resolve({ ...(JSON.parse(line.slice(MARK.length)) as CaseOutcome & { peakMiB: number }), ...base });
      } else {
        resolve({ code: code ?? -1, stdout, stderr, peakMiB: Number.NaN, ...base });
      }
    });
  });
}
