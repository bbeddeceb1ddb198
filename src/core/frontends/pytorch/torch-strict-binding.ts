import type { PyValue } from './values';

/**
 * Binds a call's arguments to a torch.nn constructor as Python would, refusing what Python
 * refuses (too many positional arguments, a keyword the constructor does not take, one given
 * twice, a required one missing), so a layer PyTorch would not build is never counted.
 */

export interface StrictSignature {
  /** Positional-or-keyword parameters, in order. */
  readonly params: readonly string[];
  /** How many of the leading params have no default. */
  readonly required: number;
  readonly defaults: Readonly<Record<string, PyValue>>;
  /** Keyword-only parameters with their defaults (nn.RNN's nonlinearity). */
  readonly keywordOnly?: Readonly<Record<string, PyValue>>;
}

export type Binding =
  { readonly ok: true; readonly args: Map<string, PyValue> } | { readonly ok: false; reason: string };

/** PyTorch 1.13's device types, with an optional index (torch/csrc/Device.cpp). */
const DEVICE =
  /^(cpu|cuda|mkldnn|opengl|opencl|ideep|hip|ve|fpga|ort|xla|lazy|vulkan|mps|meta|hpu|privateuseone)(:\d+)?$/;

export function bindStrict(
  className: string,
  signature: StrictSignature,
  positional: readonly PyValue[],
  keywords: ReadonlyMap<string, PyValue>,
): Binding {
  const refuse = (why: string): Binding => ({ ok: false, reason: `nn.${className} ${why}: PyTorch refuses it` });
  const { params, required, defaults } = signature;
  const keywordOnly = signature.keywordOnly ?? {};
  if (positional.length > params.length)
    return refuse(`takes at most ${params.length} positional arguments but ${positional.length} were given`);
  const args = new Map<string, PyValue>();
  positional.forEach((value, i) => args.set(params[i] as string, value));
  for (const [name, value] of keywords) {
    // The version matters here: later PyTorch releases added arguments (bias=) that change the count.
    if (!params.includes(name) && !(name in keywordOnly)) return refuse(`takes no argument '${name}' in PyTorch 1.13`);
    if (args.has(name)) return refuse(`got two values for '${name}'`);
    args.set(name, value);
  }
  const missing = params.slice(0, required).find((name) => !args.has(name));
  if (missing) return refuse(`is missing its argument '${missing}'`);
  for (const [name, value] of Object.entries({ ...defaults, ...keywordOnly }))
    if (!args.has(name)) args.set(name, value);
  // torch.empty(..., device='tanh') fails: a device written as a string must name a device type.
  const device = args.get('device');
  if (device?.kind === 'string' && !DEVICE.test(device.value)) return refuse(`got '${device.value}' as its device`);
  return { ok: true, args };
}
