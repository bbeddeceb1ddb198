import type { Layer, Network } from '../../core';
import type { InputShape, ModelState } from '../model/classifier';
import { activationInitialParams } from '../model/activation-params';
import { UnsupportedModelError } from '../tfjs/unsupported-model-error';
import { Random } from '../util/random';
import { elementCount } from './host-tensor';
import { toEngineLayout, torchSlots, type TorchSlot } from './torch-names';

/**
 * How PyTorch's layers initialise each tensor by default (torch.nn's `reset_parameters`):
 * - conv and linear weights: `kaiming_uniform_(a=sqrt(5))` (He et al., 2015), i.e. uniform in
 *   +-gain*sqrt(3/fan_in) with gain sqrt(2/(1+a^2)), which is +-1/sqrt(fan_in);
 * - their biases: uniform in +-1/sqrt(fan_in) of the weight;
 * - norm layers: weight 1, bias 0; BatchNorm's running mean 0 and running variance 1;
 * - parametric activations: their constants (PReLU 0.25, PSiLU's alpha 1 ...).
 */
export type InitialRule =
  | { readonly kind: 'kaiming-uniform'; readonly fanIn: number }
  | { readonly kind: 'bias-uniform'; readonly fanIn: number }
  | { readonly kind: 'constant'; readonly value: number };

/** kaiming_uniform_'s negative slope in nn.Conv2d and nn.Linear's reset_parameters. */
const KAIMING_A = Math.sqrt(5);

/** The half-width of the uniform distribution a rule draws from (0 for constants). */
export function initialBound(rule: InitialRule): number {
  if (rule.kind === 'constant') return 0;
  if (rule.fanIn <= 0) return 0;
  if (rule.kind === 'bias-uniform') return 1 / Math.sqrt(rule.fanIn);
  const gain = Math.sqrt(2 / (1 + KAIMING_A * KAIMING_A));
  return gain * Math.sqrt(3 / rule.fanIn);
}

export interface InitialTensor {
  readonly slot: TorchSlot;
  readonly rule: InitialRule;
  /** BatchNorm's running statistics: kept and updated, but not learned (not in `parameters()`). */
  readonly buffer: boolean;
}

/**
 * Every tensor the engine keeps for `network`, with the rule PyTorch would initialise it by, in
 * the IR model's state_dict order (python/ir_model.py). The normalisation buffers and BatchNorm's
 * counter are left out: the engine does not keep them as weights.
 */
export function initialTensors(network: Network, input: InputShape): InitialTensor[] {
  let slots: TorchSlot[];
  try {
    slots = torchSlots(network, input);
  } catch (error) {
    throw new UnsupportedModelError(`${network.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const layers = layersByName(network);
  const out: InitialTensor[] = [];
  for (const slot of slots) {
    if (slot.role !== 'tensor' || !slot.engineName) continue;
    const buffer = /\.running_(mean|var)$/.test(slot.engineName);
    out.push({ slot, rule: ruleOf(slot, layers), buffer });
  }
  return out;
}

/**
 * The initial weights of a network of the IR, drawn on the host from the engine's seeded Random:
 * a seed gives the same arrays on every back end and machine. Keys are the PyTorch names the
 * engine's state uses (the model file's own layer names; torch-names.ts maps them to the IR
 * model's), values are in the engine's layouts (conv kernels HWIO, linear weights [in, out]).
 * Each tensor is drawn element by element in PyTorch's layout (OIHW, [out, in]), tensor after
 * tensor in state_dict order, then moved to the engine's layout. The state lists them in the
 * engine's order, the tfjs store's: parameters, then the BatchNorm running statistics (the PyTorch
 * trainer's init.rlck is read in that order, python/ir_model.py's assign_engine_tensors).
 */
export function initialState(network: Network, input: InputShape, seed: number): ModelState {
  const random = new Random(seed);
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  const all = initialTensors(network, input);
  const drawn = new Map<InitialTensor, Float32Array>();
  for (const t of all) {
    const { slot, rule } = t;
    const data = new Float32Array(elementCount(slot.torchShape));
    if (rule.kind === 'constant') data.fill(rule.value);
    else {
      const bound = initialBound(rule);
      for (let i = 0; i < data.length; i++) data[i] = random.uniform(-bound, bound);
    }
    drawn.set(t, toEngineLayout(slot, data));
  }
  for (const t of [...all.filter((x) => !x.buffer), ...all.filter((x) => x.buffer)])
    tensors.set(t.slot.engineName as string, { shape: t.slot.engineShape, data: drawn.get(t) as Float32Array });
  return { tensors };
}

/** The learned parameters of `network`, counted as PyTorch's `parameters()` counts them. */
export function parameterCount(network: Network, input: InputShape): number {
  return initialTensors(network, input).reduce((n, t) => (t.buffer ? n : n + elementCount(t.slot.torchShape)), 0);
}

function ruleOf(slot: TorchSlot, layers: ReadonlyMap<string, Layer>): InitialRule {
  const name = slot.engineName as string;
  const dot = name.lastIndexOf('.');
  const param = name.slice(dot + 1);
  const layer = findLayer(name, layers);
  if (layer?.kind === 'se' && layer.activation && name.startsWith(`${layer.name}.activation.`))
    return { kind: 'constant', value: activationInitialParams(layer.activation)[param] ?? 0 };
  switch (layer?.kind) {
    case 'conv':
    case 'linear':
    case 'se': {
      // The weight's fan-in: every dimension but the first (out channels) of PyTorch's shape.
      const fanIn = fanInOf(slot, layer, name);
      return param === 'weight' ? { kind: 'kaiming-uniform', fanIn } : { kind: 'bias-uniform', fanIn };
    }
    case 'norm':
      if (param === 'running_var' || param === 'weight') return { kind: 'constant', value: 1 };
      return { kind: 'constant', value: 0 };
    case 'activation':
      return { kind: 'constant', value: activationInitialParams(layer.fn)[param] ?? 0 };
    default:
      throw new UnsupportedModelError(`${name}: no layer of the network holds this tensor`);
  }
}

/** The fan-in of the weight a tensor belongs to (a bias shares its weight's). */
function fanInOf(slot: TorchSlot, layer: Layer, name: string): number {
  if (layer.kind === 'se') {
    // fc1: a 1x1 conv from the block's channels; fc2: from the squeezed channels.
    const c = layer.channels.known ? layer.channels.value : 0;
    const s = layer.squeezeChannels.known ? layer.squeezeChannels.value : 0;
    return name.endsWith('.fc1.weight') || name.endsWith('.fc1.bias') ? c : s;
  }
  if (slot.torchShape.length > 1) return slot.torchShape.slice(1).reduce((n, d) => n * d, 1);
  if (layer.kind === 'linear' && layer.inFeatures.known) return layer.inFeatures.value;
  if (layer.kind === 'conv' && layer.inChannels.known && layer.groups.known && layer.kernel.known) {
    const [kh, kw] = layer.kernel.value;
    return (layer.inChannels.value / layer.groups.value) * kh * kw;
  }
  return 0;
}

function findLayer(name: string, layers: ReadonlyMap<string, Layer>): Layer | undefined {
  // The longest layer name that prefixes the tensor's name ("se.fc1.weight" belongs to "se").
  for (let end = name.lastIndexOf('.'); end > 0; end = name.lastIndexOf('.', end - 1)) {
    const layer = layers.get(name.slice(0, end));
    if (layer) return layer;
  }
  return undefined;
}

function layersByName(network: Network): Map<string, Layer> {
  const out = new Map<string, Layer>();
  const add = (layers: readonly Layer[]): void => {
    for (const l of layers) out.set(l.name, l);
  };
  add(network.stem.layers);
  for (const stage of network.stages) {
    for (const b of stage.blocks) {
      add(b.layers);
      add(b.shortcut);
      add(b.after);
    }
  }
  add(network.head.layers);
  return out;
}
