import { known, unknown, type Fact } from '../../ir/fact';
import { other } from '../../build/layers';
import type { SourceRange } from '../../ir/source';
import { bindStrict, type StrictSignature } from './torch-strict-binding';
import { NONE, truthy, type ModuleNode, type PyValue } from './values';

/**
 * nn.RNN, nn.LSTM, nn.GRU and their cells as PyTorch 1.13 builds them (torch/nn/modules/rnn.py):
 * one leaf each, counted exactly, or unknown with the reason (an argument not statically known,
 * or one PyTorch refuses). The engine builds none of them; it refuses the model naming the layer.
 */

const T: PyValue = { kind: 'bool', value: true };
const F: PyValue = { kind: 'bool', value: false };
const int = (value: number): PyValue => ({ kind: 'number', value, isInt: true });
const float = (value: number): PyValue => ({ kind: 'number', value, isInt: false });

/** RNNBase(mode, input_size, hidden_size, ...): RNN, LSTM and GRU pass everything through to it. */
const STACKED: StrictSignature = {
  params: [
    'input_size',
    'hidden_size',
    'num_layers',
    'bias',
    'batch_first',
    'dropout',
    'bidirectional',
    'proj_size',
    'device',
    'dtype',
  ],
  required: 2,
  defaults: {
    num_layers: int(1),
    bias: T,
    batch_first: F,
    dropout: float(0),
    bidirectional: F,
    proj_size: int(0),
    device: NONE,
    dtype: NONE,
  },
};

const CELL: StrictSignature = {
  params: ['input_size', 'hidden_size', 'bias', 'device', 'dtype'],
  required: 2,
  defaults: { bias: T, device: NONE, dtype: NONE },
};

/** Rows of the gate matrices per hidden unit: RNN 1, GRU 3 (reset, update, new), LSTM 4. */
const GATES: Record<string, number> = { RNN: 1, GRU: 3, LSTM: 4, RNNCell: 1, GRUCell: 3, LSTMCell: 4 };

export function isRecurrentClass(name: string): boolean {
  return name in GATES;
}

function intArg(value: PyValue | undefined, what: string, min: number): Fact<number> {
  if (value?.kind === 'number' && value.isInt)
    return value.value >= min ? known(value.value) : unknown(`${what} is ${value.value}: PyTorch refuses it`);
  if (value?.kind === 'number') return unknown(`${what} is ${value.value}, a float where PyTorch needs an int`);
  const why = value?.kind === 'unknown' ? ` (${value.reason})` : value ? ` (a ${value.kind})` : '';
  return unknown(`${what} is not statically known${why}`);
}

/** `if bias:` and `2 if bidirectional else 1`: Python's truth of any known value. */
function truthArg(value: PyValue | undefined, what: string): Fact<boolean> {
  const truth = value ? truthy(value) : undefined;
  return truth === undefined ? unknown(`${what} is not statically known`) : known(truth);
}

/** RNNBase's check: a number (not a bool) in [0, 1]. A value not known is not checked: it changes no count. */
function dropoutProblem(value: PyValue | undefined): string | undefined {
  if (!value || value.kind === 'unknown') return undefined;
  if (value.kind === 'number' && value.value >= 0 && value.value <= 1) return undefined;
  return 'dropout should be a number in [0, 1]: PyTorch refuses it';
}

function firstUnknown(...facts: Fact<unknown>[]): string {
  for (const fact of facts) if (!fact.known) return fact.reason;
  return '';
}

function checked(total: number): Fact<number> {
  return Number.isSafeInteger(total) ? known(total) : unknown('a parameter count past 2^53');
}

/**
 * RNNBase: per layer and direction, weight_ih (G x in), weight_hh (G x h'), bias_ih and bias_hh
 * (G each) when bias, and weight_hr (proj x hidden) when proj_size > 0, where G = gates x hidden,
 * h' = proj_size or hidden_size, and a layer after the first takes h' x directions inputs.
 */
function stackedCount(className: string, args: Map<string, PyValue>): Fact<number> {
  const nonlinearity = args.get('nonlinearity');
  if (nonlinearity && nonlinearity.kind !== 'unknown')
    if (nonlinearity.kind !== 'string' || !['tanh', 'relu'].includes(nonlinearity.value))
      return unknown(`nonlinearity is not 'tanh' or 'relu': PyTorch refuses it`);
  const dropout = dropoutProblem(args.get('dropout'));
  if (dropout) return unknown(dropout);
  const input = intArg(args.get('input_size'), 'input_size', 0);
  const hidden = intArg(args.get('hidden_size'), 'hidden_size', 0);
  // No layers leaves flatten_parameters() nothing to look at: PyTorch 1.13 fails (IndexError).
  const layers = intArg(args.get('num_layers'), 'num_layers', 1);
  const proj = intArg(args.get('proj_size'), 'proj_size', 0);
  const bias = truthArg(args.get('bias'), 'bias');
  const bidirectional = truthArg(args.get('bidirectional'), 'bidirectional');
  if (!input.known || !hidden.known || !layers.known || !proj.known || !bias.known || !bidirectional.known)
    return unknown(firstUnknown(proj, hidden, input, layers, bias, bidirectional));
  if (proj.value >= hidden.value) return unknown('proj_size is not smaller than hidden_size: PyTorch refuses it');
  const gates = (GATES[className] ?? 1) * hidden.value;
  const directions = bidirectional.value ? 2 : 1;
  const out = proj.value > 0 ? proj.value : hidden.value;
  const perDirection = (inputs: number): number =>
    gates * inputs + gates * out + (bias.value ? 2 * gates : 0) + proj.value * hidden.value;
  return checked(directions * (perDirection(input.value) + (layers.value - 1) * perDirection(out * directions)));
}

/** RNNCellBase: weight_ih (G x in), weight_hh (G x hidden), bias_ih and bias_hh (G each) when bias. */
function cellCount(className: string, args: Map<string, PyValue>): Fact<number> {
  const input = intArg(args.get('input_size'), 'input_size', 0);
  const hidden = intArg(args.get('hidden_size'), 'hidden_size', 0);
  const bias = truthArg(args.get('bias'), 'bias');
  if (!input.known || !hidden.known || !bias.known) return unknown(firstUnknown(input, hidden, bias));
  const gates = (GATES[className] ?? 1) * hidden.value;
  return checked(gates * input.value + gates * hidden.value + (bias.value ? 2 * gates : 0));
}

function countOf(
  className: string,
  positional: readonly PyValue[],
  keywords: ReadonlyMap<string, PyValue>,
): Fact<number> {
  if (className.endsWith('Cell')) {
    // RNNCell takes a nonlinearity after bias (checked only when called); the other cells do not.
    const signature =
      className === 'RNNCell'
        ? {
            ...CELL,
            params: ['input_size', 'hidden_size', 'bias', 'nonlinearity', 'device', 'dtype'],
            defaults: { ...CELL.defaults, nonlinearity: { kind: 'string', value: 'tanh' } as PyValue },
          }
        : CELL;
    const bound = bindStrict(className, signature, positional, keywords);
    return bound.ok ? cellCount(className, bound.args) : unknown(bound.reason);
  }
  if (className !== 'LSTM' && keywords.has('proj_size'))
    return unknown(`nn.${className} takes proj_size only in LSTM: PyTorch refuses it`);
  const signature =
    className === 'RNN'
      ? { ...STACKED, keywordOnly: { nonlinearity: { kind: 'string', value: 'tanh' } as PyValue } }
      : STACKED;
  const bound = bindStrict(className, signature, positional, keywords);
  return bound.ok ? stackedCount(className, bound.args) : unknown(bound.reason);
}

export function buildRecurrentLayer(
  className: string,
  positional: readonly PyValue[],
  keywords: ReadonlyMap<string, PyValue>,
  source: SourceRange | undefined,
): ModuleNode | undefined {
  if (!isRecurrentClass(className)) return undefined;
  const layer = { ...other({ name: '', className, source }), params: countOf(className, positional, keywords) };
  return { className, layer, children: new Map(), attributes: new Map(), source };
}
