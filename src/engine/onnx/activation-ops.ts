import type { ActivationFunction } from '../../core';
import { float, type GraphBuilder, type Shape } from './graph-builder';
import type { Tape } from './tape';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';

/** Learned values of a parametric activation, fixed at evaluation time. */
export interface ActivationValues {
  /** PReLU's slopes: one, or one per channel. */
  readonly weight?: Float32Array;
  readonly alpha?: number;
  readonly beta?: number;
}

/**
 * Above this, 1 / x is below the smallest normal float: y * RELU_MASK_GAIN, clipped to [0, 1],
 * is the 0/1 ReLU mask for every normal y >= 0.
 */
const RELU_MASK_GAIN = 3e38;

/**
 * An activation as PyTorch defines it (the same functions as src/engine/tfjs/activations.ts), with
 * its derivative written out in closed form for the backward pass.
 */
export function activation(tape: Tape, x: string, fn: ActivationFunction, values: ActivationValues): string {
  const g = tape.graph;
  const shape = g.shape(x);
  const e = new Elementwise(g, shape);
  switch (fn) {
    case 'relu': {
      const y = e.op('Relu', x);
      return tape.record([x], y, (gy) => [e.mul(gy, reluMask(g, y))]);
    }
    case 'relu6': {
      const y = e.op('Clip', x, g.scalar(0), g.scalar(6));
      // tfjs's gradient: 1 on (0, 6], as PyTorch's hardtanh backward.
      return withDerivative(tape, x, y, () =>
        e.cast(e.bool('And', e.bool('Greater', x, g.scalar(0)), e.bool('LessOrEqual', x, g.scalar(6)))),
      );
    }
    case 'leaky-relu': {
      const y = e.op('LeakyRelu', x, undefined, undefined, { alpha: float(0.01) });
      return withDerivative(tape, x, y, () =>
        e.op('Where', e.bool('Greater', x, g.scalar(0)), g.scalar(1), g.scalar(0.01)),
      );
    }
    case 'elu': {
      const y = e.op('Elu', x, undefined, undefined, { alpha: float(1) });
      return withDerivative(tape, x, y, () =>
        e.op('Where', e.bool('Greater', x, g.scalar(0)), g.scalar(1), e.op('Add', y, g.scalar(1))),
      );
    }
    case 'silu': {
      const s = e.op('Sigmoid', x);
      const y = e.mul(x, s);
      // d/dx x s(x) = s (1 + x (1 - s)) = s + y (1 - s): four passes over the tensor, not five.
      return withDerivative(tape, x, y, () => e.op('Add', s, e.mul(y, e.complement(s))));
    }
    case 'gelu': {
      // The exact (erf) GELU, Hendrycks and Gimpel, 2016.
      const phi = e.mul(e.op('Add', e.op('Erf', e.mul(x, g.scalar(Math.SQRT1_2))), g.scalar(1)), g.scalar(0.5));
      const y = e.mul(x, phi);
      return withDerivative(tape, x, y, () => {
        const density = e.mul(e.op('Exp', e.mul(e.mul(x, x), g.scalar(-0.5))), g.scalar(1 / Math.sqrt(2 * Math.PI)));
        return e.op('Add', phi, e.mul(x, density));
      });
    }
    case 'mish': {
      const t = e.op('Tanh', e.op('Softplus', x));
      const y = e.mul(x, t);
      return withDerivative(tape, x, y, () =>
        e.op('Add', t, e.mul(e.mul(x, e.op('Sub', g.scalar(1), e.mul(t, t))), e.op('Sigmoid', x))),
      );
    }
    case 'hardswish': {
      const r = e.op('Clip', e.op('Add', x, g.scalar(3)), g.scalar(0), g.scalar(6));
      const y = e.mul(e.mul(x, r), g.scalar(1 / 6));
      return withDerivative(tape, x, y, () => {
        const inside = e.cast(e.bool('And', e.bool('Greater', x, g.scalar(-3)), e.bool('LessOrEqual', x, g.scalar(3))));
        return e.op('Add', e.mul(r, g.scalar(1 / 6)), e.mul(e.mul(x, inside), g.scalar(1 / 6)));
      });
    }
    case 'sigmoid': {
      const y = e.op('Sigmoid', x);
      return withDerivative(tape, x, y, () => e.mul(y, e.complement(y)));
    }
    case 'tanh': {
      const y = e.op('Tanh', x);
      return withDerivative(tape, x, y, () => e.op('Sub', g.scalar(1), e.mul(y, y)));
    }
    case 'softplus': {
      const y = e.op('Softplus', x);
      return withDerivative(tape, x, y, () => e.op('Sigmoid', x));
    }
    case 'prelu': {
      const w = values.weight;
      if (!w) throw new Error('PReLU without its weight');
      const slope = g.constant(w, w.length === 1 ? [1] : shape.length === 4 ? [w.length, 1, 1] : [w.length], 'slope');
      const y = e.op('PRelu', x, slope);
      return withDerivative(tape, x, y, () => e.op('Where', e.bool('Greater', x, g.scalar(0)), g.scalar(1), slope));
    }
    case 'psilu': {
      const a = values.alpha ?? 1;
      const s = e.op('Sigmoid', e.mul(x, g.scalar(a)));
      const y = e.mul(x, s);
      return withDerivative(tape, x, y, () => e.op('Add', s, e.mul(e.mul(x, g.scalar(a)), e.mul(s, e.complement(s)))));
    }
    case 'pssilu': {
      const a = values.alpha ?? 1;
      // beta is clamped to [0, 1] before use, as in the RobArch code (Dai et al., 2022).
      const b = Math.min(1, Math.max(0, values.beta ?? 1e-4));
      const scale = 1 / (Math.fround(1 - b) + 1e-6);
      const s = e.op('Sigmoid', e.mul(x, g.scalar(a)));
      const y = e.mul(e.mul(x, e.op('Sub', s, g.scalar(b))), g.scalar(scale));
      return withDerivative(tape, x, y, () =>
        e.mul(
          e.op('Add', e.op('Sub', s, g.scalar(b)), e.mul(e.mul(x, g.scalar(a)), e.mul(s, e.complement(s)))),
          g.scalar(scale),
        ),
      );
    }
    default:
      throw new UnsupportedModelError(
        `the ${String(fn)} activation is not built by the onnxruntime back end; the tfjs back end can run it`,
      );
  }
}

/**
 * The ReLU's 0/1 mask from its output, as a depthwise 1x1 conv with a fused Clip: ops that keep
 * ORT's blocked (NCHWc) layout, where Greater + Where made it insert layout conversions.
 */
function reluMask(g: GraphBuilder, y: string): string {
  const shape = g.shape(y);
  if (shape.length !== 4) return g.node('Sign', [y], shape);
  const c = shape[1] as number;
  const gain = g.constant(new Float32Array(c).fill(RELU_MASK_GAIN), [c, 1, 1, 1], 'gain');
  const scaled = g.node('Conv', [y, gain], shape, { kernel_shape: [1, 1], group: c });
  return g.node('Clip', [scaled, g.scalar(0), g.scalar(1)], shape);
}

/** Records y = f(x) whose vector-Jacobian product is gy * f'(x), f' built only when differentiating. */
function withDerivative(tape: Tape, x: string, y: string, derivative: () => string): string {
  const g = tape.graph;
  return tape.record([x], y, (gy) => [g.node('Mul', [gy, derivative()], g.shape(x))]);
}

/** Element-wise nodes whose output has the activation's shape. */
class Elementwise {
  constructor(
    private readonly g: GraphBuilder,
    private readonly shape: Shape,
  ) {}

  op(op: string, a: string, b?: string, c?: string, attrs: Record<string, ReturnType<typeof float>> = {}): string {
    const inputs = [a, ...(b === undefined ? [] : [b]), ...(c === undefined ? [] : [c])];
    return this.g.node(op, inputs, this.shape, attrs);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', a, b);
  }

  /** A boolean-valued node (comparison, logic). */
  bool(op: string, a: string, b: string): string {
    return this.g.node(op, [a, b], this.shape);
  }

  /**
   * 1 - v for v in [0, 1] (a sigmoid's output), as HardSigmoid(v; alpha -1, beta 1): an activation
   * ORT keeps in its blocked (NCHWc) layout, where Sub from a constant made it convert layouts
   * around every SiLU of the backward pass.
   */
  complement(v: string): string {
    return this.g.node('HardSigmoid', [v], this.shape, { alpha: float(-1), beta: float(1) });
  }

  cast(a: string): string {
    return this.g.node('Cast', [a], this.shape, { to: 1 });
  }
}
