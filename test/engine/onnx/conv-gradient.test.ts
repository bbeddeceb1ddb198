import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conv, convOutputSize, type ConvSpec } from '../../../src/engine/onnx/conv-ops';
import { GraphBuilder } from '../../../src/engine/onnx/graph-builder';
import { loadOnnxRuntime, onnxRuntimeProblem } from '../../../src/engine/onnx/load-onnxruntime';
import { avgPool, maxPool } from '../../../src/engine/onnx/pool-ops';
import { Tape } from '../../../src/engine/onnx/tape';
import { randomValues, relativeError } from '../tfjs/backend-compare';

interface Geometry {
  readonly c: number;
  readonly o: number;
  readonly h: number;
  readonly w: number;
  readonly k: readonly [number, number];
  readonly s: readonly [number, number];
  readonly p: readonly [number, number];
  readonly d: readonly [number, number];
  readonly groups: number;
}

/** Odd and even sizes, every stride/padding/dilation combination the three gradient paths take. */
const GEOMETRIES: Geometry[] = [];
for (const [h, w] of [
  [7, 7],
  [8, 9],
] as const) {
  for (const k of [1, 2, 3, 5]) {
    for (const s of [1, 2, 3]) {
      for (const p of [0, 1, 3]) {
        for (const d of [1, 2]) {
          if (convOutputSize(h, k, s, p, d) < 1 || convOutputSize(w, k, s, p, d) < 1) continue;
          GEOMETRIES.push({
            c: 4,
            o: 6,
            h,
            w,
            k: [k, k],
            s: [s, s],
            p: [p, p],
            d: [d, d],
            groups: (k + s + p) % 2 === 0 ? 2 : 1,
          });
        }
      }
    }
  }
}
GEOMETRIES.push({ c: 4, o: 4, h: 9, w: 8, k: [3, 1], s: [2, 1], p: [1, 0], d: [1, 1], groups: 4 });

/** dx of sum(conv(x) * gy), straight from the definition. */
function referenceInputGradient(
  g: Geometry,
  weight: Float32Array,
  gy: Float32Array,
  ho: number,
  wo: number,
): Float32Array {
  const dx = new Float32Array(g.c * g.h * g.w);
  const ig = g.c / g.groups;
  const og = g.o / g.groups;
  for (let o = 0; o < g.o; o++) {
    const group = Math.floor(o / og);
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const upstream = gy[(o * ho + oy) * wo + ox] as number;
        for (let i = 0; i < ig; i++) {
          for (let ky = 0; ky < g.k[0]; ky++) {
            const y = oy * g.s[0] + ky * g.d[0] - g.p[0];
            if (y < 0 || y >= g.h) continue;
            for (let kx = 0; kx < g.k[1]; kx++) {
              const x = ox * g.s[1] + kx * g.d[1] - g.p[1];
              if (x < 0 || x >= g.w) continue;
              dx[((group * ig + i) * g.h + y) * g.w + x]! +=
                upstream * (weight[((o * ig + i) * g.k[0] + ky) * g.k[1] + kx] as number);
            }
          }
        }
      }
    }
  }
  return dx;
}

/** A graph of one recorded op with the output gradient as an input; returns (dx, y). */
async function runGradient(
  build: (tape: Tape, x: string) => string,
  shape: readonly number[],
  x: Float32Array,
  gyOf: (outShape: readonly number[]) => Float32Array,
): Promise<{ dx: Float32Array; y: Float32Array; outShape: readonly number[] }> {
  const ort = loadOnnxRuntime();
  const tape = new Tape(new GraphBuilder());
  const g = tape.graph;
  const input = g.input('x', shape);
  const y = build(tape, input);
  const outShape = g.shape(y);
  const gy = g.input('gy', outShape);
  g.output(tape.gradient(y, gy, input), 'dx');
  g.output(y, 'y');
  const session = await ort.InferenceSession.create(g.toBytes(), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  try {
    const out = await session.run({
      x: new ort.Tensor('float32', x, [...shape]),
      gy: new ort.Tensor('float32', gyOf(outShape), [...outShape]),
    });
    return { dx: out['dx']!.data as Float32Array, y: out['y']!.data as Float32Array, outShape };
  } finally {
    await session.release();
  }
}

describe('onnx conv and pooling input gradients', { skip: onnxRuntimeProblem() ?? false }, () => {
  it(`conv input gradients equal the definition on ${GEOMETRIES.length} geometries`, async () => {
    for (const [index, geo] of GEOMETRIES.entries()) {
      const weight = randomValues(geo.o * (geo.c / geo.groups) * geo.k[0] * geo.k[1], index + 1);
      const spec: ConvSpec = {
        weight,
        weightShape: [geo.o, geo.c / geo.groups, geo.k[0], geo.k[1]],
        stride: geo.s,
        padding: geo.p,
        dilation: geo.d,
        groups: geo.groups,
      };
      const ho = convOutputSize(geo.h, geo.k[0], geo.s[0], geo.p[0], geo.d[0]);
      const wo = convOutputSize(geo.w, geo.k[1], geo.s[1], geo.p[1], geo.d[1]);
      const gy = randomValues(geo.o * ho * wo, 1000 + index);
      const result = await runGradient(
        (tape, x) => conv(tape, x, spec),
        [1, geo.c, geo.h, geo.w],
        randomValues(geo.c * geo.h * geo.w, 7),
        () => gy,
      );
      const error = relativeError(result.dx, referenceInputGradient(geo, weight, gy, ho, wo));
      assert.ok(error < 1e-5, `${JSON.stringify(geo)}: off by ${error}`);
    }
  });

  it(
    'average pooling (padding counted) and max pooling (padding never wins) send gradients ' + 'where they should',
    async () => {
      const shape = [2, 3, 7, 6];
      const x = randomValues(2 * 3 * 7 * 6, 5);
      for (const geometry of [
        { kernel: [3, 3], stride: [2, 2], padding: [1, 1] },
        { kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
        { kernel: [3, 2], stride: [1, 2], padding: [1, 0] },
      ] as const) {
        // Average pooling is linear: <avg(x), gy> = <x, dx> for every x.
        const avg = await runGradient(
          (tape, input) => avgPool(tape, input, geometry),
          shape,
          x,
          (s) =>
            randomValues(
              s.reduce((a, b) => a * b, 1),
              11,
            ),
        );
        const gy = randomValues(avg.y.length, 11);
        const lhs = avg.y.reduce((sum, v, i) => sum + v * (gy[i] as number), 0);
        const rhs = avg.dx.reduce((sum, v, i) => sum + v * (x[i] as number), 0);
        assert.ok(
          Math.abs(lhs - rhs) < 1e-4 * Math.max(1, Math.abs(lhs)),
          `avg ${JSON.stringify(geometry)}: ${lhs} vs ${rhs}`,
        );
        // Max pooling: each output's gradient lands on a position holding that output's value.
        const max = await runGradient(
          (tape, input) => maxPool(tape, input, geometry),
          shape,
          x,
          (s) => new Float32Array(s.reduce((a, b) => a * b, 1)).fill(1),
        );
        const total = max.dx.reduce((a, b) => a + b, 0);
        assert.equal(total, max.y.length, `max ${JSON.stringify(geometry)}: gradient mass ${total}`);
        max.dx.forEach((v, i) => {
          if (v !== 0)
            assert.ok(max.y.includes(x[i] as number), `max ${JSON.stringify(geometry)}: gradient at a non-maximum`);
        });
      }
    },
  );
});
