import type { AttackName } from '../attacks/autoattack';
import type { AttackBatch } from '../attacks/attack';
import type { Classifier, ModelState } from '../model/classifier';
import type { EvalWarning } from './eval-warnings';

/**
 * Checks that an evaluation over-reports robustness, after the AutoAttack authors' list of common
 * mistakes (Croce and Hein, ICML 2020, sec. 5 and their "checks"): a randomised forward pass, softmax
 * outputs, masked gradients, a model whose statistics move during the attack, near-chance clean
 * accuracy, and a black-box attack beating the white-box ones.
 */

/** Two logits arrays differ beyond float noise, relative to their scale. */
export function logitsDiffer(a: Float32Array, b: Float32Array): boolean {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i] ?? 0));
    diff = Math.max(diff, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  }
  return diff > 1e-4 * (scale + 1);
}

/** Every row is non-negative and sums to 1: the model ends in a softmax. */
export function looksLikeProbabilities(logits: Float32Array, n: number): boolean {
  const k = logits.length / n;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const v = logits[i * k + j] ?? 0;
      if (v < 0) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return n > 0;
}

/** How many images' input gradients are exactly zero everywhere. */
export function zeroGradientCount(grad: Float32Array, n: number): number {
  const d = grad.length / n;
  let zero = 0;
  for (let i = 0; i < n; i++) {
    let all = true;
    for (let j = i * d; j < (i + 1) * d; j++) {
      if (grad[j] !== 0) {
        all = false;
        break;
      }
    }
    if (all) zero += 1;
  }
  return zero;
}

interface StatefulModel {
  getState(): Promise<ModelState>;
}

function hasState(model: Classifier): model is Classifier & StatefulModel {
  return typeof (model as Partial<StatefulModel>).getState === 'function';
}

/** Names of the tensors whose values differ between two states. */
export function changedTensors(before: ModelState, after: ModelState): string[] {
  const changed: string[] = [];
  for (const [name, t] of before.tensors) {
    const other = after.tensors.get(name);
    const same = other && other.data.length === t.data.length && t.data.every((v, i) => Object.is(v, other.data[i]));
    if (!same) changed.push(name);
  }
  return changed;
}

/**
 * Probes the model on one batch before the attacks (`before`) and again after them (`after`), then
 * reads the attacks' outcome (`finish`). The probe batch is the evaluation's first one.
 */
export class OverreportChecks {
  private readonly warnings: EvalWarning[] = [];
  private batch: AttackBatch | undefined;
  private logitsBefore: Float32Array | undefined;
  private stateBefore: ModelState | undefined;
  private randomised = false;

  constructor(private readonly untrained: boolean) {}

  async before(model: Classifier, batch: AttackBatch): Promise<void> {
    this.batch = batch;
    if (hasState(model)) this.stateBefore = await model.getState();
    const first = await model.logits(batch.x, batch.n);
    const second = await model.logits(batch.x, batch.n);
    this.logitsBefore = first;
    if (logitsDiffer(first, second)) {
      this.randomised = true;
      this.add(
        'randomised-logits',
        'the logits of two identical calls on the same images differ: the model is randomised',
        'evaluate with --version rand (APGD with EOT over 20 samples); the standard version over-reports it',
      );
    }
    if (looksLikeProbabilities(first, batch.n)) {
      this.add(
        'probability-outputs',
        'the outputs are probabilities (every row non-negative, summing to 1), not logits',
        'remove the final softmax: cross-entropy and DLR losses saturate on probabilities and the attacks stall',
      );
    }
    // Cross-entropy, not DLR: DLR is constant (gradient exactly zero) wherever the true class ranks third.
    const g = await model.inputGradient(batch.x, batch.n, { kind: 'ce', labels: batch.labels });
    const zero = zeroGradientCount(g.grad, batch.n);
    if (zero > 0) {
      this.add(
        'zero-gradients',
        `${zero} of ${batch.n} probed images (${pct(zero / batch.n)}) have an input gradient of exactly zero`,
        'gradient masking (a step function, rounding, a non-differentiable layer): trust Square, or use BPDA',
      );
    }
  }

  async after(model: Classifier): Promise<void> {
    const batch = this.batch;
    if (!batch) return;
    if (this.stateBefore && hasState(model)) {
      const changed = changedTensors(this.stateBefore, await model.getState());
      if (changed.length > 0) {
        const names = `${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', ...' : ''}`;
        this.add(
          'state-changed',
          `the attacks changed the model's state (${names})`,
          'the model is in training mode (BatchNorm statistics move during the attack): call model.eval() first',
        );
        return;
      }
    }
    if (this.randomised || !this.logitsBefore) return;
    if (logitsDiffer(this.logitsBefore, await model.logits(batch.x, batch.n))) {
      this.add(
        'state-changed',
        'the logits of the same images changed between before and after the attacks',
        'the model keeps state across calls (BatchNorm in training mode?): call model.eval() before evaluating',
      );
    }
  }

  /** The checks on the evaluation's figures, then every warning, the untrained one first. */
  finish(
    cleanAccuracy: number,
    samples: number,
    numClasses: number,
    attacks: readonly AttackName[],
    afterEach: readonly Uint8Array[],
  ): EvalWarning[] {
    const head: EvalWarning[] = this.untrained
      ? [
          {
            code: 'untrained-weights',
            message: 'untrained weights: no --weights given, so these figures describe a randomly initialised model',
            advice: 'train the model (robustness-lens train) and evaluate with --weights RUN',
          },
        ]
      : [];
    const chance = 1 / Math.max(numClasses, 1);
    if (samples > 0 && cleanAccuracy < Math.min(1.5 * chance, chance + 0.1)) {
      this.add(
        'near-chance',
        `clean accuracy ${pct(cleanAccuracy)} is near chance (${pct(chance)} for ${numClasses} classes)`,
        'check the input range ([0,1] pixels) and that normalisation is inside the model',
      );
    }
    const square = squareOnlyBreaks(attacks, afterEach, samples);
    if (square > 0) {
      const share = pct(square / Math.max(samples, 1));
      this.add(
        'black-box-beats-gradient',
        `Square broke ${square} image${square === 1 ? '' : 's'} (${share}) that the gradient attacks left robust`,
        'a black-box attack beating white-box ones points to gradient masking: gradient attacks alone over-report',
      );
    }
    return [...head, ...this.warnings];
  }

  private add(code: EvalWarning['code'], message: string, advice: string): void {
    if (!this.warnings.some((w) => w.code === code)) this.warnings.push({ code, message, advice });
  }
}

/** Images Square broke after at least one gradient attack ran on them and left them robust. */
export function squareOnlyBreaks(
  attacks: readonly AttackName[],
  afterEach: readonly Uint8Array[],
  samples: number,
): number {
  let count = 0;
  attacks.forEach((name, i) => {
    if (name !== 'square' || i === 0) return;
    const before = afterEach[i - 1];
    const after = afterEach[i];
    if (!before || !after || !attacks.slice(0, i).some((a) => a !== 'square')) return;
    for (let s = 0; s < samples; s++) if (before[s] && !after[s]) count += 1;
  });
  return count;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
