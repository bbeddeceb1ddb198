import type { PathSegment } from '../yaml/yaml-source';

interface SchemaNode {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  definitions?: Record<string, SchemaNode>;
}

/** The keys a JSON Schema allows in the mapping at `path` (resolving local `$ref`s). */
export function allowedKeysAt(schema: object, path: readonly PathSegment[]): string[] {
  const root = schema as SchemaNode;
  const resolve = (node: SchemaNode | undefined): SchemaNode | undefined => {
    let current = node;
    for (let guard = 0; current?.$ref && guard < 10; guard++) {
      const name = current.$ref.replace('#/definitions/', '');
      current = root.definitions?.[name];
    }
    return current;
  };
  let node = resolve(root);
  for (const segment of path) {
    node = resolve(typeof segment === 'number' ? node?.items : node?.properties?.[segment]);
  }
  return Object.keys(node?.properties ?? {}).filter((key) => key !== '$schema');
}
