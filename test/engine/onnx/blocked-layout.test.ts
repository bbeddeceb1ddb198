import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { before, describe, it } from 'node:test';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { nchwcBlockSize } from '../../../src/engine/onnx/block-size';
import { blockLayouts } from '../../../src/engine/onnx/blocked-layout';
import { bufferInput, paramInput } from '../../../src/engine/onnx/emit-train-network';
import { float, GraphBuilder, size, type Shape } from '../../../src/engine/onnx/graph-builder';
import { loadOnnxRuntime, onnxRuntimeProblem, type OnnxRuntime } from '../../../src/engine/onnx/load-onnxruntime';
import { NCHWC_DOMAIN } from '../../../src/engine/onnx/nchwc-ops';
import { decodeNodes, type NodeMessage } from '../../../src/engine/onnx/onnx-proto';
import {
  evalGradientModel,
  momentumInput,
  trainStepModel,
  TRAIN_IO,
  type EmittedGraph,
  type TrainGraphSource,
} from '../../../src/engine/onnx/train-graphs';
import { repoPath } from '../../helpers/paths';
import { TRAINING_CASES } from './design-cases';
import { networkFromText, randomValues } from './parity-support';

/** Blocked and plain graphs differ only in the order of float32 sums. */
const TOLERANCE = 1e-5;
/**
 * Raw gradients (momentum buffers, input gradients) cancel more, and these graphs run on weights
 * far from any trained ones: the same order changes show up to about 2e-4 there.
 */
const GRADIENT_TOLERANCE = 5e-4;

const problem = onnxRuntimeProblem();

/** max |a - e| over max(max |e|, floor). */
function scaledError(actual: Float32Array, expected: Float32Array, floor: number): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return diff / scale;
}

async function run(
  ort: OnnxRuntime,
  bytes: Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Float32Array>> {
  const session: InferenceSession = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function ops(nodes: readonly NodeMessage[], op: string, domain = ''): NodeMessage[] {
  return nodes.filter((n) => n.opType === op && (n.domain ?? '') === domain);
}

/** ReorderInputs of 4-d values other than weights (which the pass reorders with ReorderInput too). */
function reorderedActivations(nodes: readonly NodeMessage[]): number {
  return ops(nodes, 'ReorderInput', NCHWC_DOMAIN).filter((n) => !/^(w|p:)/.test(n.input[0] ?? '')).length;
}

/** The CPU's widest vector extension, from /proc/cpuinfo where there is one. */
function cpuFlags(): Set<string> {
  try {
    const line = fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    return new Set(line?.split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

describe('blocked-layout pass', { skip: problem ?? false }, () => {
  let ort: OnnxRuntime;
  let block: number | undefined;

  before(async () => {
    ort = loadOnnxRuntime();
    block = await nchwcBlockSize(ort);
  });

  it('reads the channel block MLAS uses on this CPU (16 with AVX-512, 8 with AVX2)', () => {
    const flags = cpuFlags();
    if (process.arch !== 'x64' || flags.size === 0) return;
    if (flags.has('avx512f')) assert.equal(block, 16);
    else if (flags.has('avx2')) assert.equal(block, 8);
  });

  /**
   * Builds a graph twice, once rewritten by the pass, runs both on the same inputs and returns
   * the rewritten graph's nodes after checking every output agrees.
   */
  async function rewriteAndCompare(
    build: (g: GraphBuilder, b: number) => void,
    inputs: Record<string, Shape>,
    tolerance = TOLERANCE,
  ): Promise<readonly NodeMessage[]> {
    const b = block as number;
    const plain = new GraphBuilder();
    build(plain, b);
    const blocked = new GraphBuilder();
    build(blocked, b);
    blockLayouts(blocked, b);
    const feeds: Record<string, Tensor> = {};
    let seed = 11;
    for (const [name, shape] of Object.entries(inputs))
      feeds[name] = new ort.Tensor('float32', randomValues(size(shape), seed++), [...shape]);
    const expected = await run(ort, plain.toBytes(), feeds);
    const actual = await run(ort, blocked.toBytes(), feeds);
    for (const name of plain.outputNames()) {
      const error = scaledError(actual[name] as Float32Array, expected[name] as Float32Array, 1);
      assert.ok(error <= tolerance, `${name} differs by ${error.toExponential(2)}`);
    }
    return blocked.nodeList();
  }

  it(
    'keeps a conv chain blocked from a 3-channel input to the output, folding the ReLU and ' +
      'the residual Add into the convs',
    async (t) => {
      if (!block) return t.skip('no blocked kernels on this CPU');
      const nodes = await rewriteAndCompare(
        (g, b) => {
          const x = g.input('x', [2, 3, 16, 16]);
          const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1] };
          const h = g.node(
            'Relu',
            [g.node('Conv', [x, g.input('w1', [b, 3, 3, 3]), g.input('b1', [b])], [2, b, 16, 16], attrs)],
            [2, b, 16, 16],
          );
          const y = g.node('Conv', [h, g.input('w2', [b, b, 3, 3])], [2, b, 16, 16], attrs);
          g.output(g.node('Add', [y, h], [2, b, 16, 16]), 'y');
        },
        { x: [2, 3, 16, 16], w1: [block, 3, 3, 3], b1: [block], w2: [block, block, 3, 3] },
      );
      assert.equal(ops(nodes, 'Conv', NCHWC_DOMAIN).length, 2);
      assert.equal(ops(nodes, 'Conv').length, 0);
      const [first, second] = ops(nodes, 'Conv', NCHWC_DOMAIN) as [NodeMessage, NodeMessage];
      assert.equal(first.input[0], 'x', 'a 3-channel input is read plain by the first conv');
      assert.equal(reorderedActivations(nodes), 0);
      assert.equal(ops(nodes, 'ReorderOutput', NCHWC_DOMAIN).length, 1, 'one reorder, for the graph output');
      assert.equal(
        ops(nodes, 'Relu').length + ops(nodes, 'Add').length,
        0,
        'the ReLU and the Add are folded into the convs',
      );
      assert.ok(first.attribute.some((a) => a.name === 'activation'));
      assert.equal(second.input.length, 4, "the residual is the second conv's sum input");
    },
  );

  it('runs strided, dilated, grouped, depthwise and 1x1 convs on the blocked kernels', async (t) => {
    if (!block) return t.skip('no blocked kernels on this CPU');
    const b = block;
    const nodes = await rewriteAndCompare(
      (g) => {
        let h = g.node(
          'Conv',
          [g.input('x', [2, 2 * b, 31, 31]), g.input('w0', [2 * b, 2 * b, 3, 3])],
          [2, 2 * b, 16, 16],
          { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
        );
        h = g.node('Conv', [h, g.input('w1', [2 * b, 2 * b, 3, 3])], [2, 2 * b, 16, 16], {
          kernel_shape: [3, 3],
          dilations: [2, 2],
          pads: [2, 2, 2, 2],
        });
        h = g.node('Conv', [h, g.input('w2', [2 * b, b, 3, 3])], [2, 2 * b, 16, 16], {
          kernel_shape: [3, 3],
          pads: [1, 1, 1, 1],
          group: 2,
        });
        h = g.node('Conv', [h, g.input('w3', [2 * b, 1, 5, 5])], [2, 2 * b, 16, 16], {
          kernel_shape: [5, 5],
          pads: [2, 2, 2, 2],
          group: 2 * b,
        });
        g.output(
          g.node('Conv', [h, g.input('w4', [b, 2 * b, 1, 1]), g.input('b4', [b])], [2, b, 16, 16], {
            kernel_shape: [1, 1],
          }),
          'y',
        );
      },
      {
        x: [2, 2 * b, 31, 31],
        w0: [2 * b, 2 * b, 3, 3],
        w1: [2 * b, 2 * b, 3, 3],
        w2: [2 * b, b, 3, 3],
        w3: [2 * b, 1, 5, 5],
        w4: [b, 2 * b, 1, 1],
        b4: [b],
      },
    );
    assert.equal(ops(nodes, 'Conv', NCHWC_DOMAIN).length, 5);
    assert.equal(ops(nodes, 'Conv').length, 0);
  });

  it('leaves plain the convs whose channels do not fill blocks, and reorders only at their edges', async (t) => {
    if (!block) return t.skip('no blocked kernels on this CPU');
    const b = block;
    const c = b + 4;
    const nodes = await rewriteAndCompare(
      (g) => {
        const h = g.node('Conv', [g.input('x', [2, b, 16, 16]), g.input('w0', [b, b, 3, 3])], [2, b, 16, 16], {
          kernel_shape: [3, 3],
          pads: [1, 1, 1, 1],
        });
        // Neg, unlike an activation, stays a node of its own: blocked, between the two convs.
        const odd = g.node('Conv', [g.node('Neg', [h], [2, b, 16, 16]), g.input('w1', [c, b, 1, 1])], [2, c, 16, 16], {
          kernel_shape: [1, 1],
        });
        g.output(g.node('Tanh', [odd], [2, c, 16, 16]), 'y');
      },
      { x: [2, b, 16, 16], w0: [b, b, 3, 3], w1: [c, b, 1, 1] },
    );
    assert.equal(ops(nodes, 'Conv', NCHWC_DOMAIN).length, 1);
    assert.equal(ops(nodes, 'Conv').length, 1, `${c} output channels stay plain`);
    assert.equal(ops(nodes, 'Neg').length, 1);
    assert.equal(reorderedActivations(nodes), 1, 'one reorder, of the input');
    assert.equal(ops(nodes, 'ReorderOutput', NCHWC_DOMAIN).length, 1, 'one reorder, before the plain conv');
  });

  it('leaves plain a conv with fewer output positions than are worth reordering its weight for', async (t) => {
    if (!block) return t.skip('no blocked kernels on this CPU');
    const b = block;
    const nodes = await rewriteAndCompare(
      (g) => {
        const h = g.node('Conv', [g.input('x', [2, b, 15, 15]), g.input('w0', [b, b, 3, 3])], [2, b, 8, 8], {
          kernel_shape: [3, 3],
          strides: [2, 2],
          pads: [1, 1, 1, 1],
        });
        g.output(g.node('Conv', [h, g.input('w1', [b, b, 1, 1])], [2, b, 8, 8], { kernel_shape: [1, 1] }), 'y');
      },
      { x: [2, b, 15, 15], w0: [b, b, 3, 3], w1: [b, b, 1, 1] },
    );
    assert.equal(ops(nodes, 'Conv').length, 2, '2 images of 8x8 positions');
    assert.equal(nodes.filter((n) => n.domain === NCHWC_DOMAIN).length, 0);
  });

  it(
    'turns per-channel affine maps and inference BatchNorm into depthwise convs and channel ' + 'reductions into pools',
    async (t) => {
      if (!block) return t.skip('no blocked kernels on this CPU');
      const c = 2 * block;
      const s: Shape = [2, c, 16, 16];
      const nodes = await rewriteAndCompare(
        (g) => {
          const x = g.node('Conv', [g.input('x', s), g.input('w', [c, c, 1, 1])], s, { kernel_shape: [1, 1] });
          const scaled = g.node('Mul', [x, g.input('scale', [1, c, 1, 1])], s);
          const added = g.node('Add', [scaled, g.input('bias', [c, 1, 1])], s);
          const shifted = g.node(
            'Sub',
            [g.input('shift', [c, 1, 1]), g.node('Sub', [added, g.input('offset', [1, c, 1, 1])], s)],
            s,
          );
          const mean = g.node('Mul', [g.input('mean', [c]), g.scalar(0.1)], [c]);
          const spread = g.input('var', [c]);
          const variance = g.node('Add', [g.node('Mul', [spread, spread], [c]), g.scalar(0.5)], [c]);
          const bn = g.node(
            'BatchNormalization',
            [shifted, g.input('gamma', [c]), g.input('beta', [c]), mean, variance],
            s,
            { epsilon: float(1e-3) },
          );
          g.output(g.node('ReduceSum', [bn, g.ints([0, 2, 3])], [c], { keepdims: 0 }), 'channel_sum');
          g.output(g.node('ReduceMean', [bn], [2, c, 1, 1], { axes: [2, 3], keepdims: 1 }), 'position_mean');
          g.output(g.node('ReduceMax', [bn], [2, c, 1, 1], { axes: [2, 3], keepdims: 1 }), 'position_max');
          g.output(g.node('ReduceMean', [bn], [1, c, 1, 1], { axes: [0, 2, 3], keepdims: 1 }), 'channel_mean');
        },
        {
          x: s,
          w: [c, c, 1, 1],
          scale: [1, c, 1, 1],
          shift: [c, 1, 1],
          bias: [c, 1, 1],
          offset: [1, c, 1, 1],
          mean: [c],
          var: [c],
          gamma: [c],
          beta: [c],
        },
      );
      assert.equal(
        ops(nodes, 'Conv', NCHWC_DOMAIN).length,
        6,
        'the conv, the Mul, the Add, the two Subs and the BatchNorm',
      );
      assert.equal(ops(nodes, 'BatchNormalization').length, 0);
      assert.equal(
        ops(nodes, 'GlobalAveragePool', NCHWC_DOMAIN).length + ops(nodes, 'GlobalMaxPool', NCHWC_DOMAIN).length,
        4,
      );
      assert.equal(ops(nodes, 'ReorderOutput', NCHWC_DOMAIN).length, 0, 'every reduction reads the blocked value');
    },
  );

  it('carries a boolean value from the blocked layout to a plain consumer', async (t) => {
    if (!block) return t.skip('no blocked kernels on this CPU');
    const c = block;
    const s: Shape = [2, c, 16, 16];
    await rewriteAndCompare(
      (g) => {
        const x = g.node('Conv', [g.input('x', s), g.input('w', [c, c, 1, 1])], s, { kernel_shape: [1, 1] });
        const positive = g.node('Greater', [x, g.scalar(0)], s);
        // A per-channel slope keeps the Where plain: the comparison must reach it plain.
        const slope = g.node('Where', [positive, g.scalar(1), g.input('slope', [c, 1, 1])], s);
        g.output(g.node('Mul', [x, slope], s), 'y');
      },
      { x: s, w: [c, c, 1, 1], slope: [c, 1, 1] },
    );
  });

  /** Random graph inputs for a training or input-gradient graph. */
  function graphFeeds(
    graph: EmittedGraph,
    source: TrainGraphSource,
    n: number,
    train: boolean,
  ): Record<string, Tensor> {
    const feeds: Record<string, Tensor> = {};
    let seed = 3;
    const values = (count: number, f: (u: number) => number): Float32Array =>
      Float32Array.from(randomValues(count, seed++), f);
    for (const p of graph.params)
      feeds[paramInput(p.name)] = new ort.Tensor(
        'float32',
        values(size(p.shape), (u) => 0.3 * u),
        [...p.shape],
      );
    for (const b of graph.buffers)
      feeds[bufferInput(b.name)] = new ort.Tensor(
        'float32',
        values(size(b.shape), (u) => (b.name.endsWith('running_var') ? 1 + 0.5 * u : 0.1 * u)),
        [...b.shape],
      );
    const { height, width, channels } = source.inputShape;
    feeds[TRAIN_IO.x] = new ort.Tensor(
      'float32',
      values(n * height * width * channels, (u) => 0.5 + 0.5 * u),
      [n, height, width, channels],
    );
    const labels = new Float32Array(n * source.numClasses);
    for (let i = 0; i < n; i++) labels[i * source.numClasses + ((3 * i) % source.numClasses)] = 1;
    feeds[TRAIN_IO.labels] = new ort.Tensor('float32', labels, [n, source.numClasses]);
    if (train) {
      feeds[TRAIN_IO.learningRate] = new ort.Tensor('float32', Float32Array.of(0.1), []);
      feeds[TRAIN_IO.weightDecay] = new ort.Tensor('float32', Float32Array.of(5e-4), []);
      feeds[TRAIN_IO.momentum] = new ort.Tensor('float32', Float32Array.of(0.9), []);
      for (const p of graph.params)
        feeds[momentumInput(p.name)] = new ort.Tensor(
          'float32',
          values(size(p.shape), (u) => 0.01 * u),
          [...p.shape],
        );
    }
    return feeds;
  }

  const cases = [
    {
      name: "CIFAR-small (the benchmark's model)",
      file: 'cifar-small.arch.yaml',
      text: fs.readFileSync(repoPath('examples/cifar-small.arch.yaml'), 'utf8'),
      size: 16,
    },
    ...TRAINING_CASES,
  ];
  for (const c of cases) {
    it(`${c.name}: the training step and the attack gradient give the plain graphs' outputs`, async (t) => {
      if (!block) return t.skip('no blocked kernels on this CPU');
      const network = await networkFromText(c.file, c.text, 10);
      const plain: TrainGraphSource = {
        network,
        normalization: c.normalization,
        inputShape: { height: c.size, width: c.size, channels: network.inputChannels },
        numClasses: 10,
      };
      const blocked = { ...plain, block };
      const n = 4;
      for (const train of [true, false]) {
        const build = (s: TrainGraphSource): EmittedGraph =>
          train ? trainStepModel(s, n, 'ce', { momentum: true, nesterov: false }) : evalGradientModel(s, n, 'ce');
        const a = build(plain);
        const feeds = graphFeeds(a, plain, n, train);
        const expected = await run(ort, a.bytes, feeds);
        const actual = await run(ort, build(blocked).bytes, feeds);
        for (const [name, e] of Object.entries(expected)) {
          const raw = name.startsWith('new:m:') || name === TRAIN_IO.grad;
          const error = scaledError(actual[name] as Float32Array, e, raw ? 1e-2 : 1);
          assert.ok(
            error <= (raw ? GRADIENT_TOLERANCE : TOLERANCE),
            `${train ? 'training' : 'attack'} graph: ${name} differs by ${error.toExponential(2)}`,
          );
        }
      }
    });
  }

  it(
    "runs the benchmark model's convs on the blocked kernels, but for the input gradient " + 'into the image',
    async (t) => {
      if (!block) return t.skip('no blocked kernels on this CPU');
      const file = 'cifar-small.arch.yaml';
      const network = await networkFromText(file, fs.readFileSync(repoPath(`examples/${file}`), 'utf8'), 10);
      // 8 images of 32x32: the last stage's 8x8 maps still have the positions to be worth blocking.
      const source: TrainGraphSource = {
        network,
        normalization: undefined,
        inputShape: { height: 32, width: 32, channels: 3 },
        numClasses: 10,
        block,
      };
      const attack = decodeNodes(evalGradientModel(source, 8, 'ce').bytes);
      assert.equal(ops(attack, 'Conv').length, 1, 'only the 3-channel input gradient stays plain');
      // 22 convs forward; the input gradients of the 18 at stride 1 but the first (the 4 strided
      // ones are ConvTranspose); and the stem ReLU's mask.
      assert.ok(
        ops(attack, 'Conv', NCHWC_DOMAIN).length >= 22 + 17 + 1,
        'every forward conv and every stride-1 input gradient',
      );
      const training = decodeNodes(trainStepModel(source, 8, 'ce', { momentum: true, nesterov: false }).bytes);
      assert.equal(
        ops(training, 'BatchNormalization').length,
        0,
        'BatchNorm arithmetic on blocked values is depthwise convs',
      );
      assert.ok(ops(training, 'Conv', NCHWC_DOMAIN).length > ops(attack, 'Conv', NCHWC_DOMAIN).length);
    },
  );
});
