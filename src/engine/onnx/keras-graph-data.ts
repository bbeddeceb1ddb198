/**
 * A TF.js LayersModel as plain data (keras-graph.ts reads it with tfjs-layers). Kept apart so the
 * ONNX emitters and classifiers that consume it load no tfjs.
 *
 * Not core's KerasGraph (src/core/frontends/keras/keras-graph.ts), though the names match: that one
 * is the model file's JSON for counting (snake_case configs, layers linked by name, weight shapes
 * only); this one is what tfjs built (camelCase configs, values linked by tensor, weight data).
 */

/** One weight of a layer, by its Keras name within the layer ('kernel', 'moving_mean', ...). */
export interface KerasWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** One application of a layer: its inputs and output are value keys of the graph. */
export interface KerasNode {
  readonly name: string;
  readonly className: string;
  /** tfjs-layers' `getConfig()`: camelCase keys, activations by tfjs class name. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly weights: ReadonlyMap<string, KerasWeight>;
}

/**
 * A TF.js LayersModel as plain data: its layer applications in execution order with their
 * configuration and weights. It holds no tfjs tensors, so ONNX graphs for any batch size can be
 * emitted from it after the tfjs model is gone.
 */
export interface KerasGraph {
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly nodes: readonly KerasNode[];
  /**
   * The last layer ends in a softmax; the tfjs back end takes log(max(p, 1e-30)) of it for
   * logits (layers-classifier.ts), and the ONNX graph does the same.
   */
  readonly softmaxOutput: boolean;
  /** Elements of the trainable weights (what the tfjs classifier's paramCount counts). */
  readonly paramCount: number;
  /** The model's input and output shapes as Keras declares them (null: the batch). */
  readonly inputDims: readonly (number | null)[];
  readonly outputDims: readonly (number | null)[];
}

/** The floor layers-classifier.ts puts under a softmax output before its log. */
export const SOFTMAX_LOG_FLOOR = 1e-30;
