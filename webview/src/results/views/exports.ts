import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { ExportFormat } from '../protocol';
import { el } from '../page/dom';

const BUTTONS: ReadonlyArray<{ format: Exclude<ExportFormat, 'png'>; label: string; what: string }> = [
  { format: 'json', label: 'JSON', what: 'the run records as JSON' },
  { format: 'csv', label: 'CSV', what: 'the table as CSV' },
  { format: 'markdown', label: 'Markdown report', what: 'a Markdown report' },
];

/** Export buttons; PNG buttons sit on each chart. The extension asks where to save. */
export function exportToolbar(csvWhat: string, onExport: (format: Exclude<ExportFormat, 'png'>) => void): HTMLElement {
  const bar = el('div', { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Export' } }, [
    el('span', { className: 'muted', text: 'Export:' }),
  ]);
  for (const b of BUTTONS) {
    const button = el('vscode-button', {
      text: b.label,
      attrs: {
        secondary: '',
        'data-export': b.format,
        'aria-label': `Export ${b.format === 'csv' ? csvWhat : b.what}`,
      },
    });
    button.addEventListener('click', () => onExport(b.format));
    bar.append(button);
  }
  return bar;
}
