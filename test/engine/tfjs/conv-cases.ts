/**
 * Checks a PyTorch-style conv formulation on wasm against the cpu back end and against plain
 * loops, forward and both gradients.
 */
import assert from 'node:assert/strict';
import type * as tf from '@tensorflow/tfjs-core';
import { randomValues, relativeError, valueAndGradients, type ConvResult } from './backend-compare';
import { outputSize, referenceConv, type ConvCase } from './reference-conv';

export const TOLERANCE = 1e-5;

export type Shape4 = [number, number, number, number];

/** The relative errors, worst over y, dx and dw. */
export interface CaseErrors {
  readonly vsCpu: number;
  readonly vsLoops: number;
}

function worst(
  result: ConvResult,
  expected: { y: ArrayLike<number>; dx: ArrayLike<number>; dw: ArrayLike<number> },
): number {
  return Math.max(
    relativeError(result.y, expected.y),
    relativeError(result.dx, expected.dx),
    relativeError(result.dw, expected.dw),
  );
}

export function describeCase(c: ConvCase): string {
  return (
    `k${c.kernel} s${c.stride} d${c.dilation} p${c.pad} g${c.groups} ${c.size}x${c.size} ` +
    `${c.inChannels}->${c.outChannels} n${c.batch}`
  );
}

/** Runs `conv` for case `c` on both back ends and asserts both agree with the loops. */
export async function checkConvCase(
  c: ConvCase,
  seed: number,
  conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
): Promise<CaseErrors> {
  assert.ok(outputSize(c) >= 1, `${describeCase(c)} has no output`);
  const x = {
    values: randomValues(c.batch * c.size * c.size * c.inChannels, seed),
    shape: [c.batch, c.size, c.size, c.inChannels] as Shape4,
  };
  const w = {
    values: randomValues(c.kernel * c.kernel * (c.inChannels / c.groups) * c.outChannels, seed + 1),
    shape: [c.kernel, c.kernel, c.inChannels / c.groups, c.outChannels] as Shape4,
  };
  const wasm = await valueAndGradients('wasm', conv, x, w, seed + 2);
  const cpu = await valueAndGradients('cpu', conv, x, w, seed + 2);
  const loops = referenceConv(c, x.values, w.values, randomValues(wasm.y.length, seed + 2));
  const errors = { vsCpu: worst(wasm, cpu), vsLoops: Math.max(worst(wasm, loops), worst(cpu, loops)) };
  assert.ok(
    errors.vsCpu < TOLERANCE && errors.vsLoops < TOLERANCE,
    `${describeCase(c)}: relative error wasm vs cpu ${errors.vsCpu.toExponential(2)}, vs ` +
      `loops ${errors.vsLoops.toExponential(2)}`,
  );
  return errors;
}
