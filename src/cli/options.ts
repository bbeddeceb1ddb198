import { parseCount } from '../core';
import { UsageError } from './io';

/** `--name N` as a positive whole number, or undefined when the option is absent. */
export function positiveIntegerOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--${name} must be a positive whole number, got "${text}"`);
  return value;
}

/** `--budget 26M`, or undefined when the option is absent. */
export function budgetOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const budget = parseCount(text);
  if (budget === undefined) throw new UsageError(`--budget must be a parameter count such as 26M, got "${text}"`);
  return budget;
}
