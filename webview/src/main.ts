import type { ParamsReport } from '../../src/core/params/summary-report';
import type { FromPanel, ToPanel } from './messages';

// The parameter breakdown panel: per-part totals against the budget and the per-layer table.
// Runs in the webview under a strict CSP: no inline handlers, DOM built with textContent.

interface VsCodeApi {
  postMessage(message: FromPanel): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const number = new Intl.NumberFormat('en-US');
const fmt = (value: number | null): string => (value === null ? '?' : number.format(value));

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function table(header: string[], rows: (string | HTMLElement)[][], numeric: Set<number>): HTMLTableElement {
  const t = element('table');
  const head = t.createTHead().insertRow();
  header.forEach((h, i) => head.appendChild(element('th', h, numeric.has(i) ? 'num' : undefined)));
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((cell, i) => {
      const td = tr.insertCell();
      if (numeric.has(i)) td.className = 'num';
      if (typeof cell === 'string') td.textContent = cell;
      else td.appendChild(cell);
    });
  }
  return t;
}

/**
 * The share of the budget as a bar with a mark at 100%: the scale grows past 100% so an
 * over-budget model shows how far over it is.
 */
function budgetBar(used: number): HTMLElement {
  const scale = Math.max(1.25, used * 1.05);
  const bar = element('div', undefined, 'budget-bar');
  bar.setAttribute('role', 'meter');
  bar.setAttribute('aria-label', 'share of the parameter budget used');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', String(Math.round(100 * scale)));
  bar.setAttribute('aria-valuenow', String(Math.round(100 * used)));
  const fill = element('div', undefined, used > 1 ? 'budget-fill over' : 'budget-fill');
  // CSSOM writes are allowed under the panel's CSP (no inline style attributes are).
  fill.style.width = `${(100 * Math.min(used, scale)) / scale}%`;
  const mark = element('div', undefined, 'budget-mark');
  mark.style.left = `${100 / scale}%`;
  mark.appendChild(element('span', '100%'));
  bar.append(fill, mark);
  return bar;
}

function modelPicker(reports: readonly ParamsReport[], selected: string): HTMLElement {
  const label = element('label', 'Model ', 'model-picker');
  const select = element('select');
  select.id = 'model';
  for (const r of reports) {
    const option = element('option', r.name);
    option.value = r.name;
    option.selected = r.name === selected;
    select.appendChild(option);
  }
  select.addEventListener('change', () => {
    show({ reports, selected: select.value });
    vscode.postMessage({ type: 'selected', name: select.value });
  });
  label.appendChild(select);
  return label;
}

interface Shown {
  readonly reports: readonly ParamsReport[];
  readonly selected: string;
}

function show(state: Shown): void {
  vscode.setState(state);
  const report = state.reports.find((r) => r.name === state.selected) ?? state.reports[0];
  if (report) render(report, state);
}

function render(report: ParamsReport, state: Shown): void {
  const root = document.getElementById('root');
  if (!root) return;
  root.replaceChildren();
  if (state.reports.length > 1) root.appendChild(modelPicker(state.reports, report.name));
  root.appendChild(element('h1', report.name));
  const total = report.total === null ? `at least ${fmt(report.knownParams)}` : fmt(report.total);
  const macs = report.macs === null ? '?' : (report.macs / 1e9).toFixed(2);
  root.appendChild(
    element('p', `${total} parameters · ${macs} GMACs at ${report.inputSize}x${report.inputSize}`, 'summary'),
  );
  if (report.budget) {
    const share = report.budget.used;
    const atLeast = report.total === null ? 'at least ' : '';
    const text = `${atLeast}${(100 * share).toFixed(1)}% of the ${fmt(report.budget.params)}-parameter budget`;
    root.appendChild(element('p', text, share > 1 ? 'over' : 'within'));
    root.appendChild(budgetBar(share));
  } else {
    root.appendChild(
      element('p', 'No parameter budget: set robustnessLens.budget (e.g. "11M") to compare.', 'summary'),
    );
  }
  root.appendChild(element('h2', 'Per part'));
  root.appendChild(
    table(
      ['Part', 'Params', 'Share', 'MACs'],
      report.parts.map((p) => [
        p.name,
        fmt(p.params),
        report.total && p.params !== null ? `${((100 * p.params) / report.total).toFixed(1)}%` : '?',
        fmt(p.macs),
      ]),
      new Set([1, 2, 3]),
    ),
  );
  root.appendChild(element('h2', 'Layers'));
  root.appendChild(
    table(
      ['Layer', 'Type', 'Output', 'Params', 'Line'],
      report.layers.map((l) => {
        let lineCell: string | HTMLElement = '';
        if (l.line !== null) {
          const link = element('a', String(l.line));
          link.href = '#';
          const line = l.line;
          link.addEventListener('click', (event) => {
            event.preventDefault();
            vscode.postMessage({ type: 'reveal', line });
          });
          lineCell = link;
        }
        return [l.name, l.type, l.output, fmt(l.params), lineCell];
      }),
      new Set([3, 4]),
    ),
  );
}

window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
  if (event.data?.type === 'show') show({ reports: event.data.reports, selected: event.data.selected });
});

const saved = vscode.getState() as Shown | undefined;
if (saved && Array.isArray(saved.reports)) show(saved);
vscode.postMessage({ type: 'ready' });
