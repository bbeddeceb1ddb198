/** Conversions from stored 8-bit pixels to the engine's float pixels in [0, 1]. */

/** Each byte k becomes k / 255. */
export function bytesToUnit(bytes: Uint8Array, into?: Float32Array, offset = 0): Float32Array {
  const out = into ?? new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[offset + i] = (bytes[i] as number) / 255;
  return out;
}

/**
 * Writes one image stored as channel planes (CHW, as CIFAR stores it) into `out` at `offset`
 * in HWC order, scaled to [0, 1].
 */
export function planesToUnitHwc(
  planes: Uint8Array,
  height: number,
  width: number,
  channels: number,
  out: Float32Array,
  offset: number,
): void {
  const area = height * width;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < area; p++) out[offset + p * channels + c] = (planes[c * area + p] as number) / 255;
  }
}
