import * as fs from 'node:fs';

/**
 * Resident memory of this process, for the AutoAttack memory trace (ROBUSTNESS_LENS_MEMORY_TRACE=1)
 * and the AutoAttack bench. Linux reports the peak since start (or since the last `resetPeak`) as
 * VmHWM; elsewhere the peak is unknown and only the current figure is given.
 */
export interface MemoryFigures {
  /** process.memoryUsage().rss, in MiB. */
  readonly rssMiB: number;
  /** VmHWM of /proc/self/status, in MiB; undefined where there is no such file. */
  readonly peakMiB: number | undefined;
}

const MIB = 1024 * 1024;

export function memoryFigures(): MemoryFigures {
  return { rssMiB: Math.round(process.memoryUsage().rss / MIB), peakMiB: peakResidentMiB() };
}

function peakResidentMiB(): number | undefined {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a new peak (Linux: writing 5 to clear_refs resets VmHWM to the current RSS), so each
 * attack's own peak can be read; false where that is not possible. The kernel's figure for the
 * whole process (getrusage, `/usr/bin/time -v`) then covers only the time since the last reset:
 * with the trace on, the process's peak is the largest traced one.
 */
export function resetPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export function memoryTraceEnabled(): boolean {
  return process.env.ROBUSTNESS_LENS_MEMORY_TRACE === '1';
}

/** One line on stderr: what ran, then resident and peak memory. */
export function traceMemory(label: string): void {
  const { rssMiB, peakMiB } = memoryFigures();
  process.stderr.write(`memory: ${label}: rss ${rssMiB} MiB, peak ${peakMiB ?? 'unknown'} MiB\n`);
}
