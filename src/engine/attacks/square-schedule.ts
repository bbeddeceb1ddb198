/**
 * Square Attack's schedule of square sizes (Andriushchenko et al., "Square Attack: a
 * query-efficient black-box adversarial attack via random search", ECCV 2020, Sec. 4 and
 * Appendix): p, the fraction of the image's pixels a square covers, is halved at fixed iteration
 * breakpoints tuned for 10,000 queries. AutoAttack's standard version uses them unscaled with 5,000
 * queries (resc_schedule=False); rescaling maps the breakpoints onto another query budget.
 */

const BREAKPOINTS = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];

/** p at iteration `iter` (0-based): pInit halved once per breakpoint passed. */
export function squareFraction(iter: number, pInit: number, nQueries: number, rescale: boolean): number {
  const it = rescale ? Math.trunc((iter / nQueries) * 10000) : iter;
  let p = pInit;
  for (const breakpoint of BREAKPOINTS) if (it > breakpoint) p /= 2;
  return p;
}

/** Python's round(): halves go to the even neighbour, so side lengths match the reference's. */
export function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
