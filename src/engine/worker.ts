import { handleRequest } from './handle-request';
import { parseEngineRequest, type EngineMessage } from './protocol';

// Entry point of the engine child process, started with an IPC channel (child_process.fork).
if (!process.send) {
  process.stderr.write('robustness-lens engine: start this worker with child_process.fork (it needs an IPC channel)\n');
  process.exit(2);
}

const send = (message: EngineMessage): void => {
  process.send?.(message);
};

process.on('message', (raw: unknown) => {
  const request = parseEngineRequest(raw);
  if (!request) {
    const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : -1;
    send({ id, type: 'error', message: 'malformed request', diagnostics: [] });
    return;
  }
  try {
    send(handleRequest(request));
  } catch (error) {
    send({ id: request.id, type: 'error', message: `internal error: ${(error as Error).message}`, diagnostics: [] });
  }
});

// The parent going away ends the worker: no orphaned engine processes.
process.on('disconnect', () => process.exit(0));
