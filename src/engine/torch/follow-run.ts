import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunMessage } from '../run/run-messages';

export const EVENTS_FILE = 'events.jsonl';

/**
 * Follows <run>/events.jsonl, which the trainer's rank 0 appends to: calls `onMessage` for every
 * complete line written since the last call, however the run was started (a child process here,
 * a Slurm job on shared storage). Only whole lines are taken, so a line being written is read
 * on the next poll; a malformed line is skipped, not fatal.
 */
export class RunFollower {
  private offset = 0;
  private pending = '';

  /** With `fromEnd`, lines already in the file (a resumed run's earlier events) are skipped. */
  constructor(
    private readonly runDir: string,
    private readonly onMessage: (m: RunMessage) => void,
    fromEnd = false,
  ) {
    if (fromEnd) {
      try {
        this.offset = fs.statSync(path.join(runDir, EVENTS_FILE)).size;
      } catch {
        this.offset = 0;
      }
    }
  }

  poll(): void {
    const file = path.join(this.runDir, EVENTS_FILE);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) this.offset = 0;
      // Bounded reads: a long run's log is taken a megabyte at a time.
      while (this.offset < size) {
        const length = Math.min(size - this.offset, 1 << 20);
        const buffer = Buffer.alloc(length);
        const got = fs.readSync(fd, buffer, 0, length, this.offset);
        if (got <= 0) break;
        this.offset += got;
        this.take(buffer.toString('utf8', 0, got));
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private take(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        this.onMessage(JSON.parse(line) as RunMessage);
      } catch {
        // A torn or foreign line: the next complete one still counts.
      }
    }
  }
}
