import { known, unknown, type Fact } from '../ir/fact';
import type { Layer } from '../ir/layers';
import type { Shape } from './shapes';

/**
 * Multiply-accumulates of one layer for one sample. Counted for the layers that multiply
 * weights with activations (convs, linear layers, the two 1x1 convs of SE on the pooled map),
 * as fvcore and most papers count GMACs; norms, activations and pooling add no MACs here.
 */
/** Layers with weights that multiply none with the activations: lookups, norms, a bare nn.Parameter. */
const NO_MACS = new Set([
  'Parameter',
  'Embedding',
  'EmbeddingBag',
  'LayerNorm',
  'LayerNormalization',
  'GroupNorm',
  'GroupNormalization',
  'SyncBatchNorm',
  'BatchNormalization',
]);
/** BatchNorm1d..3d and InstanceNorm1d..3d, which have no MACs either. */
const NO_MACS_RANKED = /^(Batch|Instance)Norm[123]d$/;

export function layerMacs(layer: Layer, output: Shape | undefined): Fact<number> {
  switch (layer.kind) {
    case 'conv': {
      if (!output || output.kind !== 'map') return unknown('the output shape is unknown');
      const { inChannels, outChannels, kernel, groups } = layer;
      if (!inChannels.known || !outChannels.known || !kernel.known || !groups.known)
        return unknown('a conv hyper-parameter is unknown');
      const perPosition = outChannels.value * (inChannels.value / groups.value) * kernel.value[0] * kernel.value[1];
      return known(perPosition * output.height * output.width);
    }
    case 'linear':
      if (!layer.inFeatures.known || !layer.outFeatures.known) return unknown('a linear layer dimension is unknown');
      return known(layer.inFeatures.value * layer.outFeatures.value);
    case 'se':
      if (!layer.channels.known || !layer.squeezeChannels.known) return unknown('the SE widths are unknown');
      return known(2 * layer.channels.value * layer.squeezeChannels.value);
    case 'other':
      // A part the front end could not evaluate may hold anything.
      if (!layer.params.known) return unknown('a part of the model is not known');
      // A layer with weights not counted here (LSTM, attention, Conv1d) multiplies them: 0 would be a wrong figure.
      return layer.params.value === 0 || NO_MACS.has(layer.className) || NO_MACS_RANKED.test(layer.className)
        ? known(0)
        : unknown(`the MACs of ${layer.className} are not counted`);
    default:
      return known(0);
  }
}
