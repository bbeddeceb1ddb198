import { CONTAINERS, EvaluatorBase, isKeras, isKerasLayers } from './evaluator-base';
import { isTorchLayerClass } from './torch-layers';
import { findClassAttribute, findMethod } from './classes';
import { MATH_CONSTANTS } from './python-numbers';
import { num, unknownModule, unknownValue, type PyValue } from './values';

/** Where PyTorch's quantization stubs (QuantStub, DeQuantStub, FloatFunctional) live. */
const QUANTIZATION_PATH = /^torch\.(ao\.)?(quantization(\.stubs)?|nn\.quantized(\.modules(\.functional_modules)?)?)$/;

/** Attribute access: `obj.name` on modules, classes, imported modules and the libraries the evaluator models. */
export abstract class Attributes extends EvaluatorBase {
  /** A name of a module: from its file when imports are followed, else a name we do not know. */
  private moduleAttribute(modulePath: string, name: string): PyValue {
    const path = `${modulePath}.${name}`;
    const loaded = this.loader?.module(modulePath);
    if (!loaded) return { kind: 'namespace', path };
    const value = loaded.scope.vars.get(name);
    if (value) return value;
    if (this.loader?.exists(path)) return { kind: 'namespace', path };
    if (loaded.state === 'failed') return unknownModule(`${path} is not known (${loaded.reason ?? ''})`);
    if (loaded.state === 'loading')
      return unknownModule(`${path} is not defined yet where it is imported (a circular import)`);
    return unknownModule(`${path} is not defined in ${loaded.file}`);
  }

  attributeOf(object: PyValue, name: string): PyValue {
    switch (object.kind) {
      case 'namespace': {
        const path = `${object.path}.${name}`;
        if (
          /^torch\.nn(\.modules(\.[a-z_]+)?)?$/.test(object.path) ||
          object.path === 'torchvision.ops' ||
          object.path === 'torchvision.ops.misc' ||
          QUANTIZATION_PATH.test(object.path)
        ) {
          if (
            isTorchLayerClass(name) ||
            CONTAINERS.has(name) ||
            name === 'SqueezeExcitation' ||
            name === 'Conv2dNormActivation'
          ) {
            return { kind: 'torchClass', name, preset: new Map() };
          }
        }
        if (path === 'collections.OrderedDict' || path === 'functools.partial')
          return { kind: 'builtin', name: path.split('.')[1] ?? path };
        // typing.OrderedDict is callable too: it makes a collections.OrderedDict.
        if (path === 'typing.OrderedDict') return { kind: 'builtin', name: 'OrderedDict' };
        if (object.path === 'math' && MATH_CONSTANTS[name] !== undefined)
          return num(MATH_CONSTANTS[name] as number, false);
        if (isKerasLayers(object.path) && name === 'Input') return { kind: 'builtin', name: 'keras.Input' };
        if (isKerasLayers(object.path) && /^[A-Z]/.test(name)) return { kind: 'kerasClass', name };
        if (isKeras(object.path) && ['Sequential', 'Model', 'Input'].includes(name))
          return { kind: 'builtin', name: `keras.${name}` };
        return this.moduleAttribute(object.path, name);
      }
      case 'module': {
        const child = object.module.children.get(name);
        if (child) return { kind: 'module', module: child };
        const attr = object.module.attributes.get(name);
        if (attr) return attr;
        const method = object.module.userClass ? findMethod(object.module.userClass, name) : undefined;
        if (method?.binding === 'static') return { kind: 'function', fn: method };
        if (method?.binding === 'class' && object.module.userClass)
          return { kind: 'function', fn: method, first: { kind: 'userClass', cls: object.module.userClass } };
        if (method) return { kind: 'bound', self: object.module, fn: method };
        const classAttr = object.module.userClass ? findClassAttribute(object.module.userClass, name) : undefined;
        if (classAttr) return classAttr;
        return { kind: 'builtin', name: `module.${name}`, self: object };
      }
      case 'userClass': {
        const attribute = findClassAttribute(object.cls, name);
        if (attribute) return attribute;
        const method = findMethod(object.cls, name);
        if (method) return { kind: 'function', fn: method, ...(method.binding === 'class' ? { first: object } : {}) };
        return unknownModule(
          `${object.cls.name}.${name}${object.cls.unresolvedBase ? ` (${object.cls.unresolvedBase})` : ''}`,
        );
      }
      case 'array':
        if (name === 'shape' || name === 'ndim') {
          const dims = object.shape.map((d) => num(d, true));
          return name === 'shape' ? { kind: 'list', items: dims, tuple: true } : num(dims.length, true);
        }
        return { kind: 'builtin', name: `array.${name}`, self: object };
      case 'list':
      case 'dict':
      case 'tensor':
      case 'string':
      case 'kerasModel':
        return { kind: 'builtin', name: `${object.kind}.${name}`, self: object };
      case 'super':
        return { kind: 'builtin', name: `super.${name}`, self: object };
      default:
        return unknownValue(
          `the attribute ${name} of ${object.kind === 'unknown' ? object.reason : `a ${object.kind}`}`,
        );
    }
  }
}
