import { allKnown, known, unknown, type Fact } from '../ir/fact';
import type { ActivationFunction, Pair } from '../ir/layers';

/**
 * Parameter counts per layer kind, equal to `sum(p.numel() for p in module.parameters())` in
 * PyTorch: buffers (BatchNorm running statistics) are not parameters.
 */

export function convParams(
  inChannels: Fact<number>,
  outChannels: Fact<number>,
  kernel: Fact<Pair>,
  groups: Fact<number>,
  bias: Fact<boolean>,
): Fact<number> {
  const all = allKnown<[number, number, Pair, number, boolean]>([inChannels, outChannels, kernel, groups, bias]);
  if (!all.known) return unknown(all.reason);
  const [cin, cout, [kh, kw], g, hasBias] = all.value;
  if (g < 1 || cin % g !== 0 || cout % g !== 0) {
    return unknown(`channels ${cin} -> ${cout} are not divisible by ${g} groups`);
  }
  return known(cout * (cin / g) * kh * kw + (hasBias ? cout : 0));
}

export function linearParams(inFeatures: Fact<number>, outFeatures: Fact<number>, bias: Fact<boolean>): Fact<number> {
  const all = allKnown<[number, number, boolean]>([inFeatures, outFeatures, bias]);
  if (!all.known) return unknown(all.reason);
  const [fin, fout, hasBias] = all.value;
  return known(fin * fout + (hasBias ? fout : 0));
}

/** Every norm kind learns one scale and one shift per channel when affine. */
export function normParams(channels: Fact<number>, affine: Fact<boolean>): Fact<number> {
  const all = allKnown<[number, boolean]>([channels, affine]);
  if (!all.known) return unknown(all.reason);
  const [c, isAffine] = all.value;
  return known(isAffine ? 2 * c : 0);
}

/** Learned parameters of one activation layer (PReLU: num_parameters; PSiLU: alpha; PSSiLU: alpha, beta). */
export function defaultLearnedCount(fn: ActivationFunction): number {
  switch (fn) {
    case 'prelu':
    case 'psilu':
      return 1;
    case 'pssilu':
      return 2;
    default:
      return 0;
  }
}

/** torchvision's SqueezeExcitation: two biased 1x1 convs plus whatever its activation learns. */
export function squeezeExcitationParams(
  channels: Fact<number>,
  squeeze: Fact<number>,
  activation: ActivationFunction | null,
  bias: boolean,
): Fact<number> {
  const all = allKnown<[number, number]>([channels, squeeze]);
  if (!all.known) return unknown(all.reason);
  const [c, s] = all.value;
  const biases = bias ? s + c : 0;
  return known(2 * c * s + biases + (activation ? defaultLearnedCount(activation) : 0));
}
