import type { ActivationFunction } from '../../core';
import { activation } from './activation-ops';
import type { Tape } from './tape';

/**
 * The learned activation parameters as graph values, by name as the tfjs ParameterStore names
 * them: `weight` (PReLU, [1] or [C]), `alpha` and `beta` ([1]).
 */
export type ActivationParamValues = Readonly<Record<string, string>>;

/**
 * An activation whose learned parameters are graph values, differentiated with respect to them
 * too (the same functions as activations.ts). Parameter-free activations are activation-ops.ts's.
 */
export function activationValue(tape: Tape, x: string, fn: ActivationFunction, params: ActivationParamValues): string {
  const g = tape.graph;
  const shape = g.shape(x);
  const op = (name: string, ...inputs: string[]): string => g.node(name, inputs, shape);
  const sumTo = (v: string, target: readonly number[]): string => {
    const all = g.node('ReduceSum', [v, g.ints(shape.map((_, i) => i))], [], { keepdims: 0 });
    return g.node('Reshape', [all, g.ints(target)], target);
  };
  const cast = (b: string): string => g.node('Cast', [b], shape, { to: 1 });
  switch (fn) {
    case 'prelu': {
      const w = need(params, 'weight');
      const count = g.shape(w)[0] as number;
      const slope = count > 1 && shape.length === 4 ? g.node('Reshape', [w, g.ints([count, 1, 1])], [count, 1, 1]) : w;
      const y = op('PRelu', x, slope);
      return tape.record([x, w], y, (gy, needed) => {
        const negative = op('Min', x, g.scalar(0));
        // tfjs's relu(x) - slope relu(-x): the derivative is 0 at exactly 0 on both sides.
        const dx = needed[0]
          ? op(
              'Mul',
              gy,
              op(
                'Add',
                cast(g.node('Greater', [x, g.scalar(0)], shape)),
                op('Mul', cast(g.node('Less', [x, g.scalar(0)], shape)), slope),
              ),
            )
          : undefined;
        let dw: string | undefined;
        if (needed[1]) {
          const prod = op('Mul', gy, negative);
          dw =
            count > 1
              ? g.node('ReduceSum', [prod, g.ints(shape.length === 4 ? [0, 2, 3] : [0])], [count], { keepdims: 0 })
              : sumTo(prod, [1]);
        }
        return [dx, dw];
      });
    }
    case 'psilu': {
      const a = need(params, 'alpha');
      const ax = op('Mul', x, a);
      const s = op('Sigmoid', ax);
      const y = op('Mul', x, s);
      return tape.record([x, a], y, (gy, needed) => {
        const ds = op('Mul', s, complement(s));
        return [
          needed[0] ? op('Mul', gy, op('Add', s, op('Mul', ax, ds))) : undefined,
          needed[1] ? sumTo(op('Mul', gy, op('Mul', op('Mul', x, x), ds)), [1]) : undefined,
        ];
      });
    }
    case 'pssilu': {
      const a = need(params, 'alpha');
      const beta = need(params, 'beta');
      // beta is clamped to [0, 1] before use, as the RobArch code (Dai et al., 2022) and tfjs do.
      const b = g.node('Clip', [beta, g.scalar(0), g.scalar(1)], [1]);
      const scale = g.node(
        'Reciprocal',
        [g.node('Add', [g.node('Sub', [g.scalar(1), b], [1]), g.scalar(1e-6)], [1])],
        [1],
      );
      const ax = op('Mul', x, a);
      const s = op('Sigmoid', ax);
      const gate = op('Sub', s, b);
      const y = op('Mul', op('Mul', x, gate), scale);
      return tape.record([x, a, beta], y, (gy, needed) => {
        const ds = op('Mul', s, complement(s));
        let dbeta: string | undefined;
        if (needed[2]) {
          // d y / d b = scale (y - x); the clamp passes the gradient where 0 <= beta <= 1.
          const inside = g.node(
            'Cast',
            [
              g.node(
                'And',
                [g.node('GreaterOrEqual', [beta, g.scalar(0)], [1]), g.node('LessOrEqual', [beta, g.scalar(1)], [1])],
                [1],
              ),
            ],
            [1],
            { to: 1 },
          );
          const raw = sumTo(op('Mul', gy, op('Mul', op('Sub', y, x), scale)), [1]);
          dbeta = g.node('Mul', [raw, inside], [1]);
        }
        return [
          needed[0] ? op('Mul', gy, op('Mul', op('Add', gate, op('Mul', ax, ds)), scale)) : undefined,
          needed[1] ? sumTo(op('Mul', gy, op('Mul', op('Mul', op('Mul', x, x), ds), scale)), [1]) : undefined,
          dbeta,
        ];
      });
    }
    default:
      return activation(tape, x, fn, {});
  }

  function complement(v: string): string {
    return g.node('Sub', [g.scalar(1), v], shape);
  }
}

function need(params: ActivationParamValues, name: string): string {
  const p = params[name];
  if (p === undefined) throw new Error(`activation parameter ${name} is missing`);
  return p;
}
