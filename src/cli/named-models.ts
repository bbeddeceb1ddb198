import * as path from 'node:path';
import { findLintConfig, readTextIfExists, type NamedModels } from '../core';

/**
 * The models the user named for a file: `--model` given on the command line, else the `models`
 * list of the configuration in force for the file (which applies only where it names what the
 * file defines). `useConfig` false (`--no-config`) leaves the configuration out.
 */
export function namedModels(file: string, given: readonly string[] | undefined, useConfig = true): NamedModels | undefined {
  if (given && given.length > 0) return { expressions: given, from: '--model', strict: true };
  if (!useConfig) return undefined;
  const found = findLintConfig(path.dirname(path.resolve(file)), readTextIfExists);
  const models = found.config?.models;
  return models && models.length > 0 ? { expressions: models, from: found.file ?? 'the configuration', strict: false } : undefined;
}
