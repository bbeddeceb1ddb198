import { fuseIntoBlockedConvs } from './blocked-conv-fusion';
import type { GraphBuilder, Shape } from './graph-builder';
import { BOOLEAN, ELEMENTWISE, NCHWC_DOMAIN } from './nchwc-ops';
import { floatAttr, int, intAttr, ints, intsAttr } from './onnx-attributes';
import type { AttributeMessage, NodeMessage } from './onnx-proto';

/**
 * Output positions (batch times height times width) below which a conv stays plain. The graphs
 * reorder each blocked conv's weight on every call, a cost per weight element, while the blocked
 * kernel saves time per weight element per position, and at small maps (2x2, 4x4) saves none:
 * RobArch-S's and ResNet-50's attack graphs at 64x64, batch 16, ran 0.93-1.0x the plain ones
 * with every conv blocked and 1.07-1.13x with this floor (ORT 1.30, AVX2, 2 threads).
 */
const MIN_POSITIONS = 512;

/** ONNX's BatchNormalization default epsilon. */
const ONNX_BN_EPSILON = 1e-5;

/**
 * Rewrites a graph of NCHW values so that its convolutions run on ONNX Runtime's blocked-layout
 * (NCHWc) kernels, whatever their weights are. ORT's own graph optimiser does this only for convs
 * whose weights are constants of the graph (it reorders them once, at load); the graphs of a model
 * in training feed the weights on every call, so without this pass every conv falls onto ORT's
 * im2col path, measured 1.2-1.7x slower per conv (ORT 1.30, batch 64, 16-128 channels, 3x3).
 *
 * A blocked value keeps its logical [N, C, H, W] shape while its memory holds C/B blocks of B
 * channels innermost ([N, C/B, H, W, B], B = `block`, 8 with AVX2 and 16 with AVX-512). The pass
 * walks the nodes in order and gives each value up to two representations, the original (plain)
 * name and a blocked twin, made on demand by ReorderInput and ReorderOutput:
 * - Conv becomes the blocked Conv, its weight reordered in the graph, when its channels fit the
 *   kernels (outputs a multiple of B; inputs a multiple of B, or fewer than B read from a plain
 *   input; depthwise; groups of multiples of B) and it has the positions to pay for the reorder;
 * - element-wise ops follow their operands: blocked when an operand of the output's shape is
 *   blocked and every other operand is of that shape or a single value (per-channel broadcasting
 *   would read the wrong channels, and ORT vectorises it badly over blocks);
 * - a per-channel Mul, Add or Sub of a blocked value, and BatchNormalization in inference form,
 *   become depthwise 1x1 blocked Convs; reductions over positions (and the batch) of a blocked
 *   value become the blocked global pools, whose [N, C, 1, 1] output is the same in both layouts;
 * - every other op, and every graph output, reads plain values;
 * - last, residual Adds and activations fold into the blocked Convs that feed them.
 * The computation is unchanged up to the order of floating-point sums.
 */
export function blockLayouts(g: GraphBuilder, block: number): void {
  new BlockedLayoutPass(g, block).run();
}

class BlockedLayoutPass {
  /** Original value -> its blocked twin. */
  private readonly blocked = new Map<string, string>();
  /** Values made blocked whose plain (original) name is not in the graph yet. */
  private readonly blockedOnly = new Set<string>();
  private readonly booleans = new Set<string>();
  private readonly reorderedWeights = new Map<string, string>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly block: number,
  ) {}

  run(): void {
    for (const node of this.g.takeNodes()) this.rewrite(node);
    for (const output of this.g.outputNames()) this.plain(output);
    fuseIntoBlockedConvs(this.g, new Set(this.blocked.values()));
  }

  private rewrite(node: NodeMessage): void {
    if (node.domain) return this.keepPlain(node);
    switch (node.opType) {
      case 'Conv':
        if (this.conv(node)) return;
        break;
      case 'BatchNormalization':
        if (this.batchNorm(node)) return;
        break;
      case 'ReduceSum':
      case 'ReduceMean':
      case 'ReduceMax':
        if (this.reduce(node)) return;
        break;
      case 'Mul':
      case 'Add':
      case 'Sub':
        if (this.perChannel(node) || this.elementwise(node)) return;
        break;
      default:
        if (ELEMENTWISE.has(node.opType) && this.elementwise(node)) return;
    }
    this.keepPlain(node);
  }

  private keepPlain(node: NodeMessage): void {
    const input = node.input.map((i) => (i === '' ? i : this.plain(i)));
    this.g.append({ ...node, input });
    if (BOOLEAN.has(node.opType)) for (const o of node.output) this.booleans.add(o);
  }

  /** The plain value, reordered from its blocked twin the first time it is needed. */
  private plain(value: string): string {
    if (!this.blockedOnly.has(value)) return value;
    this.blockedOnly.delete(value);
    const source = this.blocked.get(value) as string;
    const channels = this.g.shape(value)[1] as number;
    if (this.booleans.has(value)) {
      // ORT reorders floats only: through 0/1 floats and back.
      const shape = this.g.shape(value);
      const asFloat = this.g.node('Cast', [source], shape, { to: 1 });
      const plain = this.g.domainNode(NCHWC_DOMAIN, 'ReorderOutput', [asFloat], shape, { channels });
      this.emit('Cast', '', [plain], value, [int('to', 9)]);
      return value;
    }
    this.emit('ReorderOutput', NCHWC_DOMAIN, [source], value, [int('channels', channels)]);
    return value;
  }

  /** The blocked twin of a value that `canBlock`, reordered from the plain value the first time. */
  private toBlocked(value: string): string {
    let twin = this.blocked.get(value);
    if (twin === undefined) {
      if (this.booleans.has(value)) {
        const shape = this.g.shape(value);
        const asFloat = this.g.domainNode(
          NCHWC_DOMAIN,
          'ReorderInput',
          [this.g.node('Cast', [value], shape, { to: 1 })],
          shape,
        );
        twin = this.g.node('Cast', [asFloat], shape, { to: 9 });
      } else {
        twin = this.g.domainNode(NCHWC_DOMAIN, 'ReorderInput', [value], this.g.shape(value));
      }
      this.blocked.set(value, twin);
    }
    return twin;
  }

  /** A 4-d value whose channels fill whole blocks. */
  private canBlock(value: string): boolean {
    const shape = this.g.shape(value);
    return shape.length === 4 && (shape[1] as number) % this.block === 0 && (shape[1] as number) > 0;
  }

  /** Appends a node producing `output` (a value of the graph already). */
  private emit(
    op: string,
    domain: string,
    input: readonly string[],
    output: string,
    attribute: readonly AttributeMessage[],
  ): void {
    this.g.append({
      name: this.g.freshNodeName(op),
      opType: op,
      domain,
      input: [...input],
      output: [output],
      attribute: [...attribute],
    });
  }

  /** Appends a node producing the blocked twin of `original`. */
  private emitBlocked(
    op: string,
    domain: string,
    input: readonly string[],
    original: string,
    attribute: readonly AttributeMessage[],
  ): void {
    const twin = this.g.freshValue(`${original}_b`, this.g.shape(original));
    this.emit(op, domain, input, twin, attribute);
    this.blocked.set(original, twin);
    this.blockedOnly.add(original);
  }

  private conv(node: NodeMessage): boolean {
    const [x, w, b] = node.input as [string, string, string | undefined];
    const xs = this.g.shape(x);
    const ws = this.g.shape(w);
    const out = node.output[0] as string;
    if (xs.length !== 4 || ws.length !== 4 || node.output.length !== 1) return false;
    const group = intAttr(node, 'group') ?? 1;
    const [o, ig] = ws as [number, number];
    const c = xs[1] as number;
    const B = this.block;
    if (o % B !== 0) return false;
    const [n, , ho, wo] = this.g.shape(out) as [number, number, number, number];
    if (n * ho * wo < MIN_POSITIONS) return false;
    let layout: 'BiBo' | 'Bo';
    let blockedInput: boolean;
    if (group === 1 && c % B === 0) [layout, blockedInput] = ['BiBo', true];
    else if (group === 1 && c < B) [layout, blockedInput] = ['Bo', false];
    else if (group === c && ig === 1 && o === c) [layout, blockedInput] = ['Bo', true];
    else if (group > 1 && ig % B === 0 && (o / group) % B === 0) [layout, blockedInput] = ['BiBo', true];
    else return false;
    const input = [blockedInput ? this.toBlocked(x) : this.plain(x), this.reorderWeight(this.plain(w), layout)];
    if (b !== undefined && b !== '') input.push(this.plain(b));
    this.emitBlocked(
      'Conv',
      NCHWC_DOMAIN,
      input,
      out,
      node.attribute.filter((a) => a.name !== 'auto_pad'),
    );
    return true;
  }

  /**
   * The weight [O, I, kh, kw] in the blocked kernels' order: OIHWBiBo (blocks of B outputs by B
   * inputs, input innermost but one) or OIHWBo (blocks of B outputs), as MLAS's filter reorders
   * lay them out; the logical shape stays [O, I, kh, kw]. Written as ORT's fast moves only (a
   * general 6-d Transpose of RobArch-S's weights took a third of its attack step): ReorderInput,
   * which blocks the input channels of each output's [I, kh, kw] as it blocks an image's, then
   * one axis, the output channel within its block, moved innermost.
   */
  private reorderWeight(w: string, layout: 'BiBo' | 'Bo'): string {
    const key = `${w}|${layout}`;
    const cached = this.reorderedWeights.get(key);
    if (cached !== undefined) return cached;
    const g = this.g;
    const shape = g.shape(w) as [number, number, number, number];
    const [o, i, kh, kw] = shape;
    const B = this.block;
    let result = w;
    if (layout === 'BiBo') result = g.domainNode(NCHWC_DOMAIN, 'ReorderInput', [result], shape);
    if (!(layout === 'Bo' && i * kh * kw === 1)) {
      const rest = i * kh * kw;
      const split = g.node('Reshape', [result, g.ints([o / B, B, rest])], [o / B, B, rest]);
      const moved = g.node('Transpose', [split], [o / B, rest, B], { perm: [0, 2, 1] });
      result = g.node('Reshape', [moved, g.ints(shape)], shape);
    }
    this.reorderedWeights.set(key, result);
    return result;
  }

  /** Inference-form BatchNormalization of a blocked value: a depthwise 1x1 blocked Conv. */
  private batchNorm(node: NodeMessage): boolean {
    const [x, scale, bias, mean, variance] = node.input as [string, string, string, string, string];
    if (node.output.length !== 1 || !this.blocked.has(x) || !this.canBlock(x)) return false;
    const g = this.g;
    const c = g.shape(x)[1] as number;
    const epsilon = floatAttr(node, 'epsilon') ?? ONNX_BN_EPSILON;
    const zeroMean = g.floatsOf(mean)?.every((v) => v === 0) ?? false;
    const unitVar = g.floatsOf(variance)?.every((v) => v === 1) ?? false;
    let weight = this.plain(scale);
    let shift = this.plain(bias);
    if (!(zeroMean && unitVar && epsilon === 0)) {
      const r = g.node(
        'Reciprocal',
        [g.node('Sqrt', [g.node('Add', [this.plain(variance), g.scalar(epsilon)], [c])], [c])],
        [c],
      );
      weight = g.node('Mul', [weight, r], [c]);
      shift = g.node('Sub', [shift, g.node('Mul', [this.plain(mean), weight], [c])], [c]);
    }
    const kernel = g.node('Reshape', [weight, g.ints([c, 1, 1, 1])], [c, 1, 1, 1]);
    this.emitBlocked('Conv', NCHWC_DOMAIN, [this.toBlocked(x), kernel, shift], node.output[0] as string, [
      ints('kernel_shape', [1, 1]),
      int('group', c),
    ]);
    return true;
  }

  /**
   * A reduction over the positions, or the positions and the batch, of a value that is blocked
   * only: the blocked global pool, then the batch reduced on [N, C]. Values plain already are
   * reduced as they are (ORT's reductions are faster on plain values).
   */
  private reduce(node: NodeMessage): boolean {
    const x = node.input[0] as string;
    if (!this.blockedOnly.has(x) || !this.canBlock(x)) return false;
    const g = this.g;
    const axes = node.opType === 'ReduceSum' ? g.intsOf(node.input[1] ?? '') : intsAttr(node, 'axes');
    if (axes === undefined) return false;
    const sorted = [...axes].map((a) => (a < 0 ? a + 4 : a)).sort();
    const key = sorted.join(',');
    if (key !== '2,3' && key !== '0,2,3') return false;
    const [n, c, h, w] = g.shape(x) as [number, number, number, number];
    const max = node.opType === 'ReduceMax';
    const pooled = g.domainNode(
      NCHWC_DOMAIN,
      max ? 'GlobalMaxPool' : 'GlobalAveragePool',
      [this.blocked.get(x) as string],
      [n, c, 1, 1],
    );
    let value = node.opType === 'ReduceSum' ? g.node('Mul', [pooled, g.scalar(h * w)], [n, c, 1, 1]) : pooled;
    if (key === '0,2,3') {
      const flat = g.node('Reshape', [value, g.ints([n, c])], [n, c]);
      const op = max ? 'ReduceMax' : node.opType === 'ReduceSum' ? 'ReduceSum' : 'ReduceMean';
      value =
        op === 'ReduceSum'
          ? g.node(op, [flat, g.ints([0])], [c], { keepdims: 0 })
          : g.node(op, [flat], [c], { axes: [0], keepdims: 0 });
    }
    const out = node.output[0] as string;
    this.emit('Reshape', '', [value, g.ints(g.shape(out))], out, []);
    return true;
  }

  /**
   * x * v, x + v, x - v or v - x of a blocked x [N, C, H, W] and a per-channel v ([C, 1, 1] or
   * [1, C, 1, 1]): a depthwise 1x1 blocked Conv, since ORT's broadcasting over channel blocks
   * ran 2.5-6x slower than over plain channels.
   */
  private perChannel(node: NodeMessage): boolean {
    if (node.input.length !== 2 || node.output.length !== 1) return false;
    const out = node.output[0] as string;
    const shape = this.g.shape(out);
    if (!this.canBlock(out)) return false;
    const c = shape[1] as number;
    const [a, b] = node.input as [string, string];
    const full = (v: string): boolean => sameShape(this.g.shape(v), shape) && this.blocked.has(v);
    const vector = (v: string): boolean => {
      const s = this.g.shape(v);
      return (
        (s.length === 3 || s.length === 4) && s[s.length - 3] === c && s.every((d, i) => i === s.length - 3 || d === 1)
      );
    };
    let x: string;
    let v: string;
    let xFirst: boolean;
    if (full(a) && vector(b)) [x, v, xFirst] = [a, b, true];
    else if (full(b) && vector(a)) [x, v, xFirst] = [b, a, false];
    else return false;
    const g = this.g;
    const flat = g.node('Reshape', [this.plain(v), g.ints([c])], [c]);
    const kernel = (w: string): string => g.node('Reshape', [w, g.ints([c, 1, 1, 1])], [c, 1, 1, 1]);
    let input: string[];
    if (node.opType === 'Mul') {
      input = [this.toBlocked(x), kernel(flat)];
    } else {
      const sign = node.opType === 'Sub' && !xFirst ? -1 : 1;
      const weight = g.constant(new Float32Array(c).fill(sign), [c, 1, 1, 1], 'sign');
      const bias = node.opType === 'Sub' && xFirst ? g.node('Neg', [flat], [c]) : flat;
      input = [this.toBlocked(x), weight, bias];
    }
    this.emitBlocked('Conv', NCHWC_DOMAIN, input, out, [ints('kernel_shape', [1, 1]), int('group', c)]);
    return true;
  }

  private elementwise(node: NodeMessage): boolean {
    if (node.output.length !== 1) return false;
    const out = node.output[0] as string;
    const shape = this.g.shape(out);
    if (!this.canBlock(out)) return false;
    const same = (v: string): boolean => sameShape(this.g.shape(v), shape);
    const single = (v: string): boolean => this.g.shape(v).every((d) => d === 1);
    const operands = node.input.filter((i) => i !== '');
    if (!operands.every((v) => same(v) || single(v))) return false;
    if (!operands.some((v) => same(v) && this.blocked.has(v))) return false;
    // Converting costs a pass either way; stay plain when every operand of the shape is plain already.
    if (
      !operands.some((v) => same(v) && this.blockedOnly.has(v)) &&
      !operands.every((v) => !same(v) || this.blocked.has(v))
    )
      return false;
    if (node.opType === 'Identity') {
      this.blocked.set(out, this.blocked.get(operands[0] as string) as string);
      this.blockedOnly.add(out);
      return true;
    }
    const input = node.input.map((i) => (i === '' ? i : same(i) ? this.toBlocked(i) : this.plain(i)));
    this.emitBlocked(node.opType, node.domain ?? '', input, out, node.attribute);
    const castsToBool = node.opType === 'Cast' && intAttr(node, 'to') === 9;
    if (BOOLEAN.has(node.opType) || castsToBool) this.booleans.add(out);
    return true;
  }
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
