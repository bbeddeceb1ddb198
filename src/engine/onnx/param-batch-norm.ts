// BatchNorm with graph-value parameters: training mode with its running statistics, and evaluation mode folded.
import { float, type GraphBuilder } from './graph-builder';
import { channelAxes } from './param-ops';
import type { Tape } from './tape';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/**
 * Training-mode BatchNorm (Ioffe and Szegedy, 2015): normalised with the batch's mean and biased
 * variance, and the running statistics moved by momentum 0.1 towards the batch mean and the
 * unbiased variance, as PyTorch (and build-forward.ts) do. The normalisation and the affine
 * transform are one tape entry written with the centred input c = x - mean, per-channel factors
 * r = 1/sqrt(var + eps) and a = gamma r, and M values per channel: y = c a + beta, and
 * dx = gy a - c a r^2 sum(gy c)/M - a sum(gy)/M, d gamma = r sum(gy c), d beta = sum(gy). Every
 * full-size pass counts here (element-wise ops are most of a training step's time in ORT), so
 * the normalised value is never materialised: about 12 passes over the activation where the
 * textbook chain of standardise, scale and shift takes 18.
 */
export function batchNormTrain(
  tape: Tape,
  x: string,
  gamma: string | undefined,
  beta: string | undefined,
  runningMean: string,
  runningVar: string,
): { y: string; runningMean: string; runningVar: string } {
  const g = tape.graph;
  const shape = g.shape(x);
  const c = shape[1] as number;
  const axes = channelAxes(shape.length);
  const reduced = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = shape.reduce((a, b) => a * b, 1) / c;
  const small = (op: string, ...inputs: string[]): string => g.node(op, inputs, reduced);
  const full = (op: string, ...inputs: string[]): string => g.node(op, inputs, shape);
  const sum = (v: string): string => g.node('ReduceSum', [v, g.ints(axes)], reduced, { keepdims: 1 });
  const flat = (v: string): string => g.node('Reshape', [v, g.ints([c])], [c]);
  const mean = g.node('ReduceMean', [x], reduced, { axes, keepdims: 1 });
  const centered = perChannelAffine(g, x, undefined, g.node('Neg', [flat(mean)], [c]));
  const variance = small('Mul', sum(full('Mul', centered, centered)), g.scalar(1 / count));
  const r = small('Reciprocal', small('Sqrt', small('Add', variance, g.scalar(BN_EPS))));
  const gammaC = gamma === undefined ? undefined : g.node('Reshape', [gamma, g.ints(reduced)], reduced);
  const a = gammaC === undefined ? r : small('Mul', gammaC, r);
  const y = perChannelAffine(g, centered, flat(a), beta);
  const inputs = [x, ...(gamma === undefined ? [] : [gamma]), ...(beta === undefined ? [] : [beta])];
  tape.record(inputs, y, (gy, needed) => {
    const sgy = sum(gy);
    const sgyc = sum(full('Mul', gy, centered));
    const out: (string | undefined)[] = [];
    if (needed[0]) {
      const b = small(
        'Neg',
        small('Mul', small('Mul', a, small('Mul', r, r)), small('Mul', sgyc, g.scalar(1 / count))),
      );
      const shift = small('Neg', small('Mul', a, small('Mul', sgy, g.scalar(1 / count))));
      out.push(full('Add', perChannelAffine(g, gy, flat(a), flat(shift)), full('Mul', centered, b)));
    } else {
      out.push(undefined);
    }
    if (gamma !== undefined) out.push(needed[out.length] ? flat(small('Mul', sgyc, r)) : undefined);
    if (beta !== undefined) out.push(needed[out.length] ? flat(sgy) : undefined);
    return out;
  });
  const flatten = flat;
  const unbiased = count / Math.max(1, count - 1);
  const newMean = g.node(
    'Add',
    [
      g.node('Mul', [runningMean, g.scalar(1 - BN_MOMENTUM)], [c]),
      g.node('Mul', [flatten(mean), g.scalar(BN_MOMENTUM)], [c]),
    ],
    [c],
  );
  const newVar = g.node(
    'Add',
    [
      g.node('Mul', [runningVar, g.scalar(1 - BN_MOMENTUM)], [c]),
      g.node('Mul', [flatten(variance), g.scalar(BN_MOMENTUM * unbiased)], [c]),
    ],
    [c],
  );
  return { y, runningMean: newMean, runningVar: newVar };
}

/**
 * x scale + shift per channel ([C] values, either absent) in one pass: ONNX's inference-mode
 * BatchNormalization with mean 0, variance 1 and epsilon 0. ORT's broadcasting Add and Sub of a
 * [1, C, 1, 1] value took 2-4x as long as this over the same activation.
 */
function perChannelAffine(g: GraphBuilder, x: string, scale: string | undefined, shift: string | undefined): string {
  const shape = g.shape(x);
  const c = shape[1] as number;
  const ones = g.constant(new Float32Array(c).fill(1), [c], 'ones');
  const zeros = g.constant(new Float32Array(c), [c], 'zeros');
  return g.node('BatchNormalization', [x, scale ?? ones, shift ?? zeros, zeros, ones], shape, { epsilon: float(0) });
}

/** Evaluation-mode BatchNorm from values: scale gamma / sqrt(var + eps) and shift beta - mean scale, each [C]. */
export function batchNormEvalAffine(
  g: GraphBuilder,
  gamma: string | undefined,
  beta: string | undefined,
  runningMean: string,
  runningVar: string,
): { scale: string; shift: string } {
  const c = g.shape(runningMean)[0] as number;
  const r = g.node('Reciprocal', [g.node('Sqrt', [g.node('Add', [runningVar, g.scalar(BN_EPS)], [c])], [c])], [c]);
  const scale = gamma === undefined ? r : g.node('Mul', [gamma, r], [c]);
  const shifted = g.node('Neg', [g.node('Mul', [runningMean, scale], [c])], [c]);
  return { scale, shift: beta === undefined ? shifted : g.node('Add', [shifted, beta], [c]) };
}

/**
 * Evaluation-mode BatchNorm folded into the conv before it, in the graph: W scale per output
 * channel and b scale + shift (the fold of fold-batch-norm.ts, on values).
 */
export function foldValues(
  g: GraphBuilder,
  w: string,
  b: string | undefined,
  affine: { scale: string; shift: string },
): { w: string; b: string } {
  const wShape = g.shape(w);
  const o = wShape[0] as number;
  const scaled = g.node('Mul', [w, g.node('Reshape', [affine.scale, g.ints([o, 1, 1, 1])], [o, 1, 1, 1])], wShape);
  const bias =
    b === undefined ? affine.shift : g.node('Add', [g.node('Mul', [b, affine.scale], [o]), affine.shift], [o]);
  return { w: scaled, b: bias };
}
