import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { asDiskFull, processAlive, removeStaleTemporaries, writeJsonAtomic } from '../util/atomic-write';
import { lockRun, type RunLock } from './run-lock';

/** Where every run keeps its files, so nothing depends on the editor staying open. */
export function runsRoot(workspace: string): string {
  return path.join(workspace, '.robustness-lens', 'runs');
}

/** A sortable, unique run id: the start time and a few random characters. */
export function newRunId(kind: 'train' | 'eval', now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${kind}-${crypto.randomBytes(3).toString('hex')}`;
}

export interface RunEnvironment {
  readonly backend: string;
  readonly device: string;
  readonly notes: readonly string[];
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly startedAt: string;
}

export function describeEnvironment(backend: string, device: string, notes: readonly string[]): RunEnvironment {
  const cpus = os.cpus();
  return {
    backend,
    device,
    notes,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    startedAt: new Date().toISOString(),
  };
}

export class RunDirectory {
  constructor(
    readonly dir: string,
    readonly id: string,
  ) {}

  static create(workspace: string, kind: 'train' | 'eval', id = newRunId(kind)): RunDirectory {
    return new RunDirectory(path.join(runsRoot(workspace), id), id);
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(this.file(name), value);
  }

  /**
   * Creates a run folder holding `files` from its first moment: they are written into a hidden
   * staging folder that is renamed into place, so a kill at the first write leaves either no run
   * or one whose settings are all there (and resume can use it). Staging folders of processes
   * that died are removed on the way.
   */
  static publish(workspace: string, kind: 'train' | 'eval', files: Readonly<Record<string, unknown>>): RunDirectory {
    const root = runsRoot(workspace);
    removeDeadStaging(root);
    const id = newRunId(kind);
    const staging = new RunDirectory(path.join(root, `.${id}.${process.pid}.partial`), id);
    try {
      for (const [name, value] of Object.entries(files)) staging.writeJson(name, value);
      fs.renameSync(staging.dir, path.join(root, id));
    } catch (error) {
      fs.rmSync(staging.dir, { recursive: true, force: true });
      throw asDiskFull(error, staging.dir);
    }
    return new RunDirectory(path.join(root, id), id);
  }

  /** Takes the folder's lock (see lockRun) and removes what killed writers left in it. */
  lock(): RunLock {
    const lock = lockRun(this.dir);
    removeStaleTemporaries(this.dir);
    return lock;
  }
}

const STAGING = /^\..*\.(\d+)\.partial$/;

function removeDeadStaging(root: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = STAGING.exec(name);
    if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}
