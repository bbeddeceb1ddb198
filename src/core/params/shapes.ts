import type { Layer, Pair } from '../ir/layers';

/** A per-sample activation shape: channels x height x width, or a flat feature vector. */
export type Shape =
  | { readonly kind: 'map'; readonly channels: number; readonly height: number; readonly width: number }
  | { readonly kind: 'flat'; readonly features: number };

export function formatShape(shape: Shape | undefined): string {
  if (!shape) return '?';
  return shape.kind === 'map' ? `[${shape.channels}, ${shape.height}, ${shape.width}]` : `[${shape.features}]`;
}

/** Output length of a conv or pool along one axis (PyTorch's formula, floor mode). */
function outLength(length: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((length + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

function windowed(
  input: Shape,
  channels: number,
  kernel: Pair,
  stride: Pair,
  padding: Pair,
  dilation: Pair,
): Shape | undefined {
  if (input.kind !== 'map') return undefined;
  const height = outLength(input.height, kernel[0], stride[0], padding[0], dilation[0]);
  const width = outLength(input.width, kernel[1], stride[1], padding[1], dilation[1]);
  if (height < 1 || width < 1) return undefined;
  return { kind: 'map', channels, height, width };
}

/** The layer's output shape for a given input shape, or undefined when it cannot be known. */
export function outputShape(layer: Layer, input: Shape | undefined): Shape | undefined {
  if (!input) return undefined;
  switch (layer.kind) {
    case 'conv': {
      const f = layer;
      if (!f.outChannels.known || !f.kernel.known || !f.stride.known || !f.padding.known || !f.dilation.known)
        return undefined;
      return windowed(input, f.outChannels.value, f.kernel.value, f.stride.value, f.padding.value, f.dilation.value);
    }
    case 'pool': {
      if (input.kind !== 'map') return undefined;
      if (layer.outputSize)
        return { kind: 'map', channels: input.channels, height: layer.outputSize[0], width: layer.outputSize[1] };
      if (!layer.kernel.known || !layer.stride.known || !layer.padding.known) return undefined;
      return windowed(input, input.channels, layer.kernel.value, layer.stride.value, layer.padding.value, [1, 1]);
    }
    case 'linear':
      return layer.outFeatures.known ? { kind: 'flat', features: layer.outFeatures.value } : undefined;
    case 'flatten':
      return input.kind === 'map' ? { kind: 'flat', features: input.channels * input.height * input.width } : input;
    case 'norm':
    case 'activation':
    case 'se':
    case 'identity':
      return input;
    case 'other':
      // Dropout keeps the shape; other parameter-free layers (Upsample...) are not followed.
      return /Dropout/.test(layer.className) ? input : undefined;
  }
}
