/**
 * PyTorch's Conv2d (groups, stride, dilation, symmetric zero padding) and its two gradients as
 * plain loops: an independent reference for the tfjs formulations. NHWC, kernel [kh, kw, in/groups, out].
 */

export interface ConvCase {
  readonly batch: number;
  readonly size: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly pad: number;
  readonly groups: number;
}

export function outputSize(c: ConvCase): number {
  return Math.floor((c.size + 2 * c.pad - c.dilation * (c.kernel - 1) - 1) / c.stride) + 1;
}

/** y, and dx and dw of sum(y * cotangent). */
export function referenceConv(
  c: ConvCase,
  x: Float32Array,
  w: Float32Array,
  cotangent: Float32Array,
): { y: Float64Array; dx: Float64Array; dw: Float64Array } {
  const o = outputSize(c);
  const inPer = c.inChannels / c.groups;
  const outPer = c.outChannels / c.groups;
  const y = new Float64Array(c.batch * o * o * c.outChannels);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let n = 0; n < c.batch; n++) {
    for (let i = 0; i < o; i++) {
      for (let j = 0; j < o; j++) {
        for (let oc = 0; oc < c.outChannels; oc++) {
          const g = Math.floor(oc / outPer);
          const at = ((n * o + i) * o + j) * c.outChannels + oc;
          const dy = cotangent[at] as number;
          let sum = 0;
          for (let t = 0; t < c.kernel; t++) {
            const r = i * c.stride + t * c.dilation - c.pad;
            if (r < 0 || r >= c.size) continue;
            for (let u = 0; u < c.kernel; u++) {
              const col = j * c.stride + u * c.dilation - c.pad;
              if (col < 0 || col >= c.size) continue;
              for (let ic = 0; ic < inPer; ic++) {
                const xi = ((n * c.size + r) * c.size + col) * c.inChannels + g * inPer + ic;
                const wi = ((t * c.kernel + u) * inPer + ic) * c.outChannels + oc;
                sum += (x[xi] as number) * (w[wi] as number);
                dx[xi] = (dx[xi] as number) + dy * (w[wi] as number);
                dw[wi] = (dw[wi] as number) + dy * (x[xi] as number);
              }
            }
          }
          y[at] = sum;
        }
      }
    }
  }
  return { y, dx, dw };
}
