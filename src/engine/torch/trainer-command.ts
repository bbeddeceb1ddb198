import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TorchLaunch } from './torch-run';

/** python/, which holds the trainer package, found from the bundle (dist/) or the sources (tests). */
export function pythonDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'python');
    if (fs.existsSync(path.join(candidate, 'robustness_lens_trainer', '__main__.py'))) return candidate;
    dir = path.dirname(dir);
  }
  return path.join(__dirname, '..', 'python');
}

export interface Command {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The trainer's command line. One process runs the module directly; several run it under
 * torchrun (`python -m torch.distributed.run`, which every PyTorch since 1.10 has, even where the
 * `torchrun` script is not on PATH). `--redirects 1 --tee 1` are always given: Debian's torch 1.13
 * on Python 3.11 cannot parse their defaults (IntFlag no longer iterates the zero member), and
 * newer releases take them as well. Several nodes meet at a c10d rendezvous named after the run.
 */
export function trainerCommand(runDir: string, launch: TorchLaunch, runId = path.basename(runDir)): Command {
  const trainer = [
    '-m',
    'robustness_lens_trainer',
    '--run',
    runDir,
    '--device',
    launch.device,
    ...(launch.amp ? ['--amp'] : []),
    ...(launch.syncBatchNorm ? ['--sync-batch-norm'] : []),
  ];
  const env = {
    PYTHONPATH: [pythonDir(), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONDONTWRITEBYTECODE: '1',
  };
  if (launch.nprocPerNode === 1 && launch.nnodes === 1) return { command: launch.python, args: trainer, env };
  const rendezvous =
    launch.nnodes > 1 || launch.rdzvEndpoint
      ? [
          '--nnodes',
          String(launch.nnodes),
          '--rdzv_backend',
          'c10d',
          '--rdzv_endpoint',
          launch.rdzvEndpoint ?? 'localhost:29400',
          '--rdzv_id',
          runId,
        ]
      : ['--standalone', '--nnodes', '1'];
  return {
    command: launch.python,
    args: [
      '-m',
      'torch.distributed.run',
      ...rendezvous,
      '--nproc_per_node',
      String(launch.nprocPerNode),
      ...(launch.maxRestarts ? ['--max_restarts', String(launch.maxRestarts)] : []),
      '--redirects',
      '1',
      '--tee',
      '1',
      ...trainer,
    ],
    env,
  };
}

/** A command as one line of a shell script, every word quoted. */
export function shellLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
