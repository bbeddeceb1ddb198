import { handleRequest } from './handle-request';
import { parseEngineRequest, type EngineMessage } from './protocol';
import { executeEval } from './run/execute-eval';
import { executeTorchEval } from './run/execute-torch-eval';
import { executeTrain } from './run/execute-train';
import { executeTorchTrain } from './torch/execute-torch-train';
import type { RunMessage } from './run/run-messages';

// Entry point of the engine child process, started with an IPC channel (child_process.fork).
if (!process.send) {
  process.stderr.write('robustness-lens engine: start this worker with child_process.fork (it needs an IPC channel)\n');
  process.exit(2);
}

const send = (message: EngineMessage): void => {
  process.send?.(message);
};

/** Runs in progress, by the id of the request that started them. */
const cancelled = new Map<number, boolean>();

process.on('message', (raw: unknown) => {
  const request = parseEngineRequest(raw);
  if (!request) {
    const id =
      typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number'
        ? (raw as { id: number }).id
        : -1;
    send({ id, type: 'error', message: 'malformed request', diagnostics: [] });
    return;
  }
  switch (request.type) {
    case 'describe':
      try {
        send(handleRequest(request));
      } catch (error) {
        send({
          id: request.id,
          type: 'error',
          message: `internal error: ${(error as Error).message}`,
          diagnostics: [],
        });
      }
      return;
    case 'cancel':
      if (cancelled.has(request.target)) cancelled.set(request.target, true);
      return;
    case 'train':
    case 'eval': {
      const id = request.id;
      cancelled.set(id, false);
      const stream = (message: RunMessage): void => send({ id, type: 'run', message });
      const isCancelled = (): boolean => cancelled.get(id) === true;
      const torch = request.type === 'train' ? request.options.torch : undefined;
      if (request.type === 'train' && torch) {
        executeTorchTrain(request.options, torch, stream, isCancelled)
          .then(
            (outcome) =>
              'submitted' in outcome
                ? send({ id, type: 'submitted', ...outcome.submitted })
                : stream({ type: 'result', result: outcome.summary }),
            (error: unknown) => stream({ type: 'error', message: (error as Error).message }),
          )
          .finally(() => cancelled.delete(id));
        return;
      }
      const run =
        request.type === 'train'
          ? executeTrain(request.options, stream, isCancelled)
          : request.options.torch
            ? executeTorchEval({ ...request.options, ...request.options.torch }, stream, isCancelled)
            : executeEval(request.options, stream, isCancelled);
      run
        .then(
          (result) => stream({ type: 'result', result }),
          (error: unknown) => stream({ type: 'error', message: (error as Error).message }),
        )
        .finally(() => cancelled.delete(id));
      return;
    }
  }
});

// The parent going away ends the worker: no orphaned engine processes.
process.on('disconnect', () => process.exit(0));
