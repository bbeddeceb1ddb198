// Number formats shared by the page, the Markdown report and the tests (which compute the
// expected text from the fixture JSON with these same functions).

const integer = new Intl.NumberFormat('en-US');

export function percent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : `${(100 * value).toFixed(1)}%`;
}

/** A difference of two accuracies in percentage points, always signed. */
export function points(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  const p = 100 * value;
  const rounded = Math.abs(p) < 0.05 ? 0 : p;
  return `${rounded > 0 ? '+' : rounded < 0 ? '\u2212' : '\u00b1'}${Math.abs(rounded).toFixed(1)} pp`;
}

export function params(value: number | undefined): string {
  return value === undefined ? 'n/a' : integer.format(value);
}

export function signedParams(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  return `${value > 0 ? '+' : value < 0 ? '\u2212' : '\u00b1'}${integer.format(Math.abs(value))}`;
}

/** Epsilons are usually k/255 on images: show the fraction too when it is one. */
export function epsilon(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  const k = value * 255;
  const round = Math.round(k);
  const plain = Number(value.toPrecision(4)).toString();
  return round > 0 && Math.abs(k - round) < 1e-6 && value < 0.1 ? `${round}/255 (${plain})` : plain;
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return 'n/a';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}
