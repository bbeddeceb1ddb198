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

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
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

function render(report: ParamsReport): void {
  const root = document.getElementById('root');
  if (!root) return;
  root.replaceChildren();
  root.appendChild(element('h1', report.name));
  const total = report.total === null ? `at least ${fmt(report.knownParams)}` : fmt(report.total);
  root.appendChild(element('p', `${total} parameters · ${report.macs === null ? '?' : (report.macs / 1e9).toFixed(2)} GMACs at ${report.inputSize}x${report.inputSize}`, 'summary'));
  if (report.budget) {
    const share = report.budget.used;
    const meter = element('meter');
    meter.min = 0;
    meter.max = 1.5;
    meter.high = 1;
    meter.value = share;
    meter.setAttribute('aria-label', 'share of the parameter budget used');
    const line = element('p', `${(100 * share).toFixed(1)}% of the ${fmt(report.budget.params)}-parameter budget `, share > 1 ? 'over' : 'within');
    line.appendChild(meter);
    root.appendChild(line);
  }
  root.appendChild(element('h2', 'Per part'));
  root.appendChild(table(['Part', 'Params', 'Share', 'MACs'], report.parts.map((p) => [
    p.name, fmt(p.params), report.total && p.params !== null ? `${((100 * p.params) / report.total).toFixed(1)}%` : '?', fmt(p.macs),
  ]), new Set([1, 2, 3])));
  root.appendChild(element('h2', 'Layers'));
  root.appendChild(table(['Layer', 'Type', 'Output', 'Params', 'Line'], report.layers.map((l) => {
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
  }), new Set([3, 4])));
}

window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
  if (event.data?.type === 'show') {
    vscode.setState(event.data.report);
    render(event.data.report);
  }
});

const saved = vscode.getState() as ParamsReport | undefined;
if (saved) render(saved);
vscode.postMessage({ type: 'ready' });
