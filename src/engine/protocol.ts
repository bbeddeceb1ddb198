import type { Diagnostic, ParamsReport } from '../core';

/**
 * The engine worker's message protocol. The worker runs in a child process (never in the
 * extension host); every message carries the id of the request it answers.
 */
export type EngineRequest = {
  readonly id: number;
  readonly type: 'describe';
  /** Path used in diagnostics and to pick the front end. */
  readonly file: string;
  readonly text: string;
  readonly inputSize?: number;
};

export type EngineMessage =
  | { readonly id: number; readonly type: 'progress'; readonly fraction: number; readonly message: string }
  | { readonly id: number; readonly type: 'result'; readonly result: ParamsReport }
  | { readonly id: number; readonly type: 'error'; readonly message: string; readonly diagnostics: readonly Diagnostic[] };

/** Requests come from another process: check their shape before acting on them. */
export function parseEngineRequest(value: unknown): EngineRequest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'number' || !Number.isInteger(v.id)) return undefined;
  if (v.type !== 'describe' || typeof v.file !== 'string' || typeof v.text !== 'string') return undefined;
  if (v.inputSize !== undefined && !(typeof v.inputSize === 'number' && Number.isInteger(v.inputSize) && v.inputSize > 0)) return undefined;
  return { id: v.id, type: 'describe', file: v.file, text: v.text, ...(v.inputSize === undefined ? {} : { inputSize: v.inputSize }) };
}
