import type { ActivationFunction, Layer } from '../../ir/layers';
import type { SourceRange } from '../../ir/source';
import { clones, findMethod, type Interpreter } from './interpreter';
import type { ModuleNode, TensorOp } from './values';

/** An operation of a forward pass, down to leaf layers. */
export type FlatOp =
  | { kind: 'layer'; module: ModuleNode; layer: Layer; source?: SourceRange }
  | { kind: 'activation'; fn: ActivationFunction; source?: SourceRange }
  | {
      kind: 'se';
      module?: ModuleNode;
      channels?: number;
      squeeze?: number;
      activation: ActivationFunction | null;
      source?: SourceRange;
      leaves: FlatOp[];
    }
  | { kind: 'add'; branches: FlatOp[][]; source?: SourceRange }
  | { kind: 'cat' | 'pool' | 'flatten'; source?: SourceRange };

const traces = new WeakMap<ModuleNode, TensorOp[] | null>();

/**
 * The operations of a module's forward(), traced statically from its input tensor, or
 * undefined when the forward could not be followed. Sequential containers run their children
 * in order, as PyTorch does.
 */
export function traceForward(module: ModuleNode, interpreter: Interpreter): TensorOp[] | undefined {
  if (traces.has(module)) return traces.get(module) ?? undefined;
  // A clone's forward is its original's, with the clone's modules in place of the original's.
  const clone = clones.get(module);
  if (clone && module.userClass) {
    const original = traceForward(clone.original, interpreter);
    const mapped = original ? mapOps(original, clone.mapping) : undefined;
    traces.set(module, mapped ?? null);
    return mapped;
  }
  traces.set(module, null);
  let result: TensorOp[] | undefined;
  const forward = module.userClass ? findMethod(module.userClass, 'forward') : undefined;
  if (forward) {
    interpreter.traceProblem = undefined;
    try {
      const out = interpreter.invoke(forward, module, [{ kind: 'tensor', ops: [] }], new Map(), {
        self: module,
        tracing: true,
      });
      if (out.kind === 'tensor' && !interpreter.traceProblem) result = out.ops;
      else if (out.kind === 'list' && out.items[0]?.kind === 'tensor' && !interpreter.traceProblem)
        result = out.items[0].ops;
    } catch {
      result = undefined;
    }
  } else if (
    !module.layer &&
    (module.className === 'Sequential' || module.className === 'Conv2dNormActivation' || isSequentialSubclass(module))
  ) {
    result = [...module.children.values()].map((child) => ({
      kind: 'module' as const,
      module: child,
      source: child.source,
    }));
  }
  traces.set(module, result ?? null);
  return result;
}

function mapOps(ops: readonly TensorOp[], mapping: Map<ModuleNode, ModuleNode>): TensorOp[] {
  return ops.map((op) => {
    if (op.kind === 'module') return { ...op, module: mapping.get(op.module) ?? op.module };
    if (op.kind === 'add' || op.kind === 'mul') return { ...op, branches: op.branches.map((b) => mapOps(b, mapping)) };
    return op;
  });
}

function isSequentialSubclass(module: ModuleNode): boolean {
  const bases = module.userClass?.bases ?? [];
  return bases.some((b) => b.kind === 'torchClass' && b.name === 'Sequential');
}

/** Every leaf of a module's subtree, in registration order. */
export function leavesOf(module: ModuleNode, seen = new Set<ModuleNode>()): ModuleNode[] {
  if (seen.has(module)) return [];
  seen.add(module);
  if (module.layer) return [module];
  return [...module.children.values()].flatMap((child) => leavesOf(child, seen));
}

/** Expands module calls into leaf operations; SE modules stay one operation. */
export function flatten(ops: readonly TensorOp[], interpreter: Interpreter, depth = 0): FlatOp[] {
  const out: FlatOp[] = [];
  for (const op of ops) {
    switch (op.kind) {
      case 'module': {
        const module = op.module;
        if (module.layer) {
          // An activation module is both an activation (for facts) and a layer (for counting).
          if (module.layer.kind === 'activation')
            out.push({ kind: 'activation', fn: module.layer.fn, source: module.source });
          out.push({ kind: 'layer', module, layer: module.layer, source: module.source });
          break;
        }
        if (module.squeezeExcitation) {
          const se = module.squeezeExcitation;
          out.push({
            kind: 'se',
            module,
            channels: se.channels,
            squeeze: se.squeeze,
            activation: se.activation,
            source: module.source,
            leaves: leavesOf(module).map(toLayerOp),
          });
          break;
        }
        const inner = depth < 8 ? traceForward(module, interpreter) : undefined;
        if (inner) out.push(...flatten(inner, interpreter, depth + 1));
        else out.push(...leavesOf(module).map(toLayerOp));
        break;
      }
      case 'activation':
        out.push({ kind: 'activation', fn: op.fn, source: op.source });
        break;
      case 'add':
        out.push({
          kind: 'add',
          branches: op.branches.map((b) => flatten(b, interpreter, depth + 1)),
          source: op.source,
        });
        break;
      case 'mul': {
        // x * gate(x): the gate is squeeze-and-excitation when it holds two weight layers.
        const branches = op.branches.map((b) => flatten(b, interpreter, depth + 1));
        const [a = [], b = []] = branches;
        const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
        let common = 0;
        while (common < shorter.length && sameOp(shorter[common], longer[common])) common++;
        const gate = longer.slice(common);
        const weights = gate.filter(
          (g) => g.kind === 'layer' && (g.layer.kind === 'conv' || g.layer.kind === 'linear'),
        );
        out.push(...shorter);
        if (weights.length >= 2) {
          const first = weights[0];
          const squeeze =
            first?.kind === 'layer' && first.layer.kind === 'conv'
              ? first.layer.outChannels.known
                ? first.layer.outChannels.value
                : undefined
              : first?.kind === 'layer' && first.layer.kind === 'linear' && first.layer.outFeatures.known
                ? first.layer.outFeatures.value
                : undefined;
          const act = gate.find((g) => g.kind === 'activation' && g.fn !== 'sigmoid');
          const channels =
            first?.kind === 'layer' && first.layer.kind === 'conv'
              ? first.layer.inChannels.known
                ? first.layer.inChannels.value
                : undefined
              : first?.kind === 'layer' && first.layer.kind === 'linear' && first.layer.inFeatures.known
                ? first.layer.inFeatures.value
                : undefined;
          out.push({
            kind: 'se',
            channels,
            squeeze,
            activation: act?.kind === 'activation' ? act.fn : null,
            source: first?.source,
            leaves: gate.filter((g) => g.kind === 'layer'),
          });
        } else {
          out.push(...gate);
        }
        break;
      }
      default:
        out.push({ kind: op.kind, source: op.source });
    }
  }
  return out;
}

function toLayerOp(module: ModuleNode): FlatOp {
  return { kind: 'layer', module, layer: module.layer as Layer, source: module.source };
}

function sameOp(a: FlatOp | undefined, b: FlatOp | undefined): boolean {
  if (!a || !b || a.kind !== b.kind) return false;
  if (a.kind === 'layer' && b.kind === 'layer') return a.module === b.module;
  return a.source === b.source;
}
