/**
 * kill -9 at random points of short training runs, then `--resume` each (issue 16): every run must
 * resume and complete, no epoch whose metrics were printed before the kill may be lost or changed,
 * and no staging file (.tmp, .partial) or lock may be left. Run it with `npm run kill-resume`
 * (it builds dist/cli.js first); options: --runs N (20), --seed S, --backend B (onnxruntime).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readTrainingCheckpoint } from '../src/engine/train/training-checkpoint';
import type { EpochMetrics } from '../src/engine/train/train-loop';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const RUNS = Number(values.runs ?? 20);
const BACKEND = values.backend ?? 'onnxruntime';
const EPOCHS = 3;
const CLI = path.resolve('dist', 'cli.js');
const MODEL = path.resolve('examples', 'mnist-small.arch.yaml');
const SETTINGS = [
  '--method',
  'fast',
  '--epochs',
  String(EPOCHS),
  '--train-samples',
  '256',
  '--eval-samples',
  '100',
  '--batch-size',
  '64',
  '--backend',
  BACKEND,
];

/** mulberry32: a small seeded generator, so a failing sequence of kill times can be replayed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  /** Seconds from the start until `when` first held. */
  readonly whenSeconds: number | undefined;
}

/** When to kill: `afterMs` after `when` first holds (polled every 2 ms); never when afterMs is infinite. */
interface KillAt {
  readonly when: () => boolean;
  readonly afterMs: number;
}

/** Runs the CLI, sending SIGKILL at `kill` when given. */
function runCli(args: readonly string[], kill?: KillAt): Promise<Finished> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let whenSeconds: number | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const poll =
      kill &&
      setInterval(() => {
        if (!kill.when()) return;
        clearInterval(poll);
        whenSeconds = (Date.now() - started) / 1000;
        if (kill.afterMs === 0) child.kill('SIGKILL');
        else if (Number.isFinite(kill.afterMs)) killTimer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
      }, 2);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(killTimer);
      resolve({ code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000, whenSeconds });
    });
  });
}

/** The epochs whose metrics the run printed: each is printed only after its checkpoint was renamed into place. */
function printedEpochs(stderr: string): number[] {
  return [...stderr.matchAll(/^epoch (\d+): loss/gm)].map((m) => Number(m[1]));
}

function runFolders(workspace: string): { visible: string[]; staging: string[] } {
  const root = path.join(workspace, '.robustness-lens', 'runs');
  const names = fs.existsSync(root) ? fs.readdirSync(root) : [];
  const visible = names.filter((n) => !n.startsWith('.')).map((n) => path.join(root, n));
  return { visible, staging: names.filter((n) => n.startsWith('.')) };
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.tmp') || n === 'run.lock');
}

function sameMetrics(a: EpochMetrics | undefined, b: EpochMetrics | undefined): boolean {
  // seconds is wall time; every other field must be bit-identical.
  const strip = (m: EpochMetrics | undefined): string => JSON.stringify({ ...m, seconds: 0 });
  return a !== undefined && b !== undefined && strip(a) === strip(b);
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run \`node esbuild.js\` first (npm run kill-resume does)`);
  }
  const seed = Number(values.seed ?? Date.now() % 1_000_000);
  const random = generator(seed);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-kill-resume-'));
  console.log(`kill-resume: ${RUNS} runs, seed ${seed}, back end ${BACKEND}, in ${work}`);

  // An unbroken run: how long it trains once its folder exists (to spread the kills over that)
  // and the metrics every resumed run must end with.
  const referenceWorkspace = path.join(work, 'reference');
  const reference = await runCli(['train', MODEL, ...SETTINGS, '--workspace', referenceWorkspace, '--json'], {
    when: () => runFolders(referenceWorkspace).visible.length > 0,
    afterMs: Infinity,
  });
  if (reference.code !== 0) throw new Error(`the unbroken reference run failed:\n${reference.stderr}`);
  const referenceHistory = (JSON.parse(reference.stdout) as { history: EpochMetrics[] }).history;
  const trainingSeconds = reference.seconds - (reference.whenSeconds ?? 0);
  const total = reference.seconds.toFixed(1);
  console.log(`reference run: ${total} s, ${trainingSeconds.toFixed(1)} s of it after its folder appeared`);

  const counts = {
    killedAtFirstWrite: 0,
    resumed: 0,
    completedBeforeKill: 0,
    noFolderYet: 0,
    epochsKeptAtKill: 0,
    epochsPrintedAtKill: 0,
    matchesReference: 0,
  };
  const failures: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const workspace = path.join(work, `run-${i}`);
    // Every fourth run is killed at its very first write (its staging folder appears), every
    // fourth the moment its run folder appears, the others at a uniformly random time after that.
    const atFirstWrite = i % 4 === 0;
    const atFolder = i % 4 === 1;
    const killAfter = atFirstWrite || atFolder ? 0 : Math.round(random() * trainingSeconds * 1000 * 1.05);
    const when = atFirstWrite ? 'at the first write' : `${(killAfter / 1000).toFixed(1)} s after its folder appeared`;
    const runsDir = path.join(workspace, '.robustness-lens', 'runs');
    const appeared = atFirstWrite
      ? (): boolean => fs.existsSync(runsDir)
      : (): boolean => runFolders(workspace).visible.length > 0;
    const args = ['train', MODEL, ...SETTINGS, '--workspace', workspace];
    const killed = await runCli(args, { when: appeared, afterMs: killAfter });
    if (atFirstWrite) counts.killedAtFirstWrite++;
    const printed = printedEpochs(killed.stderr);
    const fail = (why: string): void => {
      failures.push(`run ${i + 1} (killed ${when}): ${why}`);
    };
    let { visible } = runFolders(workspace);
    let kept: EpochMetrics[] = [];
    let note = '';
    if (killed.signal !== 'SIGKILL') {
      counts.completedBeforeKill++;
      note = `finished before the kill (exit ${killed.code})`;
    }
    if (visible.length === 0) {
      // Killed before the run folder was published: there is nothing to resume; the next start must clean up.
      counts.noFolderYet++;
      if (printed.length > 0) fail('epochs were printed but no run folder exists');
      const fresh = await runCli(['train', MODEL, ...SETTINGS, '--workspace', workspace]);
      if (fresh.code !== 0) fail(`a fresh start after the kill failed: ${fresh.stderr.trim().split('\n').pop() ?? ''}`);
      const after = runFolders(workspace);
      if (after.staging.length > 0) fail(`staging folders left: ${after.staging.join(', ')}`);
      visible = after.visible;
      note ||= 'killed before its folder existed; started afresh';
    } else {
      const run = visible[0] ?? '';
      const checkpoint = path.join(run, 'checkpoint.rlck');
      if (fs.existsSync(checkpoint)) {
        try {
          kept = readTrainingCheckpoint(checkpoint, EPOCHS).meta.history;
        } catch (error) {
          fail(`the checkpoint left by the kill does not load: ${(error as Error).message}`);
        }
      }
      counts.epochsKeptAtKill += kept.length;
      counts.epochsPrintedAtKill += printed.length;
      if (printed.some((e) => e > kept.length)) {
        fail(`epochs ${printed.join(', ')} were printed but the checkpoint holds ${kept.length}`);
      }
      const resumed = await runCli(['train', '--resume', run, '--json']);
      const lastLine = resumed.stderr.trim().split('\n').pop() ?? '';
      if (resumed.code !== 0) fail(`resume failed (exit ${resumed.code}): ${lastLine}`);
      else {
        counts.resumed++;
        const history = (JSON.parse(resumed.stdout) as { history: EpochMetrics[] }).history;
        if (history.length !== EPOCHS) fail(`resumed run ended with ${history.length} epochs`);
        kept.forEach((m, e) => {
          if (!sameMetrics(m, history[e])) fail(`epoch ${e + 1}, finished before the kill, changed on resume`);
        });
        if (history.every((m, e) => sameMetrics(m, referenceHistory[e]))) counts.matchesReference++;
      }
      note ||= `killed with ${kept.length} epoch(s) saved, ${printed.length} printed; resumed`;
    }
    for (const run of visible) {
      const left = leftovers(run);
      if (left.length > 0) fail(`left in the run folder: ${left.join(', ')}`);
    }
    console.log(`run ${String(i + 1).padStart(2)}: killed ${when}: ${note}`);
  }

  console.log('');
  console.log(`runs: ${RUNS} (${counts.killedAtFirstWrite} killed at their first write)`);
  console.log(`killed before the folder existed: ${counts.noFolderYet}`);
  console.log(`finished before the kill: ${counts.completedBeforeKill}; resumed: ${counts.resumed}`);
  const saved = counts.epochsKeptAtKill;
  const printed = counts.epochsPrintedAtKill;
  console.log(`epochs saved at the kills: ${saved} (printed: ${printed}); lost: 0 unless listed below`);
  const equal = `${counts.matchesReference} of ${counts.resumed}`;
  console.log(`resumed runs whose ${EPOCHS} epochs equal the unbroken run's bit for bit: ${equal}`);
  console.log(`failures: ${failures.length}`);
  for (const f of failures) console.log(`  ${f}`);
  if (!values.keep) fs.rmSync(work, { recursive: true, force: true });
  process.exitCode = failures.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(`kill-resume: ${(error as Error).message}`);
  process.exitCode = 2;
});
