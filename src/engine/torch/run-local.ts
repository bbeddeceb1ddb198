import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunListener, RunSummary } from '../run/run-messages';
import { writeJsonAtomic } from '../util/atomic-write';
import { RunFollower } from './follow-run';
import type { TorchLaunch } from './torch-run';
import { trainerCommand } from './trainer-command';

/** <run>/process.json: the launcher's child while it runs, so `cancel RUN` can stop it. */
export const PROCESS_FILE = 'process.json';

/**
 * Runs the PyTorch trainer (one process, or torchrun's several) on this machine and follows the
 * run folder while it runs. Cancelling sends SIGTERM (torchrun passes it to every worker); each
 * finished epoch is already in checkpoint.pt. The summary is the trainer's result.json.
 */
export async function runTorchLocally(
  runDir: string,
  launch: TorchLaunch,
  listener: RunListener,
  isCancelled: () => boolean,
): Promise<RunSummary> {
  const { command, args, env } = trainerCommand(runDir, launch);
  const resultFile = path.join(runDir, 'result.json');
  // A resumed run's earlier result and events are history, not news.
  fs.rmSync(resultFile, { force: true });
  const follower = new RunFollower(
    runDir,
    (m) => {
      if (m.type !== 'result') listener(m);
    },
    true,
  );
  const child = spawn(command, [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined)
    writeJsonAtomic(path.join(runDir, PROCESS_FILE), {
      pid: child.pid,
      host: os.hostname(),
      command: [command, ...args],
    });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
    if (process.env.ROBUSTNESS_LENS_DEBUG) process.stderr.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let signalled = false;
  const timer = setInterval(() => {
    follower.poll();
    if (!signalled && isCancelled()) {
      signalled = true;
      child.kill('SIGTERM');
    }
  }, 250);
  const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  clearInterval(timer);
  follower.poll();
  if (exit.error) {
    const missing = (exit.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing ? `no Python at "${command}" (give --python, the Python that has PyTorch)` : exit.error.message,
    );
  }
  fs.rmSync(path.join(runDir, PROCESS_FILE), { force: true });
  if (!fs.existsSync(resultFile)) {
    throw new Error(`the PyTorch trainer exited with ${exit.code} without a result:\n${lastLines(tail, 15)}`);
  }
  return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as RunSummary;
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
