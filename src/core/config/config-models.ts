import type { NamedModels } from '../frontends/pytorch/named-models';
import type { LintConfig } from './lint-config';

/**
 * A configuration's `models`, read from the file `from`. Being a project setting, they apply to
 * the Python files that define what they name; the others keep the models found in them.
 */
export function configModels(config: LintConfig | undefined, from: string | undefined): NamedModels | undefined {
  const models = config?.models;
  if (!models || models.length === 0) return undefined;
  return { expressions: models, from: from ?? 'the configuration', strict: false };
}
