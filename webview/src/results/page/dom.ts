// The page builds its DOM with textContent only: run files are untrusted text, never markup.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { text?: string; className?: string; attrs?: Record<string, string> } = {},
  children: readonly (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.text !== undefined) node.textContent = options.text;
  if (options.className) node.className = options.className;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

export interface Column {
  readonly label: string;
  readonly numeric?: boolean;
}

/** A cell: text, or text with the raw value kept in data-value for scripts and tests. */
export type CellValue =
  string | { readonly text: string; readonly value?: number | string; readonly className?: string } | Node;

export function table(
  caption: string,
  columns: readonly Column[],
  rows: readonly (readonly CellValue[])[],
  className = 'data',
): HTMLTableElement {
  const t = el('table', { className });
  t.createCaption().textContent = caption;
  const head = t.createTHead().insertRow();
  for (const c of columns)
    head.append(el('th', { text: c.label, className: c.numeric ? 'num' : '', attrs: { scope: 'col' } }));
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((value, i) => {
      const td = tr.insertCell();
      if (columns[i]?.numeric) td.classList.add('num');
      if (typeof value === 'string') td.textContent = value;
      else if (value instanceof Node) td.append(value);
      else {
        td.textContent = value.text;
        if (value.value !== undefined) td.dataset.value = String(value.value);
        if (value.className) td.classList.add(value.className);
      }
    });
  }
  return t;
}

/** A label/value list (environment, configuration). */
export function facts(rows: readonly (readonly [string, string])[]): HTMLDListElement {
  const list = el('dl', { className: 'facts' });
  for (const [label, value] of rows) list.append(el('dt', { text: label }), el('dd', { text: value }));
  return list;
}

export function section(title: string, id: string, children: readonly Node[]): HTMLElement {
  const heading = el('h2', { text: title, attrs: { id: `${id}-title` } });
  return el('section', { attrs: { 'aria-labelledby': `${id}-title`, id } }, [heading, ...children]);
}
