import type { InputObjective } from '../model/classifier';
import type { GraphBuilder } from './graph-builder';

/** Offset in the DLR denominators, as the reference AutoAttack (and objectives.ts) uses. */
const DLR_EPS = 1e-12;

export type ObjectiveKind = InputObjective['kind'];

/** Graph inputs an objective reads, fed per call: one-hot rows of the classes, or reference probabilities. */
export const FEED = { labels: 'labels_onehot', targets: 'targets_onehot', reference: 'reference' } as const;

export interface ObjectiveNodes {
  /** [n]: the objective per sample. */
  readonly loss: string;
  /** [n, k]: d(sum of the losses)/d(logits), the seed of the backward pass. */
  readonly seed: string;
}

/**
 * The per-sample objectives of src/engine/tfjs/objectives.ts, in the graph, with their gradients
 * with respect to the logits written in closed form. The DLR ranks come from TopK in the same
 * pass (lower index first on ties, as rankClasses orders them); they are piecewise constant, so
 * their masks carry no gradient.
 */
export function emitObjective(g: GraphBuilder, logits: string, kind: ObjectiveKind): ObjectiveNodes {
  const [n, k] = g.shape(logits) as [number, number];
  const nk = [n, k];
  const col = [n, 1];
  const op = (name: string, ...inputs: string[]): string => g.node(name, inputs, nk);
  const colOp = (name: string, ...inputs: string[]): string => g.node(name, inputs, col);
  const pick = (mask: string): string =>
    g.node('ReduceSum', [op('Mul', logits, mask), g.ints([1])], col, { keepdims: 1 });
  const perSample = (c: string): string => g.node('Reshape', [c, g.ints([n])], [n]);
  switch (kind) {
    case 'ce': {
      const y = g.input(FEED.labels, nk);
      const nll = g.node(
        'ReduceSum',
        [op('Mul', g.node('LogSoftmax', [logits], nk, { axis: 1 }), y), g.ints([1])],
        col,
        { keepdims: 1 },
      );
      return { loss: perSample(colOp('Neg', nll)), seed: op('Sub', g.node('Softmax', [logits], nk, { axis: 1 }), y) };
    }
    case 'margin': {
      const y = g.input(FEED.labels, nk);
      const t = g.input(FEED.targets, nk);
      return { loss: perSample(colOp('Sub', pick(t), pick(y))), seed: op('Sub', t, y) };
    }
    case 'kl': {
      const r = g.input(FEED.reference, nk);
      const logRef = op('Log', op('Max', r, g.scalar(1e-12)));
      const logP = g.node('LogSoftmax', [logits], nk, { axis: 1 });
      const loss = g.node('ReduceSum', [op('Mul', r, op('Sub', logRef, logP)), g.ints([1])], col, { keepdims: 1 });
      const mass = g.node('ReduceSum', [r, g.ints([1])], col, { keepdims: 1 });
      return {
        loss: perSample(loss),
        seed: op('Sub', op('Mul', g.node('Softmax', [logits], nk, { axis: 1 }), mass), r),
      };
    }
    case 'dlr':
    case 'dlr-targeted': {
      const y = g.input(FEED.labels, nk);
      const ranks = rankMasks(g, logits);
      let numeratorMask: string;
      let denominatorMask: string;
      if (kind === 'dlr') {
        // The best class other than the label: the first, unless it is the label, then the second.
        const firstIsLabel = g.node('ReduceSum', [op('Mul', ranks[0], y), g.ints([1])], col, { keepdims: 1 });
        const other = op(
          'Add',
          op('Mul', ranks[0], colOp('Sub', g.scalar(1), firstIsLabel)),
          op('Mul', ranks[1], firstIsLabel),
        );
        // Croce and Hein (2020), eq. 5: -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3).
        numeratorMask = op('Sub', y, other);
        denominatorMask = op('Sub', ranks[0], ranks[2]);
      } else {
        const t = g.input(FEED.targets, nk);
        // Croce and Hein (2020), eq. 6: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2).
        numeratorMask = op('Sub', y, t);
        denominatorMask = op('Sub', ranks[0], op('Mul', op('Add', ranks[2], ranks[3]), g.scalar(0.5)));
      }
      const numerator = pick(numeratorMask);
      const denominator = colOp('Add', pick(denominatorMask), g.scalar(DLR_EPS));
      const loss = colOp('Neg', colOp('Div', numerator, denominator));
      // d(-u/v) = -du/v + u dv/v^2.
      const seed = op(
        'Add',
        op('Mul', numeratorMask, colOp('Neg', colOp('Reciprocal', denominator))),
        op('Mul', denominatorMask, colOp('Div', numerator, colOp('Mul', denominator, denominator))),
      );
      return { loss: perSample(loss), seed };
    }
  }
}

/** One-hot [n, k] masks of the four largest logits, largest first. */
function rankMasks(g: GraphBuilder, logits: string): [string, string, string, string] {
  const [n, k] = g.shape(logits) as [number, number];
  const [, indices] = g.nodeMulti(
    'TopK',
    [logits, g.ints([4])],
    [
      [n, 4],
      [n, 4],
    ],
    { axis: 1, largest: 1, sorted: 1 },
  ) as [string, string];
  const oneHot = g.node('OneHot', [indices, g.ints([k]), g.constant(Float32Array.of(0, 1), [2], 'onoff')], [n, 4, k], {
    axis: -1,
  });
  const parts = g.nodeMulti(
    'Split',
    [oneHot, g.ints([1, 1, 1, 1])],
    [
      [n, 1, k],
      [n, 1, k],
      [n, 1, k],
      [n, 1, k],
    ],
    { axis: 1 },
  );
  return parts.map((p) => g.node('Reshape', [p, g.ints([n, k])], [n, k])) as [string, string, string, string];
}

/** The host arrays an objective's graph inputs take, by input name. */
export function objectiveFeeds(objective: InputObjective, n: number, k: number): Record<string, Float32Array> {
  switch (objective.kind) {
    case 'ce':
    case 'dlr':
      if (objective.kind === 'dlr' && k < 4)
        throw new RangeError(`the DLR losses need at least 4 classes; this model has ${k}`);
      return { [FEED.labels]: oneHot(objective.labels, n, k) };
    case 'dlr-targeted':
    case 'margin':
      if (objective.kind === 'dlr-targeted' && k < 4)
        throw new RangeError(`the DLR losses need at least 4 classes; this model has ${k}`);
      return { [FEED.labels]: oneHot(objective.labels, n, k), [FEED.targets]: oneHot(objective.targets, n, k) };
    case 'kl':
      if (objective.reference.length !== n * k)
        throw new RangeError(`expected ${n} x ${k} reference probabilities, got ${objective.reference.length} values`);
      return { [FEED.reference]: objective.reference };
  }
}

function oneHot(indices: Int32Array, n: number, k: number): Float32Array {
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const c = indices[i] ?? -1;
    if (c < 0 || c >= k) throw new RangeError(`class ${c} is outside 0..${k - 1}`);
    data[i * k + c] = 1;
  }
  return data;
}
