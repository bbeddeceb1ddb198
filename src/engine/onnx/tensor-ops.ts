import type { Shape } from './graph-builder';
import type { Tape } from './tape';

/** Ops that move, combine or reduce values, each recorded with its vector-Jacobian product. */

/** a + b of equal shapes (the residual addition). */
export function add(tape: Tape, a: string, b: string): string {
  const g = tape.graph;
  const y = g.node('Add', [a, b], g.shape(a));
  return tape.record([a, b], y, (gy) => [gy, gy]);
}

/** x * gate with gate [N, C, 1, 1] broadcast over the positions (squeeze-and-excitation). */
export function scaleByGate(tape: Tape, x: string, gate: string): string {
  const g = tape.graph;
  const y = g.node('Mul', [x, gate], g.shape(x));
  return tape.record([x, gate], y, (gy) => [
    g.node('Mul', [gy, gate], g.shape(x)),
    g.node('ReduceSum', [g.node('Mul', [gy, x], g.shape(x)), g.ints([2, 3])], g.shape(gate), { keepdims: 1 }),
  ]);
}

/** x * scale + shift per channel (axis 1), scale and shift constant. */
export function channelAffine(tape: Tape, x: string, scale: Float32Array, shift: Float32Array | undefined): string {
  const g = tape.graph;
  const shape = g.shape(x);
  const c = shape[1] as number;
  const perChannel: Shape = shape.length === 4 ? [c, 1, 1] : [c];
  const s = g.constant(scale, perChannel, 'scale');
  const scaled = g.node('Mul', [x, s], shape);
  const y = shift ? g.node('Add', [scaled, g.constant(shift, perChannel, 'shift')], shape) : scaled;
  return tape.record([x], y, (gy) => [g.node('Mul', [gy, s], shape)]);
}

/** Mean over H and W, keeping them as 1s. */
export function spatialMean(tape: Tape, x: string): string {
  const g = tape.graph;
  const [n, c, h, w] = g.shape(x) as [number, number, number, number];
  const y = g.node('ReduceMean', [x], [n, c, 1, 1], { axes: [2, 3], keepdims: 1 });
  return tape.record([x], y, (gy) => [
    g.node('Expand', [g.node('Mul', [gy, g.scalar(1 / (h * w))], [n, c, 1, 1]), g.ints([n, c, h, w])], [n, c, h, w]),
  ]);
}

/** Max over H and W, keeping them as 1s; the gradient goes to every position equal to the max, as tfjs's does. */
export function spatialMax(tape: Tape, x: string): string {
  const g = tape.graph;
  const shape = g.shape(x) as [number, number, number, number];
  const y = g.node('ReduceMax', [x], [shape[0], shape[1], 1, 1], { axes: [2, 3], keepdims: 1 });
  return tape.record([x], y, (gy) => {
    const hit = g.node('Cast', [g.node('Equal', [x, y], shape)], shape, { to: 1 });
    return [g.node('Mul', [hit, gy], shape)];
  });
}

export function reshape(tape: Tape, x: string, shape: Shape): string {
  const g = tape.graph;
  const from = g.shape(x);
  const y = g.node('Reshape', [x, g.ints(shape)], shape);
  return tape.record([x], y, (gy) => [g.node('Reshape', [gy, g.ints(from)], from)]);
}

export function transpose(tape: Tape, x: string, perm: readonly number[]): string {
  const g = tape.graph;
  const from = g.shape(x);
  const y = g.node(
    'Transpose',
    [x],
    perm.map((p) => from[p] as number),
    { perm },
  );
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return tape.record([x], y, (gy) => [g.node('Transpose', [gy], from, { perm: inverse })]);
}

/**
 * [N, ...] to [N, features] in the order the tfjs model flattens (channels last), so a linear
 * layer's weights mean the same in both back ends.
 */
export function flattenChannelsLast(tape: Tape, x: string): string {
  const g = tape.graph;
  const shape = g.shape(x);
  if (shape.length === 2) return x;
  const n = shape[0] as number;
  const features = shape.slice(1).reduce((a, b) => a * b, 1);
  const spatial = shape.length === 4 && (shape[2] as number) * (shape[3] as number) > 1;
  return reshape(tape, spatial ? transpose(tape, x, [0, 2, 3, 1]) : x, [n, features]);
}

/** x [N, in] times weight [in, out] (tfjs's layout) plus bias. */
export function linear(
  tape: Tape,
  x: string,
  weight: Float32Array,
  fin: number,
  fout: number,
  bias: Float32Array | undefined,
): string {
  const g = tape.graph;
  const n = g.shape(x)[0] as number;
  const w = g.constant(weight, [fin, fout], 'fc');
  const inputs = bias ? [x, w, g.constant(bias, [fout], 'fcb')] : [x, w];
  const y = g.node('Gemm', inputs, [n, fout]);
  return tape.record([x], y, (gy) => {
    const wt = g.constant(transpose2d(weight, fin, fout), [fout, fin], 'fct');
    return [g.node('MatMul', [gy, wt], [n, fin])];
  });
}

function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c] as number;
  return out;
}
