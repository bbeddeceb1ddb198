import type { Node } from 'web-tree-sitter';
import type { Frame } from './evaluator-base';
import { Attributes } from './attributes';
import { keyText } from './value-ops';
import { unknownValue, type ModuleNode, type PyValue, type Scope } from './values';

/** Assignment: to names, unpacked targets, attributes (registering child modules) and subscripts. */
export abstract class Assignment extends Attributes {
  protected assign(target: Node, value: PyValue, scope: Scope, frame: Frame): void {
    switch (this.typeOf(target)) {
      case 'identifier':
        if (scope === this.globals) {
          this.globalsEpoch++;
          if (this.globals.recording) this.globals.recording.wroteGlobals = true;
        }
        scope.set(target.text, value);
        return;
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'tuple':
      case 'list': {
        const targets = this.kids(target).filter((c): c is Node => c !== null);
        const items = value.kind === 'list' ? value.items : undefined;
        targets.forEach((t, i) =>
          this.assign(t, items?.[i] ?? unknownValue('unpacking an unknown value'), scope, frame),
        );
        return;
      }
      case 'attribute': {
        const object = this.field(target, 'object');
        const attribute = this.field(target, 'attribute')?.text;
        if (!object || !attribute) return;
        const owner = this.eval(object, scope, frame);
        if (owner.kind === 'module') this.setModuleAttribute(owner.module, attribute, value);
        else if (value.kind === 'module' || (value.kind === 'unknown' && value.maybeModule)) {
          // A module stored where we cannot see it may still be registered on the model.
          this.markIncomplete(
            frame,
            `a module is stored on "${object.text.slice(0, 60)}", which is not statically known`,
          );
        }
        return;
      }
      case 'subscript': {
        const object = this.field(target, 'value');
        const index = this.field(target, 'subscript');
        if (!object || !index) return;
        const owner = this.eval(object, scope, frame);
        const key = this.eval(index, scope, frame);
        const text = keyText(key);
        const at =
          key.kind === 'number' && key.isInt && owner.kind === 'list'
            ? key.value < 0
              ? owner.items.length + key.value
              : key.value
            : -1;
        if (owner.kind === 'list' && at >= 0 && at < owner.items.length) owner.items[at] = value;
        else if (owner.kind === 'list')
          owner.tainted ??= `an item assigned at "${index.text.slice(0, 60)}" is not statically known`;
        else if (owner.kind === 'dict' && text !== undefined) owner.entries.set(text, value);
        else if (owner.kind === 'dict')
          owner.tainted ??= `the key "${index.text.slice(0, 60)}" is not statically known`;
        else if (owner.kind === 'module' && value.kind === 'module' && text !== undefined)
          owner.module.children.set(text, value.module);
        else if (owner.kind === 'module') {
          const what =
            text === undefined
              ? `the key "${index.text.slice(0, 60)}" is not statically known`
              : `${owner.module.className}[${text}] is not a module statically known`;
          if (!owner.module.incomplete) owner.module.incomplete = what;
        } else if (value.kind === 'module' || (value.kind === 'unknown' && value.maybeModule)) {
          this.markIncomplete(
            frame,
            `a module is stored in "${object.text.slice(0, 60)}", which is not statically known`,
          );
        }
        return;
      }
      default:
        return;
    }
  }

  /** ModuleList.append/insert: children keyed 0, 1, ... in order (insert renumbers, as PyTorch does). */
  protected addIndexed(module: ModuleNode, child: ModuleNode, at: number | undefined): void {
    const children = [...module.children.values()];
    const index =
      at === undefined ? children.length : Math.max(0, Math.min(children.length, at < 0 ? children.length + at : at));
    children.splice(index, 0, child);
    module.children.clear();
    children.forEach((c, i) => module.children.set(String(i), c));
  }

  setModuleAttribute(module: ModuleNode, name: string, value: PyValue): void {
    // A name not defined (mid-edit, a typo) may be the module meant here: the count is then "at least", never short.
    const lost =
      value.kind === 'unknown' && (value.maybeModule || /^"[\w.]+" is not defined statically$/.test(value.reason));
    if (value.kind === 'unknown' && lost && !module.incomplete) {
      module.incomplete = /^[\w.]+\(\.\.\.\)$/.test(value.reason)
        ? `${name} is ${value.reason}, a class this file does not define: its parameters are unknown`
        : `${name} may be a module not statically known (${value.reason}): its parameters are unknown`;
    }
    if (value.kind === 'module') {
      module.children.set(name, value.module);
      module.attributes.delete(name);
    } else if (value.kind === 'unknown' && module.children.has(name)) {
      // PyTorch keeps (or refuses to replace) the child: which one is not known here.
      module.incomplete ??= `${name} is assigned a value not statically known (${value.reason})`;
      module.attributes.set(name, value);
    } else if (value.kind === 'none' && module.children.has(name)) {
      module.children.delete(name);
      module.attributes.set(name, value);
    } else {
      module.attributes.set(name, value);
    }
  }
}
