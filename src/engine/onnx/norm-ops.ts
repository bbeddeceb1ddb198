import type { Tape } from './tape';

const NORM_EPS = 1e-5;

/**
 * (x - mean) / sqrt(var + eps) over `axes` (biased variance), as instance, layer and group norm
 * compute it from the batch itself at evaluation time. With y the output and r = 1/sqrt(var + eps),
 * the input gradient is r (gy - mean(gy) - y mean(gy y)) over the same axes (Ioffe and Szegedy,
 * 2015, sec. 3, with the statistics' own gradients kept).
 */
export function standardize(tape: Tape, x: string, axes: readonly number[]): string {
  const g = tape.graph;
  const shape = g.shape(x);
  const reduced = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const mean = (v: string): string => g.node('ReduceMean', [v], reduced, { axes, keepdims: 1 });
  const centered = g.node('Sub', [x, mean(x)], shape);
  const variance = mean(g.node('Mul', [centered, centered], shape));
  const r = g.node(
    'Reciprocal',
    [g.node('Sqrt', [g.node('Add', [variance, g.scalar(NORM_EPS)], reduced)], reduced)],
    reduced,
  );
  const y = g.node('Mul', [centered, r], shape);
  return tape.record([x], y, (gy) => {
    const inner = g.node(
      'Sub',
      [g.node('Sub', [gy, mean(gy)], shape), g.node('Mul', [y, mean(g.node('Mul', [gy, y], shape))], shape)],
      shape,
    );
    return [g.node('Mul', [inner, r], shape)];
  });
}
