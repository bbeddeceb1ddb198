import type { Layer } from '../ir/layers';
import type { Network } from '../ir/network';
import { NetworkMemo } from '../ir/network-memo';
import { outputShape, type Shape } from './shapes';

/** The square input a model is made for, and what says so. */
export interface ImpliedInput {
  readonly size: number;
  readonly why: string;
}

/** The sides tried, in order (floor division lets 28 and 29 both give 7x7: the usual one wins). */
const COMMON_SIDES = [28, 32, 64, 96, 112, 128, 160, 192, 224, 256, 299, 320, 384, 448, 512];

/** The layers an input passes through in order, up to the first Linear one (shortcuts leave the shape as is). */
function mainPath(network: Network): Layer[] {
  return [
    ...network.stem.layers,
    ...network.stages.flatMap((stage) => stage.blocks.flatMap((block) => [...block.layers, ...block.after])),
    ...network.head.layers,
  ];
}

/** The features reaching the first Linear layer at a side of `size`, and the features it takes. */
function atFirstDense(
  path: readonly Layer[],
  channels: number,
  size: number,
): { got?: number; want: number } | undefined {
  let shape: Shape | undefined = { kind: 'map', channels, height: size, width: size };
  for (const layer of path) {
    if (layer.kind === 'linear') {
      if (!layer.inFeatures.known) return undefined;
      const got = shape?.kind === 'flat' ? shape.features : shape && shape.channels * shape.height * shape.width;
      return { want: layer.inFeatures.value, ...(got === undefined ? {} : { got }) };
    }
    shape = outputShape(layer, shape);
  }
  return undefined;
}

const implied = new NetworkMemo<{ readonly input: ImpliedInput | undefined }>('implied input');

/**
 * The input side the model itself implies: the one its file declares (a Keras input shape), else
 * the one its first Linear layer's `in_features` requires after a flatten (an MNIST CNN's 28),
 * else 28 for one input channel (the grey digits of MNIST, the only one-channel data the engine
 * reads). Undefined when nothing in the model says: callers use their own default (224).
 */
export function impliedInputSize(network: Network): ImpliedInput | undefined {
  // Every summary asks (the language server's, per keystroke, for every model of the file); the IR is immutable.
  const cached = implied.get(network);
  if (cached) return cached.input;
  const input = computeImpliedInput(network);
  implied.set(network, { input });
  return input;
}

function computeImpliedInput(network: Network): ImpliedInput | undefined {
  if (network.inputSize) return { size: network.inputSize, why: 'the size the file declares' };
  const path = mainPath(network);
  const channels = network.inputChannels;
  const probe = (size: number): number | undefined => {
    const at = atFirstDense(path, channels, size);
    return at && at.got === at.want ? size : undefined;
  };
  // A global pool before the Linear layer makes any side fit: then the Linear layer says nothing.
  const small = atFirstDense(path, channels, 200);
  const large = atFirstDense(path, channels, 300);
  if (small && large && small.got !== large.got) {
    // Only the usual sides: a functional pool the reader did not keep would make an odd side fit.
    const fits = COMMON_SIDES.find((s) => probe(s) !== undefined);
    if (fits !== undefined) {
      return { size: fits, why: `the size its first Linear layer's ${small.want} input features need` };
    }
  }
  if (channels === 1) return { size: 28, why: 'one input channel: the 28x28 grey digits of MNIST' };
  return undefined;
}
