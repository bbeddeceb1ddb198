import type { RunMessage } from '../engine/run/run-messages';
import type { CommandIO } from './io';
import { terminalSafe } from './terminal-text';

/**
 * Shows a run's messages on a terminal: a progress bar redrawn in place on a TTY, else one line
 * per tenth of the work (CI logs), plus every epoch's metrics and the notes about the back end.
 */
export function progressPrinter(io: CommandIO, tty: boolean, write: (text: string) => void): (m: RunMessage) => void {
  let lastTenth = -1;
  let lastPhase = '';
  let drawn = false;
  const clear = (): void => {
    if (drawn) write('\r\x1b[2K');
    drawn = false;
  };
  return (m) => {
    switch (m.type) {
      case 'started':
        io.err(`run ${m.runId} on ${m.device} (${m.backend})`);
        for (const note of m.notes) io.err(`  ${note}`);
        io.err(`  files: ${m.runDir}`);
        return;
      case 'progress': {
        const share = m.total > 0 ? m.done / m.total : 0;
        const eta =
          m.etaSeconds !== undefined && Number.isFinite(m.etaSeconds) ? ` ETA ${formatDuration(m.etaSeconds)}` : '';
        const rate = m.imagesPerSecond !== undefined ? ` ${m.imagesPerSecond.toFixed(1)} img/s` : '';
        const loss = m.detail ? ` loss ${m.detail.loss.toFixed(4)}` : '';
        const text = `${m.phase} ${bar(share)} ${(100 * share).toFixed(0)}%${loss}${rate}${eta}`;
        if (tty) {
          write(`\r\x1b[2K${terminalSafe(text)}`);
          drawn = true;
        } else if (Math.floor(share * 10) > lastTenth || m.phase !== lastPhase) {
          lastTenth = Math.floor(share * 10);
          io.err(text);
        }
        lastPhase = m.phase;
        return;
      }
      case 'metric': {
        clear();
        const e = m.epoch;
        io.err(
          `epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)}, train acc ` +
            `${pct(e.trainAccuracy)}, clean ${pct(e.cleanAccuracy)}, FGSM ` +
            `${pct(e.fgsmAccuracy)}, PGD ${pct(e.pgdAccuracy)} (eps ${e.eps.toFixed(4)}, lr ` +
            `${e.learningRate.toPrecision(3)}, ${formatDuration(e.seconds)})`,
        );
        lastTenth = -1;
        return;
      }
      case 'checkpoint':
        return;
      case 'result':
      case 'error':
        clear();
        return;
    }
  };
}

function bar(share: number): string {
  const width = 24;
  const full = Math.round(Math.min(1, Math.max(0, share)) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

export function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
