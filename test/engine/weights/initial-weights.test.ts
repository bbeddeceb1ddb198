/**
 * The engine's initial weights, drawn on the host (src/engine/weights/initial-weights.ts): PyTorch's
 * default initialisation per layer kind, the same arrays for the same seed, and no tfjs on the way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import type { Network } from '../../../src/core';
import type { InputShape, ModelState } from '../../../src/engine/model/classifier';
import { onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { OnnxTrainableClassifier } from '../../../src/engine/onnx/onnx-trainable-classifier';
import { networkJson } from '../../../src/engine/pytorch/network-json';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import {
  initialBound,
  initialState,
  initialTensors,
  parameterCount,
} from '../../../src/engine/weights/initial-weights';
import { TRAINING_CASES } from '../onnx/design-cases';
import { networkFromText } from '../onnx/parity-support';
import { repoPath } from '../../helpers/paths';
import { runRepoPython } from '../../helpers/repo-python';
import { NO_TORCH, PYTHON } from './torch-support';

const onnxProblem = onnxRuntimeProblem();

interface Design {
  readonly name: string;
  readonly network: Network;
  readonly shape: InputShape;
}

async function designs(): Promise<Design[]> {
  const out: Design[] = [];
  for (const c of TRAINING_CASES) {
    const network = await networkFromText(c.file, c.text, 10);
    out.push({ name: c.name, network, shape: { height: c.size, width: c.size, channels: network.inputChannels } });
  }
  return out;
}

/** PyTorch's formulas, written out here independently of the code under test. */
const GAIN = Math.sqrt(2 / (1 + 5)); // kaiming_uniform_(a=sqrt(5)): gain = sqrt(2 / (1 + a^2))
const kaimingBound = (fanIn: number): number => Math.sqrt(3) * (GAIN / Math.sqrt(fanIn));
const biasBound = (fanIn: number): number => 1 / Math.sqrt(fanIn);

/** Each tensor's expected rule: a uniform half-width, or a constant. */
function expectedRules(design: Design): Map<string, { bound: number } | { value: number }> {
  const out = new Map<string, { bound: number } | { value: number }>();
  const tensors = initialTensors(design.network, design.shape);
  const fanInOf = new Map<string, number>();
  for (const { slot } of tensors) {
    // A weight's fan-in is every dimension of PyTorch's shape but the output one.
    if (slot.engineName?.endsWith('.weight') && slot.torchShape.length > 1)
      fanInOf.set(
        slot.engineName.slice(0, -'.weight'.length),
        slot.torchShape.slice(1).reduce((a, b) => a * b, 1),
      );
  }
  for (const { slot } of tensors) {
    const name = slot.engineName as string;
    const owner = name.slice(0, name.lastIndexOf('.'));
    const param = name.slice(name.lastIndexOf('.') + 1);
    const fanIn = fanInOf.get(owner);
    if (fanIn !== undefined && param === 'weight') out.set(name, { bound: kaimingBound(fanIn) });
    else if (fanIn !== undefined && param === 'bias') out.set(name, { bound: biasBound(fanIn) });
    else if (param === 'running_var') out.set(name, { value: 1 });
    else if (param === 'running_mean') out.set(name, { value: 0 });
    else if (/\.(activation\.)?(alpha)$/.test(name)) out.set(name, { value: 1 });
    else if (name.endsWith('.beta')) out.set(name, { value: Math.fround(1e-4) });
    // A 1-D weight without a conv/linear owner: a norm's scale (1) or PReLU's slope (0.25).
    else if (param === 'weight') out.set(name, { value: isPrelu(design.network, owner) ? 0.25 : 1 });
    else if (param === 'bias') out.set(name, { value: 0 });
    else assert.fail(`no expected rule for ${name}`);
  }
  return out;
}

function isPrelu(network: Network, layerName: string): boolean {
  const all = [
    ...network.stem.layers,
    ...network.stages.flatMap((s) => s.blocks.flatMap((b) => [...b.layers, ...b.shortcut, ...b.after])),
    ...network.head.layers,
  ];
  const layer = all.find((l) => l.name === layerName);
  return layer?.kind === 'activation' && layer.fn === 'prelu';
}

function sameState(a: ModelState, b: ModelState): boolean {
  if (a.tensors.size !== b.tensors.size) return false;
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name);
    if (!u || u.data.length !== t.data.length || t.data.some((v, i) => !Object.is(v, u.data[i]))) return false;
  }
  return true;
}

describe('initial weights on the host', () => {
  it("draws every tensor by PyTorch's default rule for its layer kind", async () => {
    let uniforms = 0;
    const pooled: number[] = [];
    for (const design of await designs()) {
      const state = initialState(design.network, design.shape, 5);
      const rules = expectedRules(design);
      assert.deepEqual([...state.tensors.keys()].sort(), [...rules.keys()].sort(), design.name);
      for (const [name, rule] of rules) {
        const data = (state.tensors.get(name) as { data: Float32Array }).data;
        if ('value' in rule) {
          assert.ok(
            data.every((v) => v === rule.value),
            `${design.name}: ${name} should be all ${rule.value}`,
          );
          continue;
        }
        uniforms += 1;
        const top = Math.max(...Array.from(data, Math.abs));
        assert.ok(top <= rule.bound, `${design.name}: ${name} reaches ${top}, past its bound ${rule.bound}`);
        // Bounds per tensor: large tensors come close to their bound (a wrong fan-in would not).
        if (data.length >= 64) assert.ok(top > 0.9 * rule.bound, `${design.name}: ${name} only reaches ${top}`);
        for (const v of data) pooled.push(v / rule.bound);
      }
    }
    assert.ok(uniforms > 30, `only ${uniforms} random tensors checked`);
    // Scaled by their bounds, all draws are U(-1, 1): mean 0, std 1/sqrt(3) (kaiming_uniform's
    // std gain/sqrt(fan_in) at the bound sqrt(3) * std).
    const n = pooled.length;
    const mean = pooled.reduce((s, v) => s + v, 0) / n;
    const std = Math.sqrt(pooled.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    assert.ok(n > 20_000, `${n} draws`);
    assert.ok(Math.abs(mean) < 4 / Math.sqrt(3 * n), `mean ${mean}`);
    assert.ok(Math.abs(std - 1 / Math.sqrt(3)) < 0.01, `std ${std}`);
  });

  it('gives the same arrays for the same seed, and other arrays for another', async () => {
    for (const design of await designs()) {
      const a = initialState(design.network, design.shape, 42);
      const b = initialState(design.network, design.shape, 42);
      const c = initialState(design.network, design.shape, 43);
      assert.ok(sameState(a, b), design.name);
      assert.ok(!sameState(a, c), design.name);
    }
  });

  it("counts the learned parameters as PyTorch's parameters() does (running statistics left out)", async () => {
    const [small] = await designs();
    assert.ok(small);
    const state = initialState(small.network, small.shape, 0);
    let expected = 0;
    for (const [name, t] of state.tensors) if (!/running_(mean|var)$/.test(name)) expected += t.data.length;
    assert.equal(parameterCount(small.network, small.shape), expected);
  });

  it(
    "matches PyTorch's own draws: the same constants, and random tensors within the same bounds",
    { skip: NO_TORCH },
    async () => {
      for (const design of await designs()) {
        // PyTorch's IrModel (python/ir_model.py) is built with torch.nn's default initialisation.
        const script = [
          'import json, sys, torch',
          'from ir_model import IrModel',
          'torch.manual_seed(0)',
          'm = IrModel(json.loads(sys.stdin.read()))',
          'out = {k: [float(v.min()), float(v.max()), v.numel()] for k, v in m.state_dict().items() ' +
            'if v.dtype.is_floating_point}',
          'print(json.dumps(out))',
        ];
        const theirs = JSON.parse(runRepoPython(PYTHON, script, JSON.stringify(networkJson(design.network)))) as Record<
          string,
          [number, number, number]
        >;
        const ours = initialState(design.network, design.shape, 0);
        for (const { slot, rule } of initialTensors(design.network, design.shape)) {
          const got = theirs[slot.irName];
          assert.ok(got, `${design.name}: PyTorch has no ${slot.irName}`);
          const [lo, hi, n] = got;
          const data = (ours.tensors.get(slot.engineName as string) as { data: Float32Array }).data;
          assert.equal(data.length, n, slot.irName);
          if (rule.kind === 'constant') {
            assert.ok(
              lo === hi && data.every((v) => v === lo),
              `${design.name}: ${slot.irName} is [${lo}, ${hi}] in PyTorch, ${rule.value} here`,
            );
            continue;
          }
          // PyTorch's draws lie within the bound we draw from, and large tensors come close to it.
          const bound = initialBound(rule);
          const reach = Math.max(Math.abs(lo), Math.abs(hi));
          assert.ok(reach <= bound * (1 + 1e-6), `${design.name}: ${slot.irName} reaches ${reach} > ${bound}`);
          if (n >= 64)
            assert.ok(reach > 0.9 * bound, `${design.name}: ${slot.irName} reaches only ${reach} of ${bound}`);
        }
      }
    },
  );

  it('fits the tfjs and ONNX Runtime models exactly: the same names, shapes and parameter count', async () => {
    await selectTfjsBackend('cpu');
    for (const design of await designs()) {
      const state = initialState(design.network, design.shape, 8);
      const tfjs = new TfjsClassifier(design.network, { inputShape: design.shape, numClasses: 10, seed: 1 });
      try {
        const theirs = await tfjs.getState();
        assert.deepEqual(
          [...state.tensors].map(([k, t]) => `${k} [${t.shape.join(',')}]`).sort(),
          [...theirs.tensors].map(([k, t]) => `${k} [${t.shape.join(',')}]`).sort(),
          design.name,
        );
        // In the same order too (parameters, then running statistics): the PyTorch trainer reads init.rlck by position.
        assert.deepEqual([...state.tensors.keys()], [...theirs.tensors.keys()], design.name);
        assert.equal(parameterCount(design.network, design.shape), tfjs.paramCount(), design.name);
        await tfjs.setState(state);
        assert.ok(sameState(await tfjs.getState(), state), design.name);
      } finally {
        tfjs.dispose();
      }
      if (onnxProblem) continue;
      const ort = await OnnxTrainableClassifier.create(design.network, state, {
        inputShape: design.shape,
        numClasses: 10,
      });
      try {
        assert.ok(sameState(await ort.getState(), state), design.name);
        assert.equal(ort.paramCount(), parameterCount(design.network, design.shape), design.name);
      } finally {
        ort.dispose();
      }
    }
  });

  it('is drawn, and ONNX Runtime models are built from it, without loading tfjs', async () => {
    // What each entry bundles, from esbuild's metafile: the module graph a process would load.
    for (const entry of [
      'src/engine/weights/initial-weights.ts',
      'src/engine/run/model-plan.ts',
      'src/engine/onnx/onnx-classifier.ts',
      'src/engine/onnx/onnx-trainable-classifier.ts',
    ]) {
      const result = await esbuild.build({
        entryPoints: [repoPath(entry)],
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format: 'cjs',
        external: ['onnxruntime-node', 'web-tree-sitter'],
        logLevel: 'silent',
        define: { 'import.meta.url': '""' },
      });
      const inputs = Object.keys(result.metafile.inputs);
      assert.ok(
        inputs.some((f) => f.endsWith(entry)),
        `${entry} is in its own bundle`,
      );
      assert.deepEqual(
        inputs.filter((f) => /@tensorflow/.test(f)),
        [],
        `${entry} loads tfjs`,
      );
    }
  });
});
