import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { asDiskFull, processAlive } from '../util/atomic-write';

export const LOCK_FILE = 'run.lock';

/** Another live process holds the run folder. */
export class RunLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunLockedError';
  }
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

export interface RunLock {
  readonly file: string;
  release(): void;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return undefined;
    return { pid: owner.pid, host: owner.host, startedAt: String(owner.startedAt) };
  } catch {
    return undefined;
  }
}

/**
 * Takes `dir`'s lock so two processes never write one run at once (two `--resume` of one run
 * would interleave their epochs). The lock file is written whole beside it and hard-linked into
 * place, which fails when one exists: a reader never sees half a lock. A lock whose process is
 * gone (kill -9, a crash) is taken over; one of a live process, or of another machine sharing the
 * folder, is refused with its pid.
 */
export function lockRun(dir: string): RunLock {
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  const mine = JSON.stringify(me);
  const staged = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(staged, mine);
  } catch (error) {
    throw asDiskFull(error, staged);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(staged, file);
        // process.exit (a second Ctrl-C) skips the callers' finally blocks, not 'exit' listeners.
        const onExit = (): void => releaseLock(file, mine);
        process.once('exit', onExit);
        return {
          file,
          release: () => {
            process.removeListener('exit', onExit);
            releaseLock(file, mine);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw asDiskFull(error, file);
      }
      const owner = readOwner(file);
      const refusal = owner && whyRefused(owner, me, dir, file);
      if (refusal) throw new RunLockedError(refusal);
      // A dead owner's lock (or an unreadable one, which only a hand edit makes): remove it and try again.
      fs.rmSync(file, { force: true });
    }
    throw new RunLockedError(`${dir}: could not take ${LOCK_FILE}; another process keeps taking it`);
  } finally {
    fs.rmSync(staged, { force: true });
  }
}

/** Why a lock's owner keeps us out, or undefined when its lock is stale. */
function whyRefused(owner: LockOwner, me: LockOwner, dir: string, file: string): string | undefined {
  const since = `since ${owner.startedAt}`;
  if (owner.host !== me.host) {
    return (
      `run is in use by pid ${owner.pid} on ${owner.host} ${since} (${file}); delete that ` +
      `file if the process is gone`
    );
  }
  if (owner.pid === process.pid) return `run is in use by pid ${owner.pid} (this process) (${dir})`;
  if (processAlive(owner.pid))
    return `run is in use by pid ${owner.pid} ${since} (${dir}); wait for it to finish or stop it`;
  return undefined;
}

function releaseLock(file: string, mine: string): void {
  try {
    // Only our own: a lock taken over after we were presumed dead belongs to its new owner.
    if (fs.readFileSync(file, 'utf8') === mine) fs.unlinkSync(file);
  } catch {
    // Already gone.
  }
}
