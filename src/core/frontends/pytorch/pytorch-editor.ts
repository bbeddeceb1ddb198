import type { TextEdit } from '../../ir/diagnostic';
import type { ModelEditor } from '../../ir/editor';
import type { ActivationFunction, NormKind } from '../../ir/layers';
import type { SourceRange } from '../../ir/source';
import { activationClassName, normClassName } from '../../describe/layer-label';

/** Where in the Python file each block fact is written, collected while the network is built. */
export interface EditSites {
  readonly activations: ReadonlyMap<number, readonly SourceRange[]>;
  readonly norms: ReadonlyMap<number, readonly SourceRange[]>;
  readonly dilations: readonly SourceRange[];
}

/** Activation classes of torch.nn, then the functions of torch.nn.functional, as patterns. */
const ACTIVATION_NAMES = [
  ...['ReLU6?', 'LeakyReLU', 'ELU', 'SiLU', 'GELU', 'Mish', 'Hardswish', 'Sigmoid', 'Tanh', 'Softplus', 'PReLU'],
  ...['relu6?', 'relu_', 'leaky_relu', 'elu', 'silu', 'gelu', 'mish', 'hardswish', 'softplus'],
];
const ACTIVATION_TOKEN = new RegExp(String.raw`\b(${ACTIVATION_NAMES.join('|')})\b`);
const NORM_TOKEN = /\b(BatchNorm2d|InstanceNorm2d|LayerNorm|GroupNorm)\b/;

/**
 * Quick-fix edits in PyTorch source: renames the class or function at the site where the
 * layer is created or applied (`nn.ReLU(inplace=True)` -> `nn.SiLU(inplace=True)`,
 * `F.relu(x)` -> `F.silu(x)`). Changes that need restructuring code are not offered.
 */
export class PyTorchEditor implements ModelEditor {
  private linesOfText: string[] | undefined;

  constructor(
    private readonly text: string,
    private readonly sites: EditSites,
  ) {}

  /** Split on the first edit asked for: every reused model gets an editor per keystroke, and few are asked. */
  private get lines(): string[] {
    this.linesOfText ??= this.text.split('\n');
    return this.linesOfText;
  }

  /** The same sites after lines moved, over the new text (a reused model after an edit elsewhere). */
  moved(line: (old: number) => number, text: string): PyTorchEditor {
    const range = (r: SourceRange): SourceRange => ({
      start: { line: line(r.start.line), character: r.start.character },
      end: { line: line(r.end.line), character: r.end.character },
    });
    const byPosition = (sites: ReadonlyMap<number, readonly SourceRange[]>): Map<number, SourceRange[]> =>
      new Map([...sites].map(([k, v]) => [k, v.map(range)]));
    return new PyTorchEditor(text, {
      activations: byPosition(this.sites.activations),
      norms: byPosition(this.sites.norms),
      dilations: this.sites.dilations.map(range),
    });
  }

  private replaceToken(
    range: SourceRange,
    pattern: RegExp,
    replacement: (found: string) => string | undefined,
  ): TextEdit | undefined {
    const line = this.lines[range.start.line] ?? '';
    const end = range.end.line === range.start.line ? range.end.character : line.length;
    const segment = line.slice(range.start.character, end);
    const match = pattern.exec(segment);
    if (!match || match.index === undefined) return undefined;
    const newText = replacement(match[0]);
    if (newText === undefined) return undefined;
    const start = range.start.character + match.index;
    return {
      range: {
        start: { line: range.start.line, character: start },
        end: { line: range.start.line, character: start + match[0].length },
      },
      newText,
    };
  }

  private unique(ranges: readonly SourceRange[]): SourceRange[] {
    const seen = new Set<string>();
    return ranges.filter((r) => {
      const key = `${r.start.line}:${r.start.character}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  private all(edits: (TextEdit | undefined)[]): TextEdit[] | undefined {
    return edits.length > 0 && edits.every((e): e is TextEdit => e !== undefined) ? edits : undefined;
  }

  setBlockActivation(position: number, fn: ActivationFunction): TextEdit[] | undefined {
    const className = activationClassName(fn);
    const functional = fn.replace('-', '_');
    return this.all(
      this.unique(this.sites.activations.get(position) ?? []).map((range) =>
        this.replaceToken(range, ACTIVATION_TOKEN, (found) => (/^[A-Z]/.test(found) ? className : functional)),
      ),
    );
  }

  setBlockNorm(position: number, norm: NormKind | null): TextEdit[] | undefined {
    if (norm === null) return undefined;
    return this.all(
      this.unique(this.sites.norms.get(position) ?? []).map((range) =>
        this.replaceToken(range, NORM_TOKEN, () => normClassName(norm)),
      ),
    );
  }

  setDilation(dilation: number): TextEdit[] | undefined {
    return this.all(
      this.unique(this.sites.dilations).map((range) =>
        this.replaceToken(range, /\bdilation\s*=\s*\d+/, () => `dilation=${dilation}`),
      ),
    );
  }

  setStemNorm(): TextEdit[] | undefined {
    return undefined;
  }
  setShortcutNorm(): TextEdit[] | undefined {
    return undefined;
  }
  setSqueezeExcitation(): TextEdit[] | undefined {
    return undefined;
  }
  setSqueezeExcitationActivation(): TextEdit[] | undefined {
    return undefined;
  }
  replaceStemPoolByStageStride(): TextEdit[] | undefined {
    return undefined;
  }
  setStem(): TextEdit[] | undefined {
    return undefined;
  }
  removeDenseConnections(): TextEdit[] | undefined {
    return undefined;
  }
}
