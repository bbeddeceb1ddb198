import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomic-write';

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
  return { backend, device, notes, node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, startedAt: new Date().toISOString() };
}

export class RunDirectory {
  constructor(readonly dir: string, readonly id: string) {}

  static create(workspace: string, kind: 'train' | 'eval', id = newRunId(kind)): RunDirectory {
    return new RunDirectory(path.join(runsRoot(workspace), id), id);
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  writeJson(name: string, value: unknown): void {
    writeJsonAtomic(this.file(name), value);
  }
}
