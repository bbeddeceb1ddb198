import 'uplot/dist/uPlot.min.css';
import './results.css';
import { ResultsApp } from './page/app';
import { onThemeChange } from './page/theme';
import { savedState, vscode } from './page/vscode-api';

// The results panel's page, in the webview under a strict CSP (see panel-html.ts): the extension
// sends run records and live messages, the page posts selections, cancels and exports back.

const root = document.getElementById('app');
if (!root) throw new Error('results panel: #app is missing');

const saved = savedState();
const app = new ResultsApp(root, { post: (m) => vscode.postMessage(m), save: (s) => vscode.setState(s) }, saved);

window.addEventListener('message', (event: MessageEvent<unknown>) => app.receive(event.data));
onThemeChange(() => app.redrawCharts());

let lastWidth = root.clientWidth;
let resizeTimer: number | undefined;
new ResizeObserver(() => {
  if (root.clientWidth === lastWidth) return;
  lastWidth = root.clientWidth;
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => app.redrawCharts(), 150);
}).observe(root);

let scrollTimer: number | undefined;
window.addEventListener(
  'scroll',
  () => {
    window.clearTimeout(scrollTimer);
    scrollTimer = window.setTimeout(() => app.rememberScroll(window.scrollY), 200);
  },
  { passive: true },
);

vscode.postMessage({ type: 'ready' });
