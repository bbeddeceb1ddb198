import { convInputGradient, convOutputSize } from './conv-ops';
import type { Tape } from './tape';

export interface PoolGeometry {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
}

/**
 * Max pooling as PyTorch pads it (padding never wins). Its gradient scatters the output gradient
 * to the argmax positions MaxPool reports, adding where windows overlap.
 */
export function maxPool(tape: Tape, x: string, p: PoolGeometry): string {
  const g = tape.graph;
  const shape = g.shape(x) as [number, number, number, number];
  const [n, c, h, w] = shape;
  const out = [
    n,
    c,
    convOutputSize(h, p.kernel[0], p.stride[0], p.padding[0], 1),
    convOutputSize(w, p.kernel[1], p.stride[1], p.padding[1], 1),
  ] as const;
  const [y, indices] = g.nodeMulti('MaxPool', [x], [out, out], attrs(p)) as [string, string];
  return tape.record([x], y, (gy) => {
    const total = n * c * h * w;
    const count = out.reduce((a, b) => a * b, 1);
    const zeros = g.node('Expand', [g.scalar(0), g.ints([1, total])], [1, total]);
    const flatIndices = g.node('Reshape', [indices, g.ints([1, count])], [1, count]);
    const flatGrad = g.node('Reshape', [gy, g.ints([1, count])], [1, count]);
    const scattered = g.node('ScatterElements', [zeros, flatIndices, flatGrad], [1, total], {
      axis: 1,
      reduction: 'add',
    });
    return [g.node('Reshape', [scattered, g.ints(shape)], shape)];
  });
}

/**
 * Average pooling counting the zero padding (PyTorch's count_include_pad default). It is a
 * depthwise conv with a constant kernel, so its gradient is that conv's input gradient.
 */
export function avgPool(tape: Tape, x: string, p: PoolGeometry): string {
  const g = tape.graph;
  const [n, c, h, w] = g.shape(x) as [number, number, number, number];
  const out = [
    n,
    c,
    convOutputSize(h, p.kernel[0], p.stride[0], p.padding[0], 1),
    convOutputSize(w, p.kernel[1], p.stride[1], p.padding[1], 1),
  ];
  const y = g.node('AveragePool', [x], out, { ...attrs(p), count_include_pad: 1 });
  return tape.record([x], y, (gy) => {
    const [kh, kw] = p.kernel;
    const spec = {
      weight: new Float32Array(c * kh * kw).fill(1 / (kh * kw)),
      weightShape: [c, 1, kh, kw] as const,
      stride: p.stride,
      padding: p.padding,
      dilation: [1, 1] as const,
      groups: c,
    };
    return [convInputGradient(tape, gy, spec, [n, c, h, w])];
  });
}

function attrs(p: PoolGeometry): Record<string, readonly number[]> {
  return { kernel_shape: p.kernel, strides: p.stride, pads: [p.padding[0], p.padding[1], p.padding[0], p.padding[1]] };
}
