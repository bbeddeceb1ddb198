/**
 * A small seeded pseudo-random generator, so that data order, subsets and attacks' random starts
 * are reproducible from one number: the same seed gives the same sequence on every machine and
 * Node version (only 32-bit integer arithmetic, no platform floats beyond IEEE division).
 *
 * The core is Mulberry32: one 32-bit word of state advanced by a Weyl step and mixed by two
 * multiply-xorshift rounds. Its period is 2^32 and it passes the usual statistical batteries well
 * enough for shuffling and noise; it is not for cryptography.
 *
 * Values come in these shapes:
 * - `nextUint32()`: an integer in [0, 2^32);
 * - `next()`: a float in [0, 1) with 32 random bits;
 * - `uniform(lo, hi)`: a float in [lo, hi);
 * - `normal(mean, std)`: a Gaussian sample (Box-Muller, pairs cached);
 * - `integer(n)`: an integer in [0, n), without modulo bias;
 * - `shuffle(array)`: an in-place uniform permutation (Fisher-Yates);
 * - `permutation(n)`: 0..n-1 in random order.
 */

const TWO_POW_32 = 4_294_967_296;

/** Anything indexable and writable: plain arrays and every typed array. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

export class Random {
  private state: number;
  private spareNormal: number | undefined;

  /**
   * @param seed any finite number; it is truncated to an integer and taken modulo 2^32, so
   *   seeds that differ only above 2^32 or in their fraction give the same sequence.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Random: the seed must be a finite number, got ${seed}`);
    // Scrambling the seed once keeps neighbouring seeds (0, 1, 2, ...) from starting on
    // neighbouring states, whose first outputs would otherwise be correlated.
    this.state = scramble(Math.trunc(seed) >>> 0);
  }

  /** An integer in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new RangeError(`Random.uniform: need lo <= hi, got [${lo}, ${hi})`);
    return lo + (hi - lo) * this.next();
  }

  /** A sample of the normal distribution N(mean, std^2). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * spare;
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  /** An integer in [0, n) for a positive integer n up to 2^32, every value equally likely. */
  integer(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Random.integer: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Draws past the largest multiple of n are rejected: taking them modulo n would favour
    // the small values.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const draw = this.nextUint32();
      if (draw < limit) return draw % n;
    }
  }

  /** Shuffles `array` in place, every permutation equally likely, and returns it. */
  shuffle<A extends MutableArrayLike<unknown>>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const held = array[i];
      array[i] = array[j];
      array[j] = held;
    }
    return array;
  }

  /** The integers 0..n-1 in random order. */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return this.shuffle(order);
  }
}

/** A bijective 32-bit mix (the finaliser of MurmurHash3). */
function scramble(x: number): number {
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
