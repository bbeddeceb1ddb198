import Ajv, { type ValidateFunction } from 'ajv';
import schema from '../../../../schemas/robarch-hydra.schema.json';
import { checkDesignSize } from '../design-limits';
import { buildResidualNetwork } from '../../build/residual-network';
import { resolveInnerConv, type StageDesign } from '../../build/residual-design';
import type { Diagnostic } from '../../ir/diagnostic';
import type { ActivationFunction, NormKind } from '../../ir/layers';
import type { ConvOrder } from '../../ir/network';
import { YamlSource, type PathSegment } from '../../yaml/yaml-source';
import type { ReadResult } from '../read-result';
import { allowedKeysAt } from '../schema-keys';
import { schemaErrorToDiagnostic } from '../schema-errors';
import { HydraEditor } from './hydra-editor';
import { activationClass, convBlockClass, isRobArchBottleneck, isRobArchStem, normClass } from './class-paths';

export interface HydraReadOptions {
  /** Classes of the head when `num_classes` is an interpolation the file cannot resolve. */
  readonly numClasses?: number;
}

interface ClassRef {
  _target_?: string;
  path: string;
}

interface HydraKwargs {
  stage_widths: number[];
  kernel: number;
  strides: number[];
  dilation: number;
  norm_layer: (ClassRef | null)[];
  activation_layer: (ClassRef | null)[];
  group_widths: number[];
  bottleneck_multipliers: number[];
  downsample_norm: ClassRef | null;
  depths: number[];
  dense_ratio?: number | null;
  stem_type?: ClassRef | null;
  stem_width: number;
  stem_kernel: number;
  stem_downsample_factor: number;
  stem_patch_size?: number | null;
  block_constructor?: ClassRef | null;
  ConvBlock?: ClassRef | null;
  se_ratio?: number | null;
  se_activation?: ClassRef | null;
  weight_init_type?: string;
  num_classes?: number | string;
}

const DEFAULT_NUM_CLASSES = 1000;
const INTERPOLATION = /^\$\{([^}]+)\}$/;

let validator: ValidateFunction | undefined;
function validateKwargs(data: unknown): ValidateFunction {
  validator ??= new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(schema);
  validator(data);
  return validator;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where the model's kwargs live: a model config (`kwargs:`) or a composed Hydra config (`model.kwargs:`). */
export function findKwargsPath(root: unknown): PathSegment[] | undefined {
  if (!isRecord(root)) return undefined;
  const looksLikeKwargs = (value: unknown): boolean =>
    isRecord(value) && ('stage_widths' in value || 'depths' in value);
  if (looksLikeKwargs(root.kwargs)) return ['kwargs'];
  if (isRecord(root.model) && looksLikeKwargs(root.model.kwargs)) return ['model', 'kwargs'];
  return undefined;
}

function lookup(root: unknown, dotted: string): unknown {
  let cursor = root;
  for (const key of dotted.split('.')) {
    if (!isRecord(cursor)) return undefined;
    cursor = cursor[key];
  }
  return cursor;
}

/** Reads a RobArch model config (Hydra YAML) into the IR, unchanged from the RobArch code's form. */
export function readRobArchHydra(file: string, text: string, options: HydraReadOptions = {}): ReadResult {
  const source = new YamlSource(file, text);
  const syntax = source.syntaxErrors();
  if (syntax.length > 0) return { diagnostics: syntax.slice(0, 1) };
  const parsed = source.toJS();
  if ('error' in parsed) return { diagnostics: [parsed.error] };
  const root = parsed.value;
  const base = findKwargsPath(root);
  const fail = (path: readonly PathSegment[], message: string, code = 'RL103'): ReadResult => ({
    diagnostics: [{ file, range: source.rangeOf(path), severity: 'error', code, message }],
  });
  if (!base) return fail([], 'not a RobArch model config: no `kwargs` mapping with stage_widths and depths', 'RL105');
  const raw = lookup(root, base.join('.')) as Record<string, unknown>;

  // Resolve `${a.b}` interpolations that point inside this file, as Hydra would.
  const notes: Diagnostic[] = [];
  const kwargs: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(raw)) {
    const match = typeof value === 'string' ? INTERPOLATION.exec(value) : null;
    if (!match) continue;
    const target = lookup(root, match[1] ?? '');
    if (target !== undefined && !(typeof target === 'string' && INTERPOLATION.test(target))) {
      kwargs[key] = target;
    } else if (key === 'num_classes') {
      const fallback = options.numClasses ?? DEFAULT_NUM_CLASSES;
      kwargs[key] = fallback;
      notes.push({
        file,
        range: source.rangeOfEntry([...base, key]),
        severity: 'info',
        code: 'RL110',
        message:
          `num_classes is ${String(value)}, which this file does not define; counting with ${fallback} classes` +
          (options.numClasses === undefined ? ' (ImageNet; pass --num-classes to change)' : ''),
      });
    } else {
      return fail(
        [...base, key],
        `${key} is ${String(value)}, an interpolation this file does not define; write the value itself`,
      );
    }
  }

  const validate = validateKwargs(kwargs);
  const firstError = validate.errors?.[0];
  if (firstError) {
    const diagnostic = schemaErrorToDiagnostic(
      firstError,
      {
        file,
        rangeOf: (path: readonly PathSegment[]) => source.rangeOf([...base, ...path]),
        rangeOfKey: (path: readonly PathSegment[], key: string) => source.rangeOfKey([...base, ...path], key),
      },
      kwargs,
      'RL102',
      (path) => allowedKeysAt(schema, path),
      base,
    );
    return { diagnostics: [diagnostic] };
  }
  const k = kwargs as unknown as HydraKwargs;
  const at = (...path: PathSegment[]): PathSegment[] => [...base, ...path];

  const stageCount = k.stage_widths.length;
  for (const key of ['strides', 'group_widths', 'bottleneck_multipliers', 'depths'] as const) {
    if (k[key].length !== stageCount) {
      return fail(
        at(key),
        `${key} has ${k[key].length} entries but stage_widths has ${stageCount}; every stage needs one`,
      );
    }
  }
  const notDivisible = k.stage_widths.findIndex((w) => w % 8 !== 0);
  if (notDivisible >= 0) {
    return fail(
      at('stage_widths', notDivisible),
      `stage width ${k.stage_widths[notDivisible]} is not divisible by 8, which RobArch's ConfigurableModel requires`,
    );
  }
  if (k.stem_downsample_factor % 2 !== 0) {
    return fail(
      at('stem_downsample_factor'),
      `stem_downsample_factor must be even (2: no max-pool, 4: a stride-2 max-pool), got ${k.stem_downsample_factor}`,
    );
  }
  if (k.stem_type && !isRobArchStem(k.stem_type.path)) {
    return fail(
      at('stem_type', 'path'),
      `unsupported stem_type ${k.stem_type.path}; expected robustarch.models.model.Stem`,
      'RL104',
    );
  }
  if (k.block_constructor && !isRobArchBottleneck(k.block_constructor.path)) {
    return fail(
      at('block_constructor', 'path'),
      `unsupported block_constructor ${k.block_constructor.path}; expected robustarch.models.model.BottleneckBlock`,
      'RL104',
    );
  }
  let order: ConvOrder = 'conv-norm-act';
  if (k.ConvBlock) {
    const resolved = convBlockClass(k.ConvBlock.path);
    if (typeof resolved === 'object') return fail(at('ConvBlock', 'path'), resolved.error, 'RL104');
    order = resolved;
  }

  // A null entry means PyTorch's `norm_layer is None`: no norm, and the conv gets a bias.
  const norms: (NormKind | null)[] = [];
  const convBias: boolean[] = [];
  for (const [i, ref] of k.norm_layer.entries()) {
    if (ref === null) {
      norms.push(null);
      convBias.push(true);
      continue;
    }
    const kind = normClass(ref.path);
    if (typeof kind === 'object') return fail(at('norm_layer', i, 'path'), kind.error, 'RL104');
    norms.push(kind === 'identity' ? null : kind);
    convBias.push(false);
  }
  const activations: (ActivationFunction | null)[] = [];
  for (const [i, ref] of k.activation_layer.entries()) {
    const fn = ref === null ? 'identity' : activationClass(ref.path);
    if (typeof fn === 'object') return fail(at('activation_layer', i, 'path'), fn.error, 'RL104');
    activations.push(fn === 'identity' ? null : fn);
  }
  let shortcutNorm: NormKind | null = null;
  if (k.downsample_norm) {
    const kind = normClass(k.downsample_norm.path);
    if (typeof kind === 'object') return fail(at('downsample_norm', 'path'), kind.error, 'RL104');
    shortcutNorm = kind === 'identity' ? null : kind;
  }
  let se: { ratio: number; activation: ActivationFunction | null } | null = null;
  if (k.se_ratio) {
    if (!k.se_activation)
      return fail(at('se_activation'), 'se_ratio is set, so se_activation must name an activation class');
    const fn = activationClass(k.se_activation.path);
    if (typeof fn === 'object') return fail(at('se_activation', 'path'), fn.error, 'RL104');
    se = { ratio: k.se_ratio, activation: fn === 'identity' ? null : fn };
  }

  const stages: StageDesign[] = [];
  for (let i = 0; i < stageCount; i++) {
    const width = k.stage_widths[i] ?? 0;
    const bottleneckMultiplier = k.bottleneck_multipliers[i] ?? 0;
    const inner = resolveInnerConv(width, bottleneckMultiplier, { groupWidth: k.group_widths[i] ?? 1 });
    if ('error' in inner) return fail(at('group_widths', i), `stage ${i + 1}: ${inner.error}`);
    stages.push({
      depth: k.depths[i] ?? 0,
      width,
      stride: k.strides[i] ?? 1,
      bottleneckMultiplier,
      innerWidth: inner.innerWidth,
      groups: inner.groups,
      kernel: k.kernel,
      dilation: k.dilation,
      source: source.rangeOf(at('stage_widths', i)),
      factSources: {
        depth: source.rangeOf(at('depths', i)),
        width: source.rangeOf(at('stage_widths', i)),
        stride: source.rangeOf(at('strides', i)),
        bottleneck: source.rangeOf(at('bottleneck_multipliers', i)),
        groups: source.rangeOf(at('group_widths', i)),
        kernel: source.rangeOf(at('kernel')),
        dilation: source.rangeOf(at('dilation')),
      },
    });
  }

  const tooLarge = checkDesignSize(file, stages, source.rangeOfKey(base, 'depths'));
  if (tooLarge) return { diagnostics: [tooLarge] };

  const patch = k.stem_patch_size ?? null;
  const poolStride = Math.floor(k.stem_downsample_factor / 2);
  const normSources = k.norm_layer.map((_, i) => source.rangeOf(at('norm_layer', i)));
  const activationSources = k.activation_layer.map((_, i) => source.rangeOf(at('activation_layer', i)));
  const network = buildResidualNetwork({
    name: (file.split(/[\\/]/).pop() ?? file).replace(/\.ya?ml$/i, ''),
    file,
    format: 'robarch-hydra',
    inputChannels: 3,
    numClasses: k.num_classes as number,
    source: source.rangeOfEntry(base),
    notes,
    headSource: raw.num_classes !== undefined ? source.rangeOfEntry(at('num_classes')) : undefined,
    factSources: { stages: source.rangeOfKey(base, 'depths') },
    editor: new HydraEditor(source, base, kwargs),
    stem: {
      width: k.stem_width,
      kernel: patch ?? k.stem_kernel,
      stride: patch ?? 2,
      patchify: patch !== null,
      maxPool: patch === null && poolStride > 1 ? { kernel: 3, stride: poolStride, padding: 1 } : null,
      // ConfigurableModel fixes the stem to BatchNorm2d and ReLU.
      norm: 'batch',
      activation: 'relu',
      bias: false,
      source: source.rangeOfEntry(at('stem_width')),
      maxPoolSource: source.rangeOfEntry(at('stem_downsample_factor')),
      factSources: {
        width: source.rangeOf(at('stem_width')),
        kernel: source.rangeOf(at(patch !== null ? 'stem_patch_size' : 'stem_kernel')),
        maxPool: source.rangeOfEntry(at('stem_downsample_factor')),
      },
    },
    block: {
      order,
      norms: [norms[0] ?? null, norms[1] ?? null, norms[2] ?? null],
      activations: [activations[0] ?? null, activations[1] ?? null, activations[2] ?? null],
      convBias: [convBias[0] ?? false, convBias[1] ?? false, convBias[2] ?? false],
      // null leaves a slot empty; torch.nn.Identity fills it.
      filledSlots: {
        norms: k.norm_layer.map((ref) => ref !== null),
        activations: k.activation_layer.map((ref) => ref !== null),
      },
      se: se ? { ...se, source: source.rangeOfEntry(at('se_ratio')) } : null,
      shortcutNorm,
      shortcutBias: k.downsample_norm === null,
      denseRatio: k.dense_ratio ?? 0,
      source: source.rangeOfEntry(base),
      normSources,
      activationSources,
      factSources: {
        ...Object.fromEntries(
          [0, 1, 2].flatMap((i) => [
            [`norms.${i}`, source.rangeOf(at('norm_layer', i))],
            [`activations.${i}`, source.rangeOf(at('activation_layer', i))],
          ]),
        ),
        se: source.rangeOfEntry(at('se_ratio')),
        'se.activation': source.rangeOf(at('se_activation')),
        denseRatio: source.rangeOfEntry(at('dense_ratio')),
        shortcutNorm: source.rangeOf(at('downsample_norm')),
      },
    },
    stages,
  });
  return { network, diagnostics: notes };
}
