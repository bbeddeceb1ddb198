import type { Node } from 'web-tree-sitter';
import { other } from '../../build/layers';
import { known, unknown } from '../../ir/fact';
import type { SourceRange } from '../../ir/source';
import { torchActivation } from './torch-layers';
import { FUNCTIONAL_ACTIVATIONS } from './evaluator-base';
import { TorchConstruction } from './torch-construction';
import { NON_MODULE_ROOTS } from './classes';
import { cloneModule } from './module-tree';
import { constantCall } from './constant-calls';
import { mathCall } from './python-numbers';
import { NONE, unknownValue, type PyValue } from './values';

/** Calls of functions from modules the evaluator models (torch, torch.nn.functional, math, copy, typing). */
export abstract class NamespaceCalls extends TorchConstruction {
  protected namespaceCall(path: string, positional: PyValue[], _keywords: Map<string, PyValue>, node: Node): PyValue {
    const name = path.split('.').pop() ?? '';
    const first = positional[0];
    const source = this.rangeOf(node);
    const constant = constantCall(path, positional, _keywords);
    if (constant) return constant;
    if (path.startsWith('torch.')) {
      const made = this.shapedTensor(path, name, positional, source);
      if (made) return made;
    }
    if (/^torch(\.nn\.functional)?$/.test(path.slice(0, path.lastIndexOf('.'))) || path.startsWith('torch.')) {
      if (FUNCTIONAL_ACTIVATIONS[name] && first?.kind === 'tensor') {
        const fn = torchActivation(FUNCTIONAL_ACTIVATIONS[name] ?? '');
        if (fn && fn !== 'identity') return { kind: 'tensor', ops: [...first.ops, { kind: 'activation', fn, source }] };
      }
      if (name === 'cat' || name === 'stack') return { kind: 'tensor', ops: [{ kind: 'cat', source }] };
      if ((name === 'flatten' || name === 'reshape') && first?.kind === 'tensor')
        return { kind: 'tensor', ops: [...first.ops, { kind: 'flatten', source }] };
      if (/pool/.test(name) && first?.kind === 'tensor')
        return { kind: 'tensor', ops: [...first.ops, { kind: 'pool', source }] };
      if (first?.kind === 'tensor') return first;
      if (path.startsWith('torch.nn.init')) return NONE;
    }
    if (path === 'typing.cast') return positional[1] ?? unknownValue('typing.cast');
    if ((path === 'copy.copy' || path === 'copy.deepcopy') && first) {
      // A copy is a new object: PyTorch counts a copied module's parameters again.
      if (first.kind === 'module') return { kind: 'module', module: cloneModule(first.module, false) };
      if (first.kind === 'list' && !first.tainted && path === 'copy.copy') return { ...first, items: [...first.items] };
      if (first.kind === 'dict' && !first.tainted && path === 'copy.copy')
        return { ...first, entries: new Map(first.entries) };
      if (first.kind === 'number' || first.kind === 'string' || first.kind === 'bool' || first.kind === 'none')
        return first;
    }
    if (path.startsWith('torch.nn.init')) return NONE;
    if (path.startsWith('math.')) {
      const maths = mathCall(name, positional);
      if (maths) return maths;
    }
    const result = this.opaqueCall(`${path}(...)`, positional, _keywords);
    // Anything from a module other than these may build a layer we cannot see into (a class, a
    // factory): where it lands in a model, the model's count is unknown, never short. torch's own
    // functions (torch.zeros...) make tensors, which are buffers, not parameters.
    const parts = path.split('.');
    const plain =
      NON_MODULE_ROOTS.has(parts[0] ?? '') || (parts.length === 2 && parts[0] === 'torch' && /^[a-z_]/.test(name));
    return plain ? unknownValue(`${path}(...)`) : result;
  }

  /**
   * Tensors of a known shape made at construction (torch.zeros, ones, empty, randn, rand, full,
   * and element-wise functions of them), and nn.Parameter of one: a leaf holding that many parameters.
   */
  private shapedTensor(path: string, name: string, positional: PyValue[], source: SourceRange): PyValue | undefined {
    const first = positional[0];
    if (/^torch\.nn\.(parameter\.)?Parameter$/.test(path)) {
      if (first?.kind !== 'array') return undefined;
      const count = first.shape.reduce((p, d) => p * d, 1);
      const params = Number.isSafeInteger(count) ? known(count) : unknown<number>('a parameter past 2^53 elements');
      return {
        kind: 'module',
        module: {
          className: 'Parameter',
          layer: { ...other({ name: '', className: 'Parameter', source }), params },
          children: new Map(),
          attributes: new Map(),
          source,
        },
      };
    }
    if (path !== `torch.${name}`) return undefined;
    if (['zeros', 'ones', 'empty', 'randn', 'rand', 'full'].includes(name)) {
      const dims =
        name === 'full' || first?.kind === 'list' ? (first?.kind === 'list' ? first.items : [first]) : positional;
      const shape = dims.map((d) => (d?.kind === 'number' && d.isInt && d.value >= 0 ? d.value : undefined));
      if (shape.length === 0 || shape.some((d) => d === undefined)) return undefined;
      return { kind: 'array', shape: shape as number[] };
    }
    if (['log', 'exp', 'sqrt', 'abs', 'sigmoid', 'tanh'].includes(name) && first?.kind === 'array') return first;
    // torch.tensor([0.485, 0.456, 0.406]): a constant (normalisation means), not a module.
    if ((name === 'tensor' || name === 'as_tensor') && first) return literalTensor(first);
    return undefined;
  }
}

/** The shape of a (nested) list of numbers, as torch.tensor makes it; undefined when not rectangular or not numbers. */
function literalTensor(value: PyValue): PyValue | undefined {
  const shapeOf = (v: PyValue): number[] | undefined => {
    if (v.kind === 'number' || v.kind === 'bool') return [];
    if (v.kind !== 'list' || v.tainted) return undefined;
    const inner = v.items.map(shapeOf);
    const first = inner[0];
    if (inner.some((s) => s === undefined || s.join() !== (first ?? []).join())) return undefined;
    return [v.items.length, ...(first ?? [])];
  };
  const shape = shapeOf(value);
  return shape ? { kind: 'array', shape } : undefined;
}
