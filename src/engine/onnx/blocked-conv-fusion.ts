// The blocked-layout pass's last step: residual Adds and activations folded into the blocked Convs that feed them.
import type { GraphBuilder } from './graph-builder';
import { NCHWC_DOMAIN } from './nchwc-ops';
import { floatAttr, str } from './onnx-attributes';
import { AttributeType, type NodeMessage } from './onnx-proto';

/**
 * Folds into the blocked Conv producing a value that nothing else reads the Add of that value
 * and another blocked value (the kernel accumulates onto its optional fourth input: a residual
 * addition, or two gradients of one value summed) and then an activation the kernel applies to
 * its output (ReLU; the Clip of a ReLU mask). Each saves a pass over the activation.
 */
export function fuseIntoBlockedConvs(g: GraphBuilder, blocked: ReadonlySet<string>): void {
  const nodes = g.takeNodes();
  const uses = new Map<string, number>();
  const use = (v: string): void => void uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of nodes) for (const i of n.input) if (i !== '') use(i);
  for (const o of g.outputNames()) use(o);
  const producer = new Map<string, number>();
  nodes.forEach((n, k) => n.output.forEach((o) => producer.set(o, k)));
  const removed = new Set<number>();
  /** The index of the blocked Conv whose output only `v`'s one reader reads. */
  const soleConv = (v: string): number | undefined => {
    const k = producer.get(v);
    if (k === undefined || removed.has(k) || uses.get(v) !== 1) return undefined;
    const p = nodes[k] as NodeMessage;
    return p.domain === NCHWC_DOMAIN && p.opType === 'Conv' && !p.attribute.some((a) => a.name === 'activation')
      ? k
      : undefined;
  };
  nodes.forEach((n, k) => {
    if (n.domain || !blocked.has(n.output[0] as string)) return;
    if (n.opType === 'Add' && n.input.length === 2) {
      for (const side of [0, 1]) {
        const v = n.input[side] as string;
        const other = n.input[1 - side] as string;
        const p = v === other ? undefined : soleConv(v);
        if (p === undefined || (nodes[p] as NodeMessage).input.length > 3) continue;
        const conv = nodes[p] as NodeMessage;
        const input = [...conv.input];
        while (input.length < 3) input.push('');
        nodes[k] = { ...conv, input: [...input, other], output: [...n.output] };
        removed.add(p);
        producer.set(n.output[0] as string, k);
        return;
      }
      return;
    }
    const params = fusableActivation(g, n);
    if (params === undefined) return;
    const p = soleConv(n.input[0] as string);
    if (p === undefined) return;
    const conv = nodes[p] as NodeMessage;
    const attribute = [...conv.attribute, str('activation', n.opType)];
    if (params.length > 0) attribute.push({ name: 'activation_params', type: AttributeType.FLOATS, floats: params });
    nodes[k] = { ...conv, attribute, output: [...n.output] };
    removed.add(p);
    producer.set(n.output[0] as string, k);
  });
  nodes.forEach((n, k) => {
    if (!removed.has(k)) g.append(n);
  });
}

/** The parameters of an activation the blocked Conv can apply to its output, or undefined. */
function fusableActivation(g: GraphBuilder, n: NodeMessage): number[] | undefined {
  switch (n.opType) {
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
      return [];
    case 'LeakyRelu':
      return [floatAttr(n, 'alpha') ?? 0.01];
    case 'HardSigmoid':
      return [floatAttr(n, 'alpha') ?? 0.2, floatAttr(n, 'beta') ?? 0.5];
    case 'Clip': {
      const low = g.floatsOf(n.input[1] ?? '');
      const high = g.floatsOf(n.input[2] ?? '');
      return low?.length === 1 && high?.length === 1 ? [low[0] as number, high[0] as number] : undefined;
    }
    default:
      return undefined;
  }
}
