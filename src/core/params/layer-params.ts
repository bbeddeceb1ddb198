import { allKnown, known, unknown, type Fact } from '../ir/fact';
import type { ActivationFunction, Pair } from '../ir/layers';

/**
 * A count as PyTorch would give it, or unknown: sizes must be non-negative integers (PyTorch
 * refuses negative ones) and the result exact in a double (past 2^53 a number would be wrong).
 */
function checkedCount(value: number, sizes: readonly number[]): Fact<number> {
  const bad = sizes.find((v) => !Number.isSafeInteger(v) || v < 0);
  if (bad !== undefined) return unknown(`the size ${bad} is not a non-negative integer (PyTorch refuses it)`);
  if (!Number.isSafeInteger(value)) return unknown('the count is past 2^53, beyond what is counted exactly here');
  return known(value);
}

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
  return checkedCount(cout * (cin / g) * kh * kw + (hasBias ? cout : 0), [cin, cout, kh, kw]);
}

export function linearParams(inFeatures: Fact<number>, outFeatures: Fact<number>, bias: Fact<boolean>): Fact<number> {
  const all = allKnown<[number, number, boolean]>([inFeatures, outFeatures, bias]);
  if (!all.known) return unknown(all.reason);
  const [fin, fout, hasBias] = all.value;
  return checkedCount(fin * fout + (hasBias ? fout : 0), [fin, fout]);
}

/** Every norm kind learns one scale and one shift per channel when affine. */
export function normParams(channels: Fact<number>, affine: Fact<boolean>): Fact<number> {
  const all = allKnown<[number, boolean]>([channels, affine]);
  if (!all.known) return unknown(all.reason);
  const [c, isAffine] = all.value;
  return checkedCount(isAffine ? 2 * c : 0, [c]);
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
  return checkedCount(2 * c * s + biases + (activation ? defaultLearnedCount(activation) : 0), [c, s]);
}
