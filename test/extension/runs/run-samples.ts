import type { RunSummary } from '../../../src/engine/run/run-messages';
import type { RunRecord } from '../../../webview/src/results/protocol';

/** Run files shaped as the engine writes them (see execute-eval.ts, execute-train.ts). */
export const evalConfig = {
  kind: 'eval',
  model: { file: '/ws/mnist-small.arch.yaml', name: 'MNIST-small', params: 28_000, weights: null },
  data: 'mnist',
  threat: { norm: 'Linf', eps: 0.3 },
  attacks: ['fgsm', 'pgd'],
  samples: 50,
  seed: 0,
};

export function evalSummary(runId: string): RunSummary {
  return {
    runId,
    runDir: `/ws/.robustness-lens/runs/${runId}`,
    kind: 'eval',
    status: 'completed',
    evaluation: {
      threat: { norm: 'Linf', eps: 0.3 },
      samples: 50,
      cleanAccuracy: 0.9,
      attacks: [
        { name: 'fgsm', robustAccuracy: 0.3, seconds: 1.5 },
        { name: 'pgd', robustAccuracy: 0.12, seconds: 4.25 },
      ],
      robustAccuracy: 0.12,
      perSample: { indices: [0, 1], clean: [1, 0], robust: [0, 0] },
      seconds: 6,
    },
  };
}

export function trainSummary(runId: string): RunSummary {
  const epoch = (n: number) => ({
    epoch: n,
    trainLoss: 1 / n,
    trainAccuracy: 0.5,
    learningRate: 0.1,
    eps: 0.3,
    cleanAccuracy: 0.8 + n / 100,
    fgsmAccuracy: 0.4,
    pgdAccuracy: 0.3,
    seconds: 10,
  });
  return {
    runId,
    runDir: `/ws/.robustness-lens/runs/${runId}`,
    kind: 'train',
    status: 'completed',
    history: [epoch(1), epoch(2)],
  };
}

export function evalRecord(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    dir: `/ws/.robustness-lens/runs/${id}`,
    kind: 'eval',
    config: evalConfig,
    environment: { backend: 'wasm', device: 'CPU' },
    state: 'finished',
    result: evalSummary(id),
    ...overrides,
  };
}
