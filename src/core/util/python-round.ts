/**
 * Python 3's `round(x)` for the widths RobArch's code computes with `int(round(w * b))`: halves
 * go to the even neighbour (banker's rounding), unlike `Math.round`.
 */
export function pythonRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
