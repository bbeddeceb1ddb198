import { isMap, isPair, isScalar, type Node } from 'yaml';
import type { TextEdit } from '../ir/diagnostic';
import type { PathSegment, YamlSource } from './yaml-source';

/** All the edits of a change, or undefined when one of them cannot be made (no partial fixes). */
export function allEdits(...list: (TextEdit | undefined)[]): TextEdit[] | undefined {
  return list.length > 0 && list.every((e): e is TextEdit => e !== undefined) ? list : undefined;
}

/**
 * Minimal text edits on a YAML or JSON document, keeping everything else (comments, layout)
 * as the user wrote it: quick fixes must not reformat a file.
 */
export class YamlEditor {
  private readonly json: boolean;

  constructor(private readonly source: YamlSource) {
    this.json = /\.json$/i.test(source.file);
  }

  /** A value in the file's own syntax: JSON for .json files, YAML flow style otherwise. */
  render(value: unknown): string {
    if (this.json) return JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
    if (value === null) return 'null';
    if (Array.isArray(value)) return `[${value.map((v) => this.render(v)).join(', ')}]`;
    if (typeof value === 'object') {
      return `{ ${Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}: ${this.render(v)}`)
        .join(', ')} }`;
    }
    if (typeof value === 'string' && !/^[A-Za-z_][\w.-]*$/.test(value)) return JSON.stringify(value);
    return String(value);
  }

  /** Sets the value at `path`, replacing it where it exists or adding the key to its mapping. */
  set(path: readonly PathSegment[], value: unknown): TextEdit | undefined {
    const text = this.render(value);
    const node = this.source.node(path);
    if (node?.range) return { range: this.source.offsetRange(node.range[0], node.range[1]), newText: text };
    const key = path[path.length - 1];
    if (typeof key !== 'string') return undefined;
    const parentPath = path.slice(0, -1);
    const parent = parentPath.length === 0 ? this.source.document.contents : this.source.node(parentPath);
    if (!isMap(parent) || !parent.range) return undefined;
    return parent.flow ? this.insertIntoFlowMap(parent, key, text) : this.insertIntoBlockMap(parent, key, text);
  }

  private keyText(key: string): string {
    return this.json ? JSON.stringify(key) : key;
  }

  private insertIntoFlowMap(map: Node, key: string, text: string): TextEdit | undefined {
    const [start, end] = map.range ?? [0, 0];
    const close = this.source.text.lastIndexOf('}', end);
    if (close <= start) return undefined;
    let at = close;
    while (at > start && /\s/.test(this.source.text[at - 1] ?? '')) at--;
    const empty = this.source.text[at - 1] === '{';
    const entry = `${empty ? '' : ', '}${this.keyText(key)}: ${text}`;
    return { range: this.source.offsetRange(at, at), newText: entry };
  }

  private insertIntoBlockMap(map: Node, key: string, text: string): TextEdit | undefined {
    if (!isMap(map)) return undefined;
    const items = map.items.filter(isPair);
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last || !isScalar(first.key) || !first.key.range) return undefined;
    const firstKeyStart = first.key.range[0];
    const lineStart = this.source.text.lastIndexOf('\n', firstKeyStart - 1) + 1;
    const indent = this.source.text.slice(lineStart, firstKeyStart).replace(/[^ \t]/g, ' ');
    const lastNode = (last.value ?? last.key) as Node | null;
    const lastEnd = lastNode?.range ? lastNode.range[1] : firstKeyStart;
    let lineEnd = this.source.text.indexOf('\n', Math.max(0, lastEnd - 1));
    if (lineEnd === -1) lineEnd = this.source.text.length;
    return { range: this.source.offsetRange(lineEnd, lineEnd), newText: `\n${indent}${key}: ${text}` };
  }
}
