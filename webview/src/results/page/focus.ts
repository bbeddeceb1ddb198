const KEYS = ['data-open', 'data-run', 'data-export', 'data-action', 'data-chart'] as const;

/**
 * Runs `rebuild` (which replaces the DOM under `root`) and puts keyboard focus back on the
 * equivalent control, so a live update never throws a keyboard user back to the top.
 */
export function preserveFocus(root: HTMLElement, rebuild: () => void): void {
  const active = document.activeElement;
  let selector: string | undefined;
  if (active instanceof HTMLElement && root.contains(active)) {
    const key = KEYS.find((k) => active.hasAttribute(k));
    if (key) {
      const figure = active.closest('[data-chart]');
      const scope =
        figure && key !== 'data-chart' ? `[data-chart="${CSS.escape(figure.getAttribute('data-chart') ?? '')}"] ` : '';
      selector = `${scope}${active.localName}[${key}="${CSS.escape(active.getAttribute(key) ?? '')}"]`;
    }
  }
  rebuild();
  if (selector) root.querySelector<HTMLElement>(selector)?.focus();
}
