import type { ModelState } from '../model/classifier';

/**
 * The tensors of a model's state (host arrays: seeded initial weights or a checkpoint), read by PyTorch-style
 * name in the engine's layouts (those of the tfjs back end): conv kernels HWIO, linear weights [in, out].
 */
export class StateWeights {
  constructor(private readonly state: ModelState) {}

  take(name: string, shape: readonly number[]): Float32Array {
    const entry = this.state.tensors.get(name);
    if (!entry) throw new Error(`the checkpoint has no tensor ${name}`);
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `the checkpoint's ${name} has shape [${entry.shape.join(', ')}], the model's [${shape.join(', ')}]`,
      );
    }
    return entry.data;
  }

  /** A conv kernel stored HWIO ([kh, kw, in/groups, out]), returned OIHW as ONNX wants it. */
  convKernel(name: string, kh: number, kw: number, inPerGroup: number, out: number): Float32Array {
    const hwio = this.take(name, [kh, kw, inPerGroup, out]);
    const oihw = new Float32Array(hwio.length);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inPerGroup; i++) {
          for (let o = 0; o < out; o++)
            oihw[((o * inPerGroup + i) * kh + y) * kw + x] = hwio[((y * kw + x) * inPerGroup + i) * out + o] as number;
        }
      }
    }
    return oihw;
  }
}
