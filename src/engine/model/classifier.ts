/**
 * The one interface the attacks and the training loops are written against. Every compute back end
 * (tfjs today, ONNX Runtime next, the user's PyTorch perhaps) implements it, so an algorithm is
 * written once. Images cross it as host arrays: NHWC float32 pixels in [0, 1] (normalisation is
 * inside the model), so the attacks' steps, projections and bookkeeping stay back-end free, and
 * each back end only provides the few differentiable quantities the algorithms need.
 */

export interface InputShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Values per image of an input shape. */
export function imageSize(shape: InputShape): number {
  return shape.height * shape.width * shape.channels;
}

/**
 * A per-sample scalar whose gradient with respect to the input an attack follows (ascending).
 * - `ce`: cross-entropy of the true label.
 * - `dlr`: minus the untargeted difference-of-logits ratio (Croce and Hein, 2020, eq. 5), so that
 *   ascending it drives the true logit below the best other one.
 * - `dlr-targeted`: minus the targeted DLR (Croce and Hein, 2020, eq. 6) toward `targets`.
 * - `margin`: logit[target] - logit[label] (FAB's linearisation uses its value and gradient).
 * - `kl`: KL(reference || softmax(logits)), TRADES's inner maximisation (Zhang et al., 2019),
 *   with `reference` the natural images' probabilities, n x classes.
 */
export type InputObjective =
  | { readonly kind: 'ce'; readonly labels: Int32Array }
  | { readonly kind: 'dlr'; readonly labels: Int32Array }
  | { readonly kind: 'dlr-targeted'; readonly labels: Int32Array; readonly targets: Int32Array }
  | { readonly kind: 'margin'; readonly labels: Int32Array; readonly targets: Int32Array }
  | { readonly kind: 'kl'; readonly reference: Float32Array };

export interface InputGradient {
  /** The objective per sample. */
  readonly loss: Float32Array;
  /** d loss_i / d x_i, same layout as the input. */
  readonly grad: Float32Array;
  /** n x classes, from the same forward pass. */
  readonly logits: Float32Array;
}

/** A model that can be attacked: evaluation mode (BatchNorm uses its running statistics). */
export interface Classifier {
  readonly inputShape: InputShape;
  readonly numClasses: number;
  /** n x classes. */
  logits(x: Float32Array, n: number): Promise<Float32Array>;
  inputGradient(x: Float32Array, n: number, objective: InputObjective): Promise<InputGradient>;
}

/** What one optimisation step minimises. */
export type TrainObjective =
  | { readonly kind: 'ce'; readonly x: Float32Array; readonly labels: Int32Array }
  /** CE on natural images + beta * KL(p(natural) || p(adversarial)) (TRADES, Zhang et al., 2019). */
  | {
      readonly kind: 'trades';
      readonly x: Float32Array;
      readonly xAdv: Float32Array;
      readonly labels: Int32Array;
      readonly beta: number;
    };

/** SGD with momentum as PyTorch defines it; weight decay is not applied to norms and biases. */
export interface SgdHyper {
  readonly learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
}

export interface StepResult {
  /** Mean loss of the batch before the step. */
  readonly loss: number;
  /** n x classes, from the training-mode forward pass (of the adversarial images for TRADES: natural). */
  readonly logits: Float32Array;
}

/** Named host arrays: weights, BatchNorm running statistics, optimiser buffers. */
export interface ModelState {
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
}

export interface TrainableClassifier extends Classifier {
  /** Learned parameters, counted as PyTorch's `parameters()` counts them. */
  paramCount(): number;
  trainStep(objective: TrainObjective, n: number, hyper: SgdHyper): Promise<StepResult>;
  getState(): Promise<ModelState>;
  setState(state: ModelState): Promise<void>;
  dispose(): void;
}
