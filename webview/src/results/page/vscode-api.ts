import type { FromResultsPanel } from '../protocol';

/** What the page keeps across a reload of the webview (VS Code holds it, not the page). */
export interface SavedState {
  readonly selected: readonly string[];
  readonly scrollY: number;
}

interface VsCodeApi {
  postMessage(message: FromResultsPanel): void;
  getState(): unknown;
  setState(state: SavedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** acquireVsCodeApi may be called once per page load; everything goes through this one handle. */
export const vscode: VsCodeApi = acquireVsCodeApi();

/** The saved state, checked: it was written by an earlier version of this page, perhaps. */
export function savedState(): SavedState {
  const raw = vscode.getState();
  const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const selected = Array.isArray(value.selected)
    ? value.selected
        .filter((id): id is string => typeof id === 'string' && /^[A-Za-z0-9._-]{1,100}$/.test(id))
        .slice(0, 100)
    : [];
  const scrollY =
    typeof value.scrollY === 'number' && Number.isFinite(value.scrollY) && value.scrollY >= 0 ? value.scrollY : 0;
  return { selected, scrollY };
}
