import { WeightsFileError } from './weights-error';

/**
 * A restricted reader of Python pickles (protocols 2 to 5, the binary opcodes). It never runs
 * anything: it rebuilds plain data (None, bools, numbers, strings, bytes, lists, tuples, dicts)
 * and resolves each GLOBAL against an allow-list given by the caller; any other global is refused
 * by name before the rest of the file is read. REDUCE calls only the allow-list's own TypeScript
 * functions. The opcodes follow CPython's Lib/pickletools.py documentation.
 */

/** A Python tuple (kept apart from lists so that callers can tell them apart). */
export class PickleTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** An allowed global: a marker value (a storage class) or a TypeScript function REDUCE may call. */
export class AllowedGlobal {
  constructor(
    readonly name: string,
    readonly call?: (args: readonly unknown[]) => unknown,
  ) {}
}

export interface PickleOptions {
  /** "module.name" to its stand-in; anything absent is refused. */
  readonly globals: ReadonlyMap<string, AllowedGlobal>;
  /** BINPERSID's argument to the object it stands for (torch: a storage in data/<key>). */
  readonly persistentLoad?: (pid: unknown) => unknown;
  /** Whether BUILD may set state on a value (torch: an OrderedDict's `_metadata`, a Parameter's hooks). */
  readonly build?: (target: unknown, state: unknown) => boolean;
  /** For messages. */
  readonly label: string;
}

export function readPickle(bytes: Uint8Array, options: PickleOptions): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let at = 0;
  const fail = (message: string): never => {
    throw new WeightsFileError(`${options.label}: ${message} (pickle byte ${at})`);
  };
  const need = (n: number): number => {
    if (n < 0 || at + n > bytes.length) fail('the pickle ends early');
    const start = at;
    at += n;
    return start;
  };
  const u8 = (): number => view.getUint8(need(1));
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const value = view.getBigUint64(need(8), true);
    if (value > BigInt(bytes.length)) fail(`a length of ${value} bytes exceeds the pickle`);
    return Number(value);
  };
  const text = (n: number, encoding: 'utf8' | 'latin1'): string =>
    Buffer.from(bytes.buffer, bytes.byteOffset + need(n), n).toString(encoding);
  const raw = (n: number): Uint8Array => bytes.slice(need(n), at);
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) fail('a GLOBAL has no end of line');
    return text(end - at + 1, 'utf8').slice(0, -1);
  };
  const pop = (): unknown => {
    const floor = marks.length > 0 ? (marks[marks.length - 1] as number) : 0;
    if (stack.length === 0 || stack.length <= floor) fail('the pickle pops an empty stack');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('the pickle reads an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) fail('the pickle closes a MARK it never opened');
    return stack.splice(mark as number);
  };
  const global = (module: string, name: string): AllowedGlobal => {
    const full = `${module}.${name}`;
    const allowed = options.globals.get(full);
    if (!allowed) {
      throw new WeightsFileError(
        `refused: ${options.label} references ${full}; ` +
          'only tensors and plain containers are read, and nothing in the file is run',
      );
    }
    return allowed;
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) fail('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<unknown, unknown>).set(key(items[i]), items[i + 1]);
  };
  const key = (k: unknown): unknown => (k instanceof PickleTuple ? JSON.stringify(k.items) : k);
  const append = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target)) fail('APPEND on something that is not a list');
    (target as unknown[]).push(...items);
  };

  for (;;) {
    if (at >= bytes.length) fail('the pickle has no STOP');
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        u64();
        break; // FRAME: framing only
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`the pickle stops with ${stack.length} values on its stack`);
        return stack[0];
      case 0x28:
        marks.push(stack.length);
        break; // MARK
      case 0x29:
        stack.push(new PickleTuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(new PickleTuple(popMark()));
        break; // TUPLE
      case 0x85:
        stack.push(new PickleTuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PickleTuple([pop(), b, c]));
        break;
      }
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x64: {
        const m = new Map();
        setItems(m, popMark());
        stack.push(m);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        append(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      } // APPENDS
      case 0x8f:
        stack.push([]);
        break; // EMPTY_SET: read as a list
      case 0x90: {
        const items = popMark();
        append(top(), items);
        break;
      } // ADDITEMS
      case 0x91:
        stack.push(popMark());
        break; // FROZENSET
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(view.getInt32(need(4), true));
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(long(raw(u8())));
        break; // LONG1
      case 0x8b: {
        // LONG4
        const n = u32();
        if (n > 64) fail('a LONG4 integer is too long');
        stack.push(long(raw(n)));
        break;
      }
      case 0x47:
        stack.push(view.getFloat64(need(8), false));
        break; // BINFLOAT (big-endian)
      case 0x58:
        stack.push(text(u32(), 'utf8'));
        break; // BINUNICODE
      case 0x8c:
        stack.push(text(u8(), 'utf8'));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(text(u64(), 'utf8'));
        break; // BINUNICODE8
      case 0x54:
        stack.push(text(u32(), 'latin1'));
        break; // BINSTRING
      case 0x55:
        stack.push(text(u8(), 'latin1'));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(raw(u32()));
        break; // BINBYTES
      case 0x43:
        stack.push(raw(u8()));
        break; // SHORT_BINBYTES
      case 0x8e:
        stack.push(raw(u64()));
        break; // BINBYTES8
      case 0x96:
        stack.push(raw(u64()));
        break; // BYTEARRAY8
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
      case 0x6a: {
        // BINGET, LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) fail(`the pickle reads memo ${index}, never stored`);
        stack.push(memo.get(index));
        break;
      }
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (!(callable instanceof AllowedGlobal) || !callable.call) {
          const what = callable instanceof AllowedGlobal ? callable.name : 'something that is not an allowed function';
          fail(`refused: the pickle calls ${what}`);
        }
        if (!(args instanceof PickleTuple)) fail('REDUCE without an argument tuple');
        stack.push((callable as AllowedGlobal).call?.((args as PickleTuple).items));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        if (!options.build?.(top(), state)) {
          fail('refused: the pickle sets the state of an object that is not a tensor or a dict');
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail('the pickle refers to outside data');
        stack.push(options.persistentLoad?.(pid));
        break;
      }
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x81:
      case 0x92: {
        // NEWOBJ, NEWOBJ_EX: object construction
        if (op === 0x92) pop();
        pop();
        const cls = pop();
        fail(`refused: the pickle constructs ${cls instanceof AllowedGlobal ? cls.name : 'an object'}`);
        break;
      }
      default:
        fail(
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ` +
            '(the text opcodes of protocols 0 and 1, object construction and extensions are not read)',
        );
    }
  }
}

/** A little-endian two's-complement integer (LONG1/LONG4), as a number when it is exactly one. */
function long(data: Uint8Array): number | bigint {
  let value = 0n;
  for (let i = data.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i] as number);
  if (data.length > 0 && ((data[data.length - 1] as number) & 0x80) !== 0) value -= 1n << BigInt(8 * data.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
