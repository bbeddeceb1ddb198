import type { Node } from 'web-tree-sitter';
import type { Layer } from '../../ir/layers';
import type { SourceRange } from '../../ir/source';

/**
 * The values the static evaluator knows. Anything it cannot know is `unknown` with a reason;
 * it never guesses.
 */
export type PyValue =
  /** `err`: a bound on how far a float computed with log, exp or float32 may be from Python's (see inexact.ts). */
  | { kind: 'number'; value: number; isInt: boolean; err?: number }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'list'; items: PyValue[]; tuple: boolean; tainted?: string }
  | { kind: 'dict'; entries: Map<string, PyValue>; tainted?: string }
  | { kind: 'module'; module: ModuleNode }
  | { kind: 'userClass'; cls: UserClass }
  | { kind: 'torchClass'; name: string; preset: Map<string, PyValue> }
  | { kind: 'function'; fn: UserFunction; first?: PyValue }
  /** functools.partial: a callable with arguments given in advance. */
  | { kind: 'partial'; fn: PyValue; args: PyValue[]; keywords: Map<string, PyValue> }
  | { kind: 'bound'; self: ModuleNode; fn: UserFunction }
  | { kind: 'namespace'; path: string }
  | { kind: 'builtin'; name: string; self?: PyValue }
  | { kind: 'super'; self: ModuleNode; after: UserClass | undefined }
  | { kind: 'tensor'; ops: TensorOp[] }
  /**
   * A tensor made outside a forward with a known shape (torch.zeros(1, 1, 768)): nn.Parameter counts it.
   * With `data`, its values too (torch.arange(4) * 0.5, numpy.linspace...), flattened in row-major order.
   */
  | { kind: 'array'; shape: number[]; data?: ArrayData }
  | { kind: 'kerasClass'; name: string }
  | { kind: 'kerasLayer'; layer: KerasLayerValue }
  | { kind: 'kerasTensor'; node: string }
  | { kind: 'kerasModel'; graph: import('../keras/keras-graph').KerasGraph }
  /** `maybeModule`: an instance of a class from outside the file, which may hold parameters. */
  | { kind: 'unknown'; reason: string; maybeModule?: true };

/** The values of a constant tensor or NumPy array, each with its error bound, and their dtype. */
export interface ArrayData {
  readonly values: readonly number[];
  readonly errs: readonly number[];
  readonly dtype: 'int' | 'float32' | 'float64' | 'bool';
  /** torch tensors promote a Python float to float32; NumPy arrays to float64. */
  readonly lib: 'torch' | 'numpy';
}

/** A Keras layer object before and after it is called on tensors (a layer called twice shares weights). */
export interface KerasLayerValue {
  readonly className: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly source?: SourceRange;
  calls: number;
}

export interface UserFunction {
  readonly name: string;
  readonly node: Node;
  readonly scope: Scope;
  /** @staticmethod (no self) or @classmethod (the class as first argument). */
  readonly binding?: 'static' | 'class';
}

export interface UserClass {
  readonly name: string;
  readonly node: Node;
  readonly bases: PyValue[];
  readonly attributes: Map<string, PyValue>;
  readonly methods: Map<string, UserFunction>;
  /** Why a base class is not statically known (imported from a file not read): instances are then incomplete. */
  readonly unresolvedBase?: string;
  /** A @dataclass (or NamedTuple): its annotated fields, in order, are its constructor's parameters. */
  readonly fields?: readonly string[];
}

/** An nn.Module instance: a leaf layer (conv, norm...) or a container of named children. */
export interface ModuleNode {
  readonly className: string;
  /** The user class it instantiates, for forward analysis. */
  readonly userClass?: UserClass;
  /** For leaf modules: the IR layer (its name is filled in when the tree is named). */
  layer?: Layer;
  readonly children: Map<string, ModuleNode>;
  readonly attributes: Map<string, PyValue>;
  readonly source?: SourceRange;
  /** Why part of this module could not be evaluated (its parameter count is then unknown). */
  incomplete?: string;
  /** A torchvision SqueezeExcitation or a user module shaped like one. */
  squeezeExcitation?: {
    channels: number;
    squeeze: number;
    activation: import('../../ir/layers').ActivationFunction | null;
  };
}

/** One operation on a tensor in a traced forward: a child module call or a functional op. */
export type TensorOp =
  | { kind: 'module'; module: ModuleNode; source?: SourceRange }
  | { kind: 'activation'; fn: import('../../ir/layers').ActivationFunction; source?: SourceRange }
  | { kind: 'add'; branches: TensorOp[][]; source?: SourceRange }
  | { kind: 'mul'; branches: TensorOp[][]; source?: SourceRange }
  | { kind: 'cat'; source?: SourceRange }
  | { kind: 'pool' | 'flatten'; source?: SourceRange };

export class Scope {
  readonly vars = new Map<string, PyValue>();

  constructor(readonly parent?: Scope) {}

  get(name: string): PyValue | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }

  set(name: string, value: PyValue): void {
    this.vars.set(name, value);
  }
}

export const NONE: PyValue = { kind: 'none' };

export function num(value: number, isInt = Number.isInteger(value)): PyValue {
  return { kind: 'number', value, isInt };
}

export function unknownValue(reason: string): PyValue {
  return { kind: 'unknown', reason };
}

/** An unknown value that may be a module holding parameters (where it lands, the count is unknown). */
export function unknownModule(reason: string): PyValue {
  return { kind: 'unknown', reason, maybeModule: true };
}

export function truthy(value: PyValue): boolean | undefined {
  switch (value.kind) {
    case 'number':
      return value.value !== 0;
    case 'string':
      return value.value.length > 0;
    case 'bool':
      return value.value;
    case 'none':
      return false;
    case 'list':
      return value.items.length > 0;
    case 'dict':
      return value.entries.size > 0;
    // A namespace may be a name imported from a module not read: any value.
    case 'unknown':
    case 'tensor':
    case 'namespace':
      return undefined;
    default:
      return true;
  }
}

export function asNumber(value: PyValue | undefined): number | undefined {
  if (!value) return undefined;
  if (value.kind === 'number') return value.value;
  if (value.kind === 'bool') return value.value ? 1 : 0;
  return undefined;
}
