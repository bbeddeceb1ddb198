import { valueOf, type Layer, type Network, type Pair } from '../../core';
import { activationInitialParams } from '../model/activation-params';
import type { InputShape } from '../model/classifier';

/**
 * Where each tensor of a network of the IR lives under PyTorch's names, and how its layout
 * differs from the engine's. Two naming schemes are known:
 * - `ir`: the names of python/ir_model.py's IrModel (`stem.0.weight`, `blocks.3.branch.1.running_var`,
 *   `head.2.1.weight`, the `mean`/`std` normalisation buffers), which is what our export writes;
 * - `source`: the layer names the front end read from the model's own file (a PyTorch module's
 *   attribute paths), which is what a checkpoint of the user's own nn.Module holds.
 * The engine keeps conv kernels HWIO and linear weights [in, out] over channels-last features;
 * PyTorch keeps OIHW and [out, in] over channels-first features.
 */
export type TorchLayout =
  | { readonly kind: 'same' }
  | { readonly kind: 'conv' }
  /** `c`, `h`, `w`: the map the linear layer flattens (1x1 when it follows a global pool). */
  | { readonly kind: 'linear'; readonly c: number; readonly h: number; readonly w: number };

export interface TorchSlot {
  readonly irName: string;
  readonly sourceName: string;
  /** The engine's ModelState key; absent for tensors the engine keeps elsewhere or not at all. */
  readonly engineName?: string;
  readonly torchShape: readonly number[];
  readonly engineShape: readonly number[];
  readonly layout: TorchLayout;
  /** BatchNorm's num_batches_tracked (int64, not used by the engine) or the IR model's normalisation buffers. */
  readonly role: 'tensor' | 'counter' | 'mean' | 'std';
}

const SAME: TorchLayout = { kind: 'same' };

interface MapShape {
  c: number;
  h: number;
  w: number;
  /** Set once the map is flattened to features. */
  features?: number;
  /** The map a later linear layer's features came from. */
  flattened?: { readonly c: number; readonly h: number; readonly w: number };
}

/** Every tensor of `network` for images of `input`, in the IR model's state_dict order. */
export function torchSlots(network: Network, input: InputShape): TorchSlot[] {
  const slots: TorchSlot[] = [];
  const c = network.inputChannels;
  for (const role of ['mean', 'std'] as const) {
    slots.push({ irName: role, sourceName: role, torchShape: [1, c, 1, 1], engineShape: [c], layout: SAME, role });
  }
  const shape: MapShape = { c, h: input.height, w: input.width };
  network.stem.layers.forEach((layer, i) => layerSlots(layer, `stem.${i}`, shape, slots));
  let block = 0;
  for (const stage of network.stages) {
    for (const b of stage.blocks) {
      const before = { ...shape };
      b.layers.forEach((layer, i) => layerSlots(layer, `blocks.${block}.branch.${i}`, shape, slots));
      const shortcut = { ...before };
      b.shortcut.forEach((layer, i) => layerSlots(layer, `blocks.${block}.shortcut.${i}`, shortcut, slots));
      b.after.forEach((layer, i) => layerSlots(layer, `blocks.${block}.after.${i}`, shape, slots));
      block += 1;
    }
  }
  network.head.layers.forEach((layer, i) => layerSlots(layer, `head.${i}`, shape, slots));
  return slots;
}

function layerSlots(layer: Layer, ir: string, shape: MapShape, slots: TorchSlot[]): void {
  const name = layer.name;
  const tensor = (irName: string, suffix: string, torchShape: number[], engineShape: number[], layout = SAME): void => {
    const own = `${name}.${suffix}`;
    slots.push({ irName, sourceName: own, engineName: own, torchShape, engineShape, layout, role: 'tensor' });
  };
  switch (layer.kind) {
    case 'conv': {
      const cin = known(layer.inChannels);
      const cout = known(layer.outChannels);
      const [kh, kw] = known(layer.kernel);
      const groups = known(layer.groups);
      tensor(`${ir}.weight`, 'weight', [cout, cin / groups, kh, kw], [kh, kw, cin / groups, cout], { kind: 'conv' });
      if (known(layer.bias)) tensor(`${ir}.bias`, 'bias', [cout], [cout]);
      const [sh, sw] = known(layer.stride);
      const [ph, pw] = known(layer.padding);
      const [dh, dw] = known(layer.dilation);
      shape.c = cout;
      shape.h = Math.floor((shape.h + 2 * ph - dh * (kh - 1) - 1) / sh + 1);
      shape.w = Math.floor((shape.w + 2 * pw - dw * (kw - 1) - 1) / sw + 1);
      return;
    }
    case 'linear': {
      const fin = known(layer.inFeatures);
      const fout = known(layer.outFeatures);
      const from =
        shape.features === undefined
          ? { c: shape.c, h: shape.h, w: shape.w }
          : (shape.flattened ?? { c: fin, h: 1, w: 1 });
      const map = from.c * from.h * from.w === fin ? from : { c: fin, h: 1, w: 1 };
      tensor(`${ir}.1.weight`, 'weight', [fout, fin], [fin, fout], { kind: 'linear', ...map });
      if (known(layer.bias)) tensor(`${ir}.1.bias`, 'bias', [fout], [fout]);
      shape.features = fout;
      shape.flattened = { c: fout, h: 1, w: 1 };
      return;
    }
    case 'norm': {
      const c = known(layer.channels);
      const inner = layer.norm === 'layer' ? `${ir}.norm` : ir;
      if (known(layer.affine)) {
        tensor(`${inner}.weight`, 'weight', [c], [c]);
        tensor(`${inner}.bias`, 'bias', [c], [c]);
      }
      if (layer.norm === 'batch') {
        tensor(`${ir}.running_mean`, 'running_mean', [c], [c]);
        tensor(`${ir}.running_var`, 'running_var', [c], [c]);
        slots.push({
          irName: `${ir}.num_batches_tracked`,
          sourceName: `${name}.num_batches_tracked`,
          torchShape: [],
          engineShape: [],
          layout: SAME,
          role: 'counter',
        });
      }
      return;
    }
    case 'activation': {
      const count = valueOf(layer.learnedCount) ?? 1;
      for (const param of Object.keys(activationInitialParams(layer.fn))) {
        const n = param === 'weight' ? count : 1;
        tensor(`${ir}.${param}`, param, [n], [n]);
      }
      return;
    }
    case 'se': {
      const c = known(layer.channels);
      const s = known(layer.squeezeChannels);
      tensor(`${ir}.fc1.weight`, 'fc1.weight', [s, c, 1, 1], [1, 1, c, s], { kind: 'conv' });
      if (layer.bias) tensor(`${ir}.fc1.bias`, 'fc1.bias', [s], [s]);
      tensor(`${ir}.fc2.weight`, 'fc2.weight', [c, s, 1, 1], [1, 1, s, c], { kind: 'conv' });
      if (layer.bias) tensor(`${ir}.fc2.bias`, 'fc2.bias', [c], [c]);
      if (layer.activation) {
        for (const param of Object.keys(activationInitialParams(layer.activation))) {
          tensor(`${ir}.activation.${param}`, `activation.${param}`, [1], [1]);
        }
      }
      return;
    }
    case 'pool': {
      if (layer.outputSize) {
        [shape.h, shape.w] = layer.outputSize;
        return;
      }
      const [kh, kw] = known(layer.kernel) as Pair;
      const [sh, sw] = known(layer.stride);
      const [ph, pw] = known(layer.padding);
      shape.h = Math.floor((shape.h + 2 * ph - kh) / sh + 1);
      shape.w = Math.floor((shape.w + 2 * pw - kw) / sw + 1);
      return;
    }
    case 'flatten':
      if (shape.features === undefined) {
        shape.flattened = { c: shape.c, h: shape.h, w: shape.w };
        shape.features = shape.c * shape.h * shape.w;
      }
      return;
    case 'identity':
    case 'other':
      return;
  }
}

function known<T>(fact: { known: true; value: T } | { known: false; reason: string }): T {
  if (!fact.known) throw new Error(`a layer fact is unknown (${fact.reason}); the model could not have been built`);
  return fact.value;
}

/** For each element in PyTorch's layout, its index in the engine's; undefined when they are the same. */
function engineIndexOfTorch(slot: TorchSlot): Int32Array | undefined {
  const layout = slot.layout;
  if (layout.kind === 'same') return undefined;
  if (layout.kind === 'conv') {
    // PyTorch OIHW, the engine HWIO.
    const [kh, kw, cin, cout] = slot.engineShape as [number, number, number, number];
    const map = new Int32Array(kh * kw * cin * cout);
    for (let o = 0; o < cout; o++) {
      for (let i = 0; i < cin; i++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) map[((o * cin + i) * kh + y) * kw + x] = ((y * kw + x) * cin + i) * cout + o;
        }
      }
    }
    return map;
  }
  // PyTorch [out, in], the engine [in, out] with its own order of the inputs.
  const [fin, fout] = slot.engineShape as [number, number];
  const map = new Int32Array(fin * fout);
  for (let o = 0; o < fout; o++) {
    for (let f = 0; f < fin; f++) map[o * fin + f] = linearEngineRow(layout, f) * fout + o;
  }
  return map;
}

/** PyTorch's layout to the engine's. */
export function toEngineLayout(slot: TorchSlot, data: Float32Array): Float32Array {
  const map = engineIndexOfTorch(slot);
  if (!map) return data;
  const out = new Float32Array(data.length);
  for (let t = 0; t < map.length; t++) out[map[t] as number] = data[t] as number;
  return out;
}

/** The engine's layout to PyTorch's. */
export function toTorchLayout(slot: TorchSlot, data: Float32Array): Float32Array {
  const map = engineIndexOfTorch(slot);
  if (!map) return data;
  const out = new Float32Array(data.length);
  for (let t = 0; t < map.length; t++) out[t] = data[map[t] as number] as number;
  return out;
}

/** PyTorch flattens (c, y, x); the engine flattens channels last, (y, x, c). */
function linearEngineRow(layout: Extract<TorchLayout, { kind: 'linear' }>, feature: number): number {
  const { c, h, w } = layout;
  if (h * w === 1) return feature;
  const channel = Math.floor(feature / (h * w));
  const rest = feature % (h * w);
  return rest * c + channel;
}
