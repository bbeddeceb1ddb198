/**
 * A tensor on the host, independent of any compute back end: float32 values in row-major (C)
 * order and the shape PyTorch gives it. `dtype` names what the file held (float16, int64 ...);
 * every value is converted to float32, which is what the engine computes in.
 */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  readonly dtype: string;
}

/** Tensors by PyTorch parameter and buffer name, in the file's order. */
export type TensorDict = Map<string, HostTensor>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Half-precision (IEEE 754 binary16) bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
