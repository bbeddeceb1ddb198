import * as path from 'node:path';
import { configModels, findLintConfig, readTextIfExists, type NamedModels } from '../core';

/**
 * The models the user named for a file: `--model` given on the command line, else the `models`
 * list of the configuration in force for the file (which applies only where it names what the
 * file defines).
 */
export function namedModels(file: string, given: readonly string[] | undefined): NamedModels | undefined {
  if (given && given.length > 0) return { expressions: given, from: '--model', strict: true };
  const found = findLintConfig(path.dirname(path.resolve(file)), readTextIfExists);
  return configModels(found.config, found.file);
}
