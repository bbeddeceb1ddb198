/** Sub-batches (attacks keep working only on the samples still robust) and per-row class ranks. */

/** The rows `rows` of a row-major matrix with `size` values per row, packed. */
export function gatherRows<T extends Float32Array | Int32Array>(source: T, rows: ArrayLike<number>, size: number): T {
  const out = new (source.constructor as new (length: number) => T)(rows.length * size);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] ?? 0;
    out.set(source.subarray(row * size, (row + 1) * size), r * size);
  }
  return out;
}

/** Indices where `flags` is set. */
export function setIndices(flags: Uint8Array): Int32Array {
  const out: number[] = [];
  flags.forEach((flag, i) => {
    if (flag) out.push(i);
  });
  return Int32Array.from(out);
}

/** Class indices of each of the n rows of logits, most likely first (ties to the lower index). */
export function rankClasses(logits: Float32Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n * k);
  const order = Array.from({ length: k }, (_, c) => c);
  for (let i = 0; i < n; i++) {
    order.sort((a, b) => (logits[i * k + b] ?? 0) - (logits[i * k + a] ?? 0) || a - b);
    out.set(order, i * k);
  }
  return out;
}
