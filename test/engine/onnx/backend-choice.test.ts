import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { parseEngineRequest } from '../../../src/engine/protocol';
import {
  selectEvalBackend,
  selectTrainBackend,
  type BackendChoiceProbe,
  type OrtProvider,
} from '../../../src/engine/run/backend-choice';
import type { SelectedBackend, TfjsBackendChoice } from '../../../src/engine/tfjs/select-backend';

/** A machine where exactly the listed back ends work; the others fail with a reason naming them. */
function machine(works: {
  ort?: readonly OrtProvider[];
  tfjs?: readonly TfjsBackendChoice[];
}): BackendChoiceProbe & { tfjsCalls: (TfjsBackendChoice | undefined)[] } {
  const ort = works.ort ?? [];
  const tfjs = works.tfjs ?? [];
  const tfjsCalls: (TfjsBackendChoice | undefined)[] = [];
  const active = (choice: TfjsBackendChoice): SelectedBackend => ({
    name: choice === 'wasm' || choice === 'cpu' ? choice : 'tensorflow',
    device: `device of ${choice}`,
    notes: [`using ${choice}`],
  });
  return {
    tfjsCalls,
    onnxRuntime: async (provider) => (ort.includes(provider) ? undefined : `no ${provider} provider here`),
    tfjs: async (preferred) => {
      tfjsCalls.push(preferred);
      if (preferred === undefined) {
        const first = (['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const).find((c) => tfjs.includes(c));
        if (!first) throw new Error('no tfjs back end could start');
        return active(first);
      }
      if (!tfjs.includes(preferred)) throw new Error(`the ${preferred} back end is not available: not installed`);
      return active(preferred);
    },
    ortVersion: () => '1.30.0',
    threads: () => 2,
  };
}

describe('the evaluation back end', () => {
  it('automatically prefers ONNX Runtime on CUDA, with tfjs loading the model', async () => {
    const b = await selectEvalBackend(
      undefined,
      machine({ ort: ['cuda', 'cpu'], tfjs: ['tfjs-node-gpu', 'wasm', 'cpu'] }),
    );
    assert.equal(b.name, 'onnxruntime');
    assert.deepEqual(b.onnx, { provider: 'cuda', threads: 2 });
    assert.match(b.device, /CUDA GPU \(onnxruntime-node 1\.30\.0\)/);
    assert.equal(b.automatic, true);
    assert.equal(b.tfjs.name, 'tensorflow');
  });

  it('then tfjs-node-gpu, saying why ONNX Runtime on CUDA was passed over', async () => {
    const b = await selectEvalBackend(undefined, machine({ ort: ['cpu'], tfjs: ['tfjs-node-gpu', 'wasm', 'cpu'] }));
    assert.equal(b.name, 'tensorflow');
    assert.equal(b.device, 'device of tfjs-node-gpu');
    assert.equal(b.onnx, undefined);
    assert.ok(b.notes.includes('onnxruntime on CUDA skipped: no cuda provider here'), b.notes.join('; '));
  });

  it('then ONNX Runtime on the CPU', async () => {
    const b = await selectEvalBackend(undefined, machine({ ort: ['cpu'], tfjs: ['tfjs-node', 'wasm', 'cpu'] }));
    assert.equal(b.name, 'onnxruntime');
    assert.deepEqual(b.onnx, { provider: 'cpu', threads: 2 });
    assert.match(b.device, /CPU \(onnxruntime-node 1\.30\.0, 2 threads\)/);
    assert.ok(
      b.notes.some((n) => /tfjs-node-gpu back end is not available/.test(n)),
      b.notes.join('; '),
    );
    assert.equal(b.tfjs.device, 'device of tfjs-node');
  });

  it('then tfjs native CPU, wasm and plain JavaScript, each skip explained', async () => {
    const b = await selectEvalBackend(undefined, machine({ tfjs: ['wasm', 'cpu'] }));
    assert.equal(b.name, 'wasm');
    assert.deepEqual(b.notes, [
      'using wasm',
      'onnxruntime on CUDA skipped: no cuda provider here',
      'the tfjs-node-gpu back end is not available: not installed',
      'onnxruntime skipped: no cpu provider here',
      'the tfjs-node back end is not available: not installed',
    ]);
    await assert.rejects(selectEvalBackend(undefined, machine({})), /no back end could start/);
  });

  it('--backend onnxruntime takes CUDA when it starts, else the CPU and says why', async () => {
    const gpu = await selectEvalBackend('onnxruntime', machine({ ort: ['cuda', 'cpu'], tfjs: ['cpu'] }));
    assert.equal(gpu.onnx?.provider, 'cuda');
    assert.equal(gpu.automatic, false);
    const cpu = await selectEvalBackend('onnxruntime', machine({ ort: ['cpu'], tfjs: ['cpu'] }));
    assert.equal(cpu.onnx?.provider, 'cpu');
    assert.ok(cpu.notes.includes('onnxruntime on CUDA skipped: no cuda provider here'));
    await assert.rejects(
      selectEvalBackend('onnxruntime', machine({ tfjs: ['cpu'] })),
      /the onnxruntime back end is not available: no cpu provider here/,
    );
  });

  it('a tfjs choice is that back end or an error, never ONNX Runtime', async () => {
    const probe = machine({ ort: ['cuda', 'cpu'], tfjs: ['wasm', 'cpu'] });
    const b = await selectEvalBackend('wasm', probe);
    assert.equal(b.name, 'wasm');
    assert.equal(b.automatic, false);
    await assert.rejects(selectEvalBackend('tfjs-node', probe), /tfjs-node back end is not available/);
  });
});

describe('the training back end', () => {
  it('automatically takes tfjs-node-gpu first, saying ONNX Runtime trains on the CPU only', async () => {
    const b = await selectTrainBackend(
      undefined,
      machine({ ort: ['cuda', 'cpu'], tfjs: ['tfjs-node-gpu', 'wasm', 'cpu'] }),
    );
    assert.equal(b.name, 'tensorflow');
    assert.equal(b.onnx, undefined);
    assert.ok(
      b.notes.some((n) => /onnxruntime on CUDA skipped: its training graphs run on the CPU provider only/.test(n)),
      b.notes.join('\n'),
    );
  });

  it('then ONNX Runtime on the CPU, ahead of the tfjs CPU back ends', async () => {
    const b = await selectTrainBackend(undefined, machine({ ort: ['cpu'], tfjs: ['tfjs-node', 'wasm', 'cpu'] }));
    assert.equal(b.name, 'onnxruntime');
    assert.deepEqual(b.onnx, { provider: 'cpu', threads: 2 });
    assert.equal(b.automatic, true);
    assert.ok(
      b.notes.some((n) => /tfjs-node-gpu back end is not available/.test(n)),
      b.notes.join('\n'),
    );
  });

  it('then the tfjs back ends when ONNX Runtime cannot run, each skip explained', async () => {
    const b = await selectTrainBackend(undefined, machine({ tfjs: ['wasm', 'cpu'] }));
    assert.equal(b.name, 'wasm');
    assert.ok(
      b.notes.some((n) => /onnxruntime skipped: no cpu provider here/.test(n)),
      b.notes.join('\n'),
    );
  });

  it('a named back end is that one or an error', async () => {
    const probe = machine({ ort: ['cuda', 'cpu'], tfjs: ['wasm', 'cpu'] });
    assert.equal((await selectTrainBackend('cpu', probe)).name, 'cpu');
    const ort = await selectTrainBackend('onnxruntime', probe);
    assert.equal(ort.name, 'onnxruntime');
    assert.equal(ort.automatic, false);
    await assert.rejects(
      selectTrainBackend('onnxruntime', machine({ tfjs: ['wasm'] })),
      /the onnxruntime back end is not available: no cpu provider here/,
    );
  });
});

describe('the engine protocol', () => {
  it('accepts onnxruntime for a run, and refuses unknown back ends', () => {
    const threat = { norm: 'Linf', eps: 0.1 };
    const evalOptions = {
      modelFile: 'm.json',
      data: 'mnist',
      workspace: '/w',
      threat,
      attacks: ['pgd'],
      samples: 10,
      batchSize: 10,
      seed: 0,
    };
    assert.ok(parseEngineRequest({ id: 1, type: 'eval', options: { ...evalOptions, backend: 'onnxruntime' } }));
    assert.equal(parseEngineRequest({ id: 1, type: 'eval', options: { ...evalOptions, backend: 'ort' } }), undefined);
    const trainOptions = { modelFile: 'm.json', data: 'mnist', workspace: '/w', config: { threat } };
    assert.ok(parseEngineRequest({ id: 2, type: 'train', options: { ...trainOptions, backend: 'wasm' } }));
    assert.ok(parseEngineRequest({ id: 2, type: 'train', options: { ...trainOptions, backend: 'onnxruntime' } }));
    assert.equal(
      parseEngineRequest({ id: 2, type: 'train', options: { ...trainOptions, backend: 'cuda' } }),
      undefined,
    );
  });
});

describe('on this machine', { skip: onnxRuntimeProblem() ?? false }, () => {
  it(
    'automatic evaluation passes over CUDA, saying how to install its provider, and runs ' + 'ONNX Runtime on the CPU',
    async () => {
      const b = await selectEvalBackend(undefined);
      if (b.onnx?.provider === 'cuda') return;
      assert.equal(b.name, 'onnxruntime', b.notes.join('; '));
      assert.equal(b.onnx?.provider, 'cpu');
      assert.ok(
        b.notes.some((n) => /onnxruntime on CUDA skipped: .*(--onnxruntime-node-install=cuda12|CUDA)/.test(n)),
        b.notes.join('; '),
      );
    },
  );
});
