/** Colours and font the charts draw with, read from VS Code's theme variables. */
export interface ChartTheme {
  readonly foreground: string;
  readonly background: string;
  readonly grid: string;
  readonly font: string;
  /** Series colours, in order (blue, orange, green, red, purple, yellow). */
  readonly palette: readonly string[];
  /** The colour that marks a problem (catastrophic overfitting). */
  readonly alert: string;
  readonly highContrast: boolean;
}

// Fallbacks are VS Code's Dark Modern values, for a page opened outside the editor.
const FALLBACK = {
  foreground: '#cccccc',
  background: '#1f1f1f',
  grid: 'rgba(128, 128, 128, 0.35)',
  blue: '#3794ff',
  orange: '#d18616',
  green: '#89d185',
  red: '#f14c4c',
  purple: '#b180d7',
  yellow: '#cca700',
};

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const highContrast =
    document.body.classList.contains('vscode-high-contrast') ||
    document.body.classList.contains('vscode-high-contrast-light');
  const pick = (name: keyof typeof FALLBACK): string => cssVar(style, `--vscode-charts-${name}`, FALLBACK[name]);
  const foreground = cssVar(
    style,
    '--vscode-charts-foreground',
    cssVar(style, '--vscode-foreground', FALLBACK.foreground),
  );
  return {
    foreground,
    background: cssVar(style, '--vscode-editor-background', FALLBACK.background),
    // High contrast themes want visible structure; the grid takes the contrast border there.
    grid: highContrast
      ? cssVar(style, '--vscode-contrastBorder', foreground)
      : cssVar(style, '--vscode-charts-lines', FALLBACK.grid),
    font: cssVar(style, '--vscode-font-family', 'system-ui, sans-serif'),
    palette: [pick('blue'), pick('orange'), pick('green'), pick('red'), pick('purple'), pick('yellow')],
    alert: cssVar(style, '--vscode-charts-red', FALLBACK.red),
    highContrast,
  };
}

/**
 * Calls `onChange` when the theme changes: VS Code swaps the body's vscode-light/-dark/
 * -high-contrast class and rewrites the variables on <html>'s style attribute.
 */
export function onThemeChange(onChange: () => void): void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
