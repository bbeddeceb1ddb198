import { float, type GraphBuilder, type Shape } from './graph-builder';
import type { Tape } from './tape';

/**
 * Ops a Keras model needs beyond the IR's set, each recorded with its vector-Jacobian product:
 * explicit (asymmetric) padding and cropping, broadcasting element-wise merges, concatenation,
 * softmax, and the activations whose constants Keras makes configurable.
 */

/** Pads the H and W axes of NCHW `x` by [top, left, bottom, right] with `value`. */
export function pad2d(tape: Tape, x: string, pads: readonly [number, number, number, number], value = 0): string {
  const [t, l, b, r] = pads;
  if (t === 0 && l === 0 && b === 0 && r === 0) return x;
  const g = tape.graph;
  const [n, c, h, w] = g.shape(x) as [number, number, number, number];
  const y = g.node('Pad', [x, g.ints([0, 0, t, l, 0, 0, b, r]), g.scalar(value)], [n, c, h + t + b, w + l + r], {
    mode: 'constant',
  });
  return tape.record([x], y, (gy) => [
    g.node('Slice', [gy, g.ints([t, l]), g.ints([t + h, l + w]), g.ints([2, 3])], [n, c, h, w]),
  ]);
}

/** Removes [top, left, bottom, right] rows and columns of NCHW `x`. */
export function crop2d(tape: Tape, x: string, crops: readonly [number, number, number, number]): string {
  const [t, l, b, r] = crops;
  if (t === 0 && l === 0 && b === 0 && r === 0) return x;
  const g = tape.graph;
  const [n, c, h, w] = g.shape(x) as [number, number, number, number];
  const y = g.node('Slice', [x, g.ints([t, l]), g.ints([h - b, w - r]), g.ints([2, 3])], [n, c, h - t - b, w - l - r]);
  return tape.record([x], y, (gy) => [
    g.node('Pad', [gy, g.ints([0, 0, t, l, 0, 0, b, r])], [n, c, h, w], { mode: 'constant' }),
  ]);
}

/** Numpy broadcasting of two shapes of equal rank. */
export function broadcastShape(a: Shape, b: Shape): Shape | undefined {
  if (a.length !== b.length) return undefined;
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as number;
    const q = b[i] as number;
    if (p !== q && p !== 1 && q !== 1) return undefined;
    out.push(Math.max(p, q));
  }
  return out;
}

/** The gradient of a broadcast operand: summed over the axes it was stretched along. */
function unbroadcast(g: GraphBuilder, grad: string, to: Shape): string {
  const from = g.shape(grad);
  const axes = from.flatMap((d, i) => (d !== to[i] ? [i] : []));
  if (axes.length === 0) return grad;
  return g.node('ReduceSum', [grad, g.ints(axes)], to, { keepdims: 1 });
}

/** a + b, a - b or a * b of equal-rank, broadcast-compatible shapes (Keras's Add, Subtract, Multiply). */
export function binary(tape: Tape, op: 'Add' | 'Sub' | 'Mul', a: string, b: string): string {
  const g = tape.graph;
  const sa = g.shape(a);
  const sb = g.shape(b);
  const shape = broadcastShape(sa, sb);
  if (!shape) throw new RangeError(`cannot broadcast [${sa.join(', ')}] with [${sb.join(', ')}]`);
  const y = g.node(op, [a, b], shape);
  return tape.record([a, b], y, (gy) => {
    if (op === 'Add') return [unbroadcast(g, gy, sa), unbroadcast(g, gy, sb)];
    if (op === 'Sub') return [unbroadcast(g, gy, sa), unbroadcast(g, g.node('Neg', [gy], shape), sb)];
    return [unbroadcast(g, g.node('Mul', [gy, b], shape), sa), unbroadcast(g, g.node('Mul', [gy, a], shape), sb)];
  });
}

/** x * factor + offset with constant scalars (Keras's Rescaling; Average's 1/n). */
export function scaleShift(tape: Tape, x: string, factor: number, offset: number): string {
  const g = tape.graph;
  const shape = g.shape(x);
  let y = factor === 1 ? x : g.node('Mul', [x, g.scalar(factor)], shape);
  if (offset !== 0) y = g.node('Add', [y, g.scalar(offset)], shape);
  if (y === x) return x;
  return tape.record([x], y, (gy) => [factor === 1 ? gy : g.node('Mul', [gy, g.scalar(factor)], shape)]);
}

/** Concatenation along `axis`; the gradient is split back into the parts. */
export function concat(tape: Tape, parts: readonly string[], axis: number): string {
  const g = tape.graph;
  const shapes = parts.map((p) => g.shape(p));
  const first = shapes[0] as Shape;
  const sizes = shapes.map((s) => s[axis] as number);
  const shape = first.map((d, i) => (i === axis ? sizes.reduce((a, b) => a + b, 0) : d));
  const y = g.node('Concat', [...parts], shape, { axis });
  return tape.record(parts, y, (gy) => g.nodeMulti('Split', [gy, g.ints(sizes)], shapes, { axis }));
}

/** Softmax along `axis`; its VJP is y (gy - sum(gy y)). */
export function softmax(tape: Tape, x: string, axis: number): string {
  const g = tape.graph;
  const shape = g.shape(x);
  const y = g.node('Softmax', [x], shape, { axis });
  return tape.record([x], y, (gy) => {
    const reduced = shape.map((d, i) => (i === axis ? 1 : d));
    const dot = g.node('ReduceSum', [g.node('Mul', [gy, y], shape), g.ints([axis])], reduced, { keepdims: 1 });
    return [g.node('Mul', [y, g.node('Sub', [gy, dot], shape)], shape)];
  });
}

/**
 * log(max(p, 1e-30)): what the tfjs back end does to a model's softmax output to get logits
 * (layers-classifier.ts), written the same way so both back ends agree on the loss and gradient.
 */
export function clampedLog(tape: Tape, p: string, floor: number): string {
  const g = tape.graph;
  const shape = g.shape(p);
  const clamped = g.node('Max', [p, g.scalar(floor)], shape);
  const y = g.node('Log', [clamped], shape);
  return tape.record([p], y, (gy) => {
    // tfjs's maximum sends the gradient to its first input where it is >= the second.
    const pass = g.node('Cast', [g.node('GreaterOrEqual', [p, g.scalar(floor)], shape)], shape, { to: 1 });
    return [g.node('Mul', [g.node('Div', [gy, clamped], shape), pass], shape)];
  });
}

/** Records y = f(x) whose VJP is gy * f'(x), f' built only when differentiating. */
function pointwise(tape: Tape, x: string, y: string, derivative: () => string): string {
  const g = tape.graph;
  return tape.record([x], y, (gy) => [g.node('Mul', [gy, derivative()], g.shape(x))]);
}

/**
 * The activations whose Keras form differs from the IR's (src/engine/onnx/activation-ops.ts):
 * configurable constants, or functions PyTorch models do not use. Formulas and derivatives are
 * tfjs-layers' (activations.ts, advanced_activations.ts).
 */
export type KerasActivation =
  | { readonly fn: 'elu'; readonly alpha: number }
  | { readonly fn: 'leaky-relu'; readonly alpha: number }
  | { readonly fn: 'clipped-relu'; readonly max: number }
  | { readonly fn: 'thresholded-relu'; readonly theta: number }
  | { readonly fn: 'selu' }
  | { readonly fn: 'hard-sigmoid' }
  | { readonly fn: 'softsign' }
  | { readonly fn: 'gelu-tanh' }
  | { readonly fn: 'prelu'; readonly slope: Float32Array; readonly slopeShape: Shape };

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

export function kerasActivation(tape: Tape, x: string, a: KerasActivation): string {
  const g = tape.graph;
  const shape = g.shape(x);
  const node = (op: string, ...inputs: string[]): string => g.node(op, inputs, shape);
  const positive = (): string => node('Greater', x, g.scalar(0));
  switch (a.fn) {
    case 'elu': {
      const y = g.node('Elu', [x], shape, { alpha: float(a.alpha) });
      return pointwise(tape, x, y, () => node('Where', positive(), g.scalar(1), node('Add', y, g.scalar(a.alpha))));
    }
    case 'leaky-relu': {
      const y = g.node('LeakyRelu', [x], shape, { alpha: float(a.alpha) });
      return pointwise(tape, x, y, () => node('Where', positive(), g.scalar(1), g.scalar(a.alpha)));
    }
    case 'clipped-relu': {
      const y = node('Clip', x, g.scalar(0), g.scalar(a.max));
      // tfjs's minimum(relu(x), max): gradient 1 on (0, max].
      return pointwise(tape, x, y, () =>
        g.node('Cast', [node('And', positive(), node('LessOrEqual', x, g.scalar(a.max)))], shape, { to: 1 }),
      );
    }
    case 'thresholded-relu': {
      const mask = g.node('Cast', [node('Greater', x, g.scalar(a.theta))], shape, { to: 1 });
      return pointwise(tape, x, node('Mul', x, mask), () => mask);
    }
    case 'selu': {
      const y = g.node('Selu', [x], shape, { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) });
      return pointwise(tape, x, y, () =>
        node('Where', positive(), g.scalar(SELU_SCALE), node('Add', y, g.scalar(SELU_SCALE * SELU_ALPHA))),
      );
    }
    case 'hard-sigmoid': {
      // Keras's: clip(0.2 x + 0.5, 0, 1); tfjs's clip passes the gradient on [-2.5, 2.5], ends included.
      const y = g.node('HardSigmoid', [x], shape, { alpha: float(0.2), beta: float(0.5) });
      return pointwise(tape, x, y, () => {
        const inside = node('And', node('GreaterOrEqual', x, g.scalar(-2.5)), node('LessOrEqual', x, g.scalar(2.5)));
        return node('Mul', g.node('Cast', [inside], shape, { to: 1 }), g.scalar(0.2));
      });
    }
    case 'softsign': {
      const denominator = node('Add', node('Abs', x), g.scalar(1));
      return pointwise(tape, x, node('Div', x, denominator), () =>
        node('Reciprocal', node('Mul', denominator, denominator)),
      );
    }
    case 'gelu-tanh': {
      // tfjs's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      const c = Math.sqrt(2 / Math.PI);
      const x2 = node('Mul', x, x);
      const inner = node('Mul', node('Add', x, node('Mul', node('Mul', x2, x), g.scalar(0.044715))), g.scalar(c));
      const t = node('Tanh', inner);
      const y = node('Mul', node('Mul', x, node('Add', t, g.scalar(1))), g.scalar(0.5));
      return pointwise(tape, x, y, () => {
        const dInner = node('Mul', node('Add', node('Mul', x2, g.scalar(3 * 0.044715)), g.scalar(1)), g.scalar(c));
        const sech2 = node('Sub', g.scalar(1), node('Mul', t, t));
        return node(
          'Add',
          node('Mul', node('Add', t, g.scalar(1)), g.scalar(0.5)),
          node('Mul', node('Mul', node('Mul', x, sech2), dInner), g.scalar(0.5)),
        );
      });
    }
    case 'prelu': {
      const slope = g.constant(a.slope, a.slopeShape, 'alpha');
      const y = node('PRelu', x, slope);
      return pointwise(tape, x, y, () =>
        node('Where', positive(), g.scalar(1), g.node('Expand', [slope, g.ints(shape)], shape)),
      );
    }
  }
}
