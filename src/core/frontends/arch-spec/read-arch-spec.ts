import Ajv, { type ValidateFunction } from 'ajv';
import schema from '../../../../schemas/arch-spec.schema.json';
import { buildResidualNetwork } from '../../build/residual-network';
import { resolveInnerConv, type StageDesign } from '../../build/residual-design';
import type { Diagnostic } from '../../ir/diagnostic';
import type { ActivationFunction, NormKind } from '../../ir/layers';
import { parseCount } from '../../util/parse-count';
import { YamlSource } from '../../yaml/yaml-source';
import type { ReadResult } from '../read-result';
import { checkDesignSize } from '../design-limits';
import { allowedKeysAt } from '../schema-keys';
import { schemaErrorToDiagnostic } from '../schema-errors';
import { SpecEditor } from './spec-editor';
import type { ArchSpec, SpecActivation, SpecNorm } from './spec-types';

let validator: ValidateFunction | undefined;

/** Compiled once per process: compiling costs far more than validating. */
function validateSpec(data: unknown): ValidateFunction {
  validator ??= new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(schema);
  validator(data);
  return validator;
}

export function toNorm(norm: SpecNorm | undefined, fallback: NormKind | null): NormKind | null {
  if (norm === undefined) return fallback;
  return norm === 'none' ? null : norm;
}

export function toActivation(
  fn: SpecActivation | undefined,
  fallback: ActivationFunction | null,
): ActivationFunction | null {
  if (fn === undefined) return fallback;
  return fn === 'none' ? null : fn;
}

function nameFromFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.arch\.(ya?ml|json)$/i, '').replace(/\.(ya?ml|json)$/i, '');
}

/** Reads a `*.arch.yaml` / `*.arch.json` file into the IR, or says precisely what is wrong. */
export function readArchSpec(file: string, text: string): ReadResult {
  const source = new YamlSource(file, text);
  const syntax = source.syntaxErrors();
  if (syntax.length > 0) return { diagnostics: syntax.slice(0, 1) };
  const parsed = source.toJS();
  if ('error' in parsed) return { diagnostics: [parsed.error] };
  const data = parsed.value;
  const validate = validateSpec(data);
  const firstError = validate.errors?.[0];
  if (firstError) {
    return {
      diagnostics: [schemaErrorToDiagnostic(firstError, source, data, 'RL102', (path) => allowedKeysAt(schema, path))],
    };
  }
  const spec = data as ArchSpec;
  const error = (path: (string | number)[], message: string): ReadResult => ({
    diagnostics: [{ file, range: source.rangeOf(path), severity: 'error', code: 'RL103', message }],
  });

  const stem = spec.stem;
  const patch = stem.patch ?? null;
  if (patch !== null && stem.max_pool) {
    return error(['stem', 'max_pool'], 'a patchify stem (stem.patch) has no max-pool; set stem.max_pool to false');
  }
  const blockSpec = spec.block;
  const stages: StageDesign[] = [];
  for (const [i, stage] of spec.stages.entries()) {
    if (stage.groups !== undefined && stage.group_width !== undefined) {
      return error(['stages', i, 'group_width'], `stages[${i}] sets both groups and group_width; keep one`);
    }
    const bottleneckMultiplier = stage.bottleneck ?? 0.25;
    const inner = resolveInnerConv(
      stage.width,
      bottleneckMultiplier,
      stage.group_width !== undefined ? { groupWidth: stage.group_width } : { groups: stage.groups ?? 1 },
    );
    if ('error' in inner) {
      const key = stage.group_width !== undefined ? 'group_width' : stage.groups !== undefined ? 'groups' : 'width';
      return error(['stages', i, key], `stages[${i}]: ${inner.error}`);
    }
    stages.push({
      depth: stage.depth,
      width: stage.width,
      stride: stage.stride,
      bottleneckMultiplier,
      innerWidth: inner.innerWidth,
      groups: inner.groups,
      kernel: stage.kernel ?? blockSpec.kernel ?? 3,
      dilation: stage.dilation ?? blockSpec.dilation ?? 1,
      source: source.rangeOf(['stages', i]),
      factSources: {
        depth: source.rangeOf(['stages', i, 'depth']),
        width: source.rangeOf(['stages', i, 'width']),
        stride: source.rangeOf(['stages', i, 'stride']),
        bottleneck: source.rangeOf(['stages', i, 'bottleneck']),
        groups: source.rangeOf(['stages', i, stage.group_width !== undefined ? 'group_width' : 'groups']),
        kernel: source.rangeOf(stage.kernel !== undefined ? ['stages', i, 'kernel'] : ['block', 'kernel']),
        dilation: source.rangeOf(stage.dilation !== undefined ? ['stages', i, 'dilation'] : ['block', 'dilation']),
      },
    });
  }

  const tooLarge = checkDesignSize(file, stages, source.rangeOfKey([], 'stages'));
  if (tooLarge) return { diagnostics: [tooLarge] };

  const notes: Diagnostic[] = [];
  let budget: { params: number; source: ReturnType<YamlSource['rangeOf']> } | undefined;
  if (spec.budget !== undefined) {
    const params = parseCount(spec.budget);
    if (params === undefined)
      return error(
        ['budget'],
        `budget ${JSON.stringify(spec.budget)} is not a parameter count (write 26M or 26000000)`,
      );
    budget = { params, source: source.rangeOfEntry(['budget']) };
  }

  const norms = blockSpec.norms ?? ['batch', 'batch', 'batch'];
  const activations = blockSpec.activations ?? ['relu', 'relu', 'relu'];
  const bias = blockSpec.bias ?? false;
  const se = blockSpec.se ?? null;
  const network = buildResidualNetwork({
    name: spec.name ?? nameFromFile(file),
    file,
    format: 'arch-spec',
    inputChannels: spec.input_channels ?? 3,
    numClasses: spec.num_classes ?? 1000,
    ...(spec.input_size !== undefined ? { inputSize: spec.input_size } : {}),
    budget,
    source: source.rangeOf([]),
    notes,
    headSource: spec.num_classes !== undefined ? source.rangeOfEntry(['num_classes']) : undefined,
    factSources: { stages: source.rangeOfKey([], 'stages'), budget: budget?.source },
    editor: new SpecEditor(source, spec),
    stem: {
      width: stem.width,
      kernel: patch ?? stem.kernel ?? 7,
      stride: patch ?? stem.stride ?? 2,
      patchify: patch !== null,
      maxPool: stem.max_pool ? { kernel: 3, stride: 2, padding: 1 } : null,
      norm: toNorm(stem.norm, 'batch'),
      activation: toActivation(stem.activation, 'relu'),
      bias: stem.bias ?? false,
      source: source.rangeOfEntry(['stem']),
      maxPoolSource: stem.max_pool ? source.rangeOfEntry(['stem', 'max_pool']) : undefined,
      factSources: {
        width: source.rangeOf(['stem', 'width']),
        kernel: source.rangeOf(['stem', patch !== null ? 'patch' : 'kernel']),
        maxPool: source.rangeOfEntry(['stem', 'max_pool']),
        norm: source.rangeOf(['stem', 'norm']),
      },
    },
    block: {
      order: blockSpec.order ?? 'conv-norm-act',
      norms: [toNorm(norms[0], null), toNorm(norms[1], null), toNorm(norms[2], null)],
      activations: [
        toActivation(activations[0], null),
        toActivation(activations[1], null),
        toActivation(activations[2], null),
      ],
      convBias: [bias, bias, bias],
      se: se
        ? {
            ratio: se.ratio,
            activation: toActivation(se.activation, 'relu'),
            source: source.rangeOfEntry(['block', 'se']),
          }
        : null,
      shortcutNorm: toNorm(blockSpec.shortcut_norm, 'batch'),
      shortcutBias: blockSpec.shortcut_bias ?? false,
      denseRatio: blockSpec.dense_ratio ?? 0,
      source: source.rangeOfEntry(['block']),
      normSources: blockSpec.norms ? [0, 1, 2].map((i) => source.rangeOf(['block', 'norms', i])) : undefined,
      activationSources: blockSpec.activations
        ? [0, 1, 2].map((i) => source.rangeOf(['block', 'activations', i]))
        : undefined,
      factSources: {
        ...Object.fromEntries(
          [0, 1, 2].flatMap((i) => [
            [`norms.${i}`, source.rangeOf(['block', 'norms', i])],
            [`activations.${i}`, source.rangeOf(['block', 'activations', i])],
          ]),
        ),
        se: source.rangeOfEntry(['block', 'se']),
        'se.activation': source.rangeOf(['block', 'se', 'activation']),
        denseRatio: source.rangeOfEntry(['block', 'dense_ratio']),
        shortcutNorm: source.rangeOf(['block', 'shortcut_norm']),
      },
    },
    stages,
  });
  return { network, diagnostics: notes };
}
