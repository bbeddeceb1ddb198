/**
 * One run of the targeted Fast Adaptive Boundary attack (Croce and Hein, "Minimally distorted
 * adversarial examples with a fast adaptive boundary attack", ICML 2020, Algorithm 1), following
 * AutoAttack's reference (fab_base.py, attack_single_run with is_targeted). Each iteration
 * linearises the boundary between the true class and the target at the current iterate, projects
 * both the iterate and the original image onto that hyperplane within the box, and moves to a
 * convex combination of the two projections (biased toward the original image so the perturbation
 * stays small), overshooting by eta. Whenever the iterate is misclassified it is kept if it is the
 * closest so far, and pulled back toward the original by beta to look for a closer one.
 */
import type { Classifier } from '../model/classifier';
import { imageSize } from '../model/classifier';
import type { Random } from '../util/random';
import type { AttackContext, ThreatModel } from './attack';
import { HyperplaneBoxProjector } from './fab-projection';
import { correct } from './geometry';
import { distance, vectorNorm } from './lp-norms';

export interface FabRunSettings {
  readonly nIter: number;
  readonly alphaMax: number;
  readonly eta: number;
  readonly beta: number;
}

export interface FabRunInput {
  /** The original images, m of them, all classified correctly. */
  readonly x0: Float32Array;
  readonly labels: Int32Array;
  readonly targets: Int32Array;
  readonly m: number;
}

export interface FabRunResult {
  /** The closest misclassified point found per sample, or the original image where none was. */
  readonly adv: Float32Array;
  /** Its distance to the original image; Infinity where none was found. */
  readonly distance: Float64Array;
}

/** Lower bound on the projections' norms, as the reference's, so alpha is defined at a boundary. */
const MIN_STEP_NORM = 1e-8;

/**
 * The reference's random start, used from the second restart on: a random direction scaled to half
 * of eps (uniform in [-1,1] per value normalised to Linf norm 1, or Gaussian normalised to L2 norm 1).
 */
function randomStart(x0: Float32Array, size: number, m: number, threat: ThreatModel, random: Random): Float32Array {
  const x1 = new Float32Array(x0.length);
  const t = new Float64Array(size);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < size; i++) t[i] = threat.norm === 'Linf' ? random.uniform(-1, 1) : random.normal();
    const scale = (0.5 * threat.eps) / Math.max(vectorNorm(threat.norm, t), 1e-12);
    for (let i = 0; i < size; i++) {
      x1[j * size + i] = Math.min(Math.max((x0[j * size + i] ?? 0) + scale * (t[i] ?? 0), 0), 1);
    }
  }
  return x1;
}

/** One FAB step for every sample: x1 <- clip((x1 + eta d1)(1 - alpha) + (x0 + eta d2) alpha). */
function stepTowardBoundary(
  input: FabRunInput,
  x1: Float32Array,
  margin: Float32Array,
  grad: Float32Array,
  projector: HyperplaneBoxProjector,
  norm: ThreatModel['norm'],
  settings: FabRunSettings,
): void {
  const { x0, m } = input;
  const size = projector.size;
  const d1 = new Float64Array(size);
  const d2 = new Float64Array(size);
  for (let j = 0; j < m; j++) {
    const offset = j * size;
    // The linearised boundary f(x1) + <g, z - x1> = 0 is the hyperplane <g, z> = <g, x1> - f(x1).
    let dot = 0;
    for (let i = 0; i < size; i++) dot += (grad[offset + i] ?? 0) * (x1[offset + i] ?? 0);
    const b = dot - (margin[j] ?? 0);
    projector.project(x1, offset, grad, offset, b, d1);
    projector.project(x0, offset, grad, offset, b, d2);
    const a1 = Math.max(vectorNorm(norm, d1), MIN_STEP_NORM);
    const a2 = Math.max(vectorNorm(norm, d2), MIN_STEP_NORM);
    const alpha = Math.min(Math.max(a1 / (a1 + a2), 0), settings.alphaMax);
    for (let i = 0; i < size; i++) {
      const fromIterate = (x1[offset + i] ?? 0) + settings.eta * (d1[i] ?? 0);
      const fromOriginal = (x0[offset + i] ?? 0) + settings.eta * (d2[i] ?? 0);
      x1[offset + i] = Math.min(Math.max(fromIterate * (1 - alpha) + fromOriginal * alpha, 0), 1);
    }
  }
}

export async function fabRun(
  model: Classifier,
  input: FabRunInput,
  threat: ThreatModel,
  context: AttackContext,
  settings: FabRunSettings,
  start: Random | undefined,
): Promise<FabRunResult> {
  const { x0, labels, targets, m } = input;
  const size = imageSize(model.inputShape);
  const projector = new HyperplaneBoxProjector(threat.norm, size);
  const x1 = start ? randomStart(x0, size, m, threat, start) : Float32Array.from(x0);
  const adv = Float32Array.from(x0);
  const best = new Float64Array(m).fill(Infinity);
  const objective = { kind: 'margin', labels, targets } as const;

  for (let iter = 0; iter < settings.nIter; iter++) {
    context.checkpoint?.();
    const { loss, grad } = await model.inputGradient(x1, m, objective);
    stepTowardBoundary(input, x1, loss, grad, projector, threat.norm, settings);
    context.checkpoint?.();
    const stillCorrect = correct(await model.logits(x1, m), labels, m);
    for (let j = 0; j < m; j++) {
      if (stillCorrect[j]) continue;
      const offset = j * size;
      const dist = distance(threat.norm, x1, offset, x0, offset, size);
      if (dist < (best[j] ?? Infinity)) {
        best[j] = dist;
        adv.set(x1.subarray(offset, offset + size), offset);
      }
      // The backward step: a closer misclassified point may lie between here and the original.
      for (let i = 0; i < size; i++) {
        const origin = x0[offset + i] ?? 0;
        x1[offset + i] = origin + ((x1[offset + i] ?? 0) - origin) * settings.beta;
      }
    }
  }
  return { adv, distance: best };
}
