// The evaluator of the config-file subset: walks parse.ts's tree, calls `get_config` (with the
// `FILE.py:ARG` argument when one is given) and returns the ConfigDict it builds. It evaluates
// literals, names, arithmetic and the two ml_collections constructors; nothing else exists here.
import { UserError } from '../../errors.ts';
import type { Expr, Stmt } from './ast.ts';
import { PyConfigError, type Where } from './errors.ts';
import { parseModule } from './parse.ts';
import { castTo, ConfigDict, configDictOf, FieldRef, float, int, repr, typeOf, type Entity, type Num, type PyType, type PyValue, type Seq } from './values.ts';

type Bound = PyValue | FieldRef | Entity;
type Func = { t: 'def'; stmt: Extract<Stmt, { kind: 'def' }> };
type Scope = Map<string, Bound | Func>;

const BUILTIN_TYPES: PyType[] = ['int', 'float', 'str', 'bool', 'list', 'tuple', 'dict'];

/** What `import` may bring in: ml_collections and its config_dict module, and their two constructors. */
const MODULES: Record<string, Record<string, Entity>> = {
  ml_collections: {
    ConfigDict: { t: 'ctor', name: 'ConfigDict' },
    FieldReference: { t: 'ctor', name: 'FieldReference' },
    config_dict: { t: 'module', name: 'ml_collections.config_dict' },
  },
  'ml_collections.config_dict': {
    ConfigDict: { t: 'ctor', name: 'ConfigDict' },
    FieldReference: { t: 'ctor', name: 'FieldReference' },
  },
};

/** Evaluates the config file `src` (named `file` in messages): `get_config(arg)`'s ConfigDict. */
export function evaluateConfig(src: string, file: string, arg?: string): ConfigDict {
  return new Evaluator(file).run(parseModule(src, file), arg);
}

const MAX_EVAL_DEPTH = 500;

class Evaluator {
  private readonly globals: Scope = new Map();
  private depth = 0;
  constructor(private readonly file: string) {}

  private fail(at: Where, what: string): never {
    throw new PyConfigError(this.file, at, what);
  }

  run(body: Stmt[], arg: string | undefined): ConfigDict {
    for (const s of body) {
      if (s.kind === 'def') {
        if (s.name !== 'get_config') this.fail(s, `a function other than get_config ('def ${s.name}') is not supported`);
        this.globals.set(s.name, { t: 'def', stmt: s });
      } else if (s.kind === 'return') this.fail(s, "'return' outside a function");
      else this.exec(s, this.globals);
    }
    const fn = this.globals.get('get_config');
    if (fn === null || typeof fn !== 'object' || (fn as Func).t !== 'def') throw new UserError(`${this.file}: defines no get_config() function, which a config file must`);
    const def = (fn as Func).stmt;
    const scope: Scope = new Map();
    const given = arg === undefined ? [] : [arg];
    if (given.length > def.params.length) this.fail(def, `get_config() takes ${def.params.length} arguments but 1 was given (the ':${arg}' after the file name)`);
    for (const [i, p] of def.params.entries()) {
      if (i < given.length) scope.set(p.name, given[i]);
      else if (p.default) scope.set(p.name, this.eval(p.default, this.globals));
      else this.fail(def, `get_config() needs its argument '${p.name}': give it after the file name, as FILE.py:VALUE`);
    }
    for (const s of def.body) {
      if (s.kind === 'def') this.fail(s, 'a nested function is not supported');
      if (s.kind === 'return') {
        const v = s.value === undefined ? null : this.eval(s.value, scope);
        if (!(v instanceof ConfigDict)) this.fail(s, `get_config() must return a ConfigDict, not ${describe(v)}`);
        return v;
      }
      this.exec(s, scope);
    }
    throw new UserError(`${this.file}:${def.line}:${def.col}: get_config() returns None (it has no 'return config')`);
  }

  private exec(s: Stmt, scope: Scope): void {
    switch (s.kind) {
      case 'docstring':
      case 'pass':
        return;
      case 'import': {
        if (!Object.hasOwn(MODULES, s.full)) this.fail(s, `importing '${s.full}' is not supported (only ml_collections)`);
        scope.set(s.as, { t: 'module', name: s.module });
        return;
      }
      case 'from': {
        const mod = Object.hasOwn(MODULES, s.module) ? MODULES[s.module] : undefined;
        if (mod === undefined) this.fail(s, `importing from '${s.module}' is not supported (only ml_collections)`);
        for (const n of s.names) {
          if (!Object.hasOwn(mod, n.name)) this.fail(s, `importing '${n.name}' from '${s.module}' is not supported`);
          scope.set(n.as, mod[n.name]);
        }
        return;
      }
      case 'assign': {
        const value = this.eval(s.value, scope);
        if (s.target.kind === 'name') scope.set(s.target.id, value);
        else {
          const obj = this.eval(s.target.obj, scope);
          if (!(obj instanceof ConfigDict)) this.fail(s.target, `setting an attribute of ${describe(obj)} is not supported`);
          this.setField(obj, s.target.name, value, s.target, text(s.target));
        }
        return;
      }
      default:
        this.fail(s, `'${s.kind}' is not supported here`);
    }
  }

  /** ConfigDict.__setattr__: a new key, or a value the existing field's type accepts. */
  private setField(cd: ConfigDict, key: string, value: Bound, at: Where, path: string): void {
    if (isEntity(value)) this.fail(at, `${describe(value)} cannot be a config value`);
    const v = value !== null && typeof value === 'object' && !(value instanceof FieldRef) && !(value instanceof ConfigDict) && value.t === 'dict' ? configDictOf(value) : value;
    if (holds(v, cd)) this.fail(at, `${path}: a ConfigDict inside itself is not supported`);
    const old = cd.fields.get(key);
    if (old === undefined) {
      cd.fields.set(key, v);
      return;
    }
    const oldType = old instanceof FieldRef ? old.type : typeOf(old);
    if (v instanceof FieldRef) {
      if (v.type !== oldType && oldType !== 'NoneType') this.fail(at, `${path} holds ${article(oldType)}; a FieldReference of ${v.type} cannot replace it (ml_collections is type-safe)`);
      cd.fields.set(key, v);
      return;
    }
    const cast = castTo(v, oldType);
    if (cast === undefined) this.fail(at, `${path} holds ${article(oldType)}; ${repr(v)} cannot be assigned to it (ml_collections is type-safe)`);
    if (old instanceof FieldRef) old.value = cast;
    else cd.fields.set(key, cast);
  }

  private eval(e: Expr, scope: Scope): Bound {
    // A chain `a + b + c + ...` is as deep as it is long; stop before the stack does.
    if (++this.depth > MAX_EVAL_DEPTH) this.fail(e, `an expression more than ${MAX_EVAL_DEPTH} operations deep`);
    try {
      return this.evalAt(e, scope);
    } finally {
      this.depth--;
    }
  }

  private evalAt(e: Expr, scope: Scope): Bound {
    switch (e.kind) {
      case 'const':
        return typeof e.value === 'number' ? (e.float ? float(e.value) : int(e.value)) : e.value;
      case 'name': {
        // Map.has, not ??: a name bound to None is bound.
        const holder = scope.has(e.id) ? scope : this.globals.has(e.id) ? this.globals : undefined;
        if (holder) {
          const v = holder.get(e.id);
          if (v !== null && typeof v === 'object' && (v as Func).t === 'def') this.fail(e, `using the function '${e.id}' as a value is not supported`);
          return v as Bound;
        }
        if ((BUILTIN_TYPES as string[]).includes(e.id)) return { t: 'type', name: e.id as PyType };
        return this.fail(e, `name '${e.id}' is not defined`);
      }
      case 'attr': {
        const obj = this.eval(e.obj, scope);
        if (obj instanceof ConfigDict) {
          const f = obj.fields.get(e.name);
          if (f === undefined) this.fail(e, `${text(e.obj)} has no key '${e.name}'`);
          return f instanceof FieldRef ? f.value : f;
        }
        if (isEntity(obj) && obj.t === 'module') {
          if (!Object.hasOwn(MODULES[obj.name], e.name)) this.fail(e, `${obj.name}.${e.name} is not supported`);
          return MODULES[obj.name][e.name];
        }
        return this.fail(e, `the attribute '.${e.name}' of ${describe(obj)} is not supported`);
      }
      case 'call':
        return this.call(e as Extract<Expr, { kind: 'call' }>, scope);
      case 'list':
      case 'tuple':
        return { t: e.kind, items: e.items.map((x) => this.value(x, scope)) };
      case 'dict': {
        const entries = new Map<string, PyValue>();
        for (const { key, value } of e.entries) {
          const k = this.value(key, scope);
          if (typeof k !== 'string') this.fail(key, `a dict key that is not a string (${repr(k)}) is not supported`);
          entries.set(k, this.value(value, scope));
        }
        return { t: 'dict', entries };
      }
      case 'unary': {
        const x = this.number(e.operand, scope, e.op);
        return { t: x.t, v: e.op === '-' ? -x.v : x.v };
      }
      case 'binary':
        return this.binary(e as Extract<Expr, { kind: 'binary' }>, scope);
    }
  }

  /** A plain value: a FieldReference read where a value is needed gives its value. */
  private value(e: Expr, scope: Scope): PyValue {
    const v = this.eval(e, scope);
    if (isEntity(v)) this.fail(e, `${describe(v)} cannot be a config value`);
    return v instanceof FieldRef ? v.value : v;
  }

  private number(e: Expr, scope: Scope, op: string): Num {
    const v = this.eval(e, scope);
    if (v instanceof FieldRef) this.fail(e, 'arithmetic on a FieldReference is not supported');
    if (typeof v === 'boolean') return int(v ? 1 : 0);
    if (isEntity(v) || v === null || typeof v !== 'object' || v instanceof ConfigDict || (v.t !== 'int' && v.t !== 'float')) this.fail(e, `the operator '${op}' on ${describe(v)} is not supported`);
    return v as Num;
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, scope: Scope): PyValue {
    if (e.op === '+') {
      const [a, b] = [this.eval(e.left, scope), this.eval(e.right, scope)];
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      const seq = (x: Bound): x is Seq => x !== null && typeof x === 'object' && !(x instanceof ConfigDict) && !(x instanceof FieldRef) && (x.t === 'list' || x.t === 'tuple');
      if (seq(a) && seq(b)) {
        if (a.t !== b.t) this.fail(e, `'+' of a ${a.t} and a ${b.t} is not Python`);
        return { t: a.t, items: [...a.items, ...b.items] };
      }
      if (typeof a === 'string' || typeof b === 'string' || seq(a) || seq(b)) this.fail(e, `'+' of ${describe(a)} and ${describe(b)} is not supported`);
    }
    const x = this.number(e.left, scope, e.op);
    const y = this.number(e.right, scope, e.op);
    const ints = x.t === 'int' && y.t === 'int';
    if ((e.op === '/' || e.op === '//' || e.op === '%') && y.v === 0) this.fail(e, 'division by zero');
    if (e.op === '**' && x.v === 0 && y.v < 0) this.fail(e, 'zero raised to a negative power');
    let v: number;
    let isInt = ints;
    switch (e.op) {
      case '+': v = x.v + y.v; break;
      case '-': v = x.v - y.v; break;
      case '*': v = x.v * y.v; break;
      case '/': v = x.v / y.v; isInt = false; break;
      case '//': v = Math.floor(x.v / y.v); break;
      case '%': v = x.v - y.v * Math.floor(x.v / y.v); break;
      case '**':
        if (x.v < 0 && !Number.isInteger(y.v)) this.fail(e, 'a negative number raised to a fractional power is complex: not supported');
        v = x.v ** y.v;
        isInt = ints && y.v >= 0;
        break;
    }
    if (isInt && !Number.isSafeInteger(v)) this.fail(e, 'an integer result beyond 2^53 is not supported');
    if (!Number.isFinite(v)) this.fail(e, 'a float result out of range');
    return isInt ? int(v) : float(v);
  }

  private call(e: Extract<Expr, { kind: 'call' }>, scope: Scope): Bound {
    if (e.fn.kind === 'attr') {
      const obj = this.eval(e.fn.obj, scope);
      if (obj instanceof ConfigDict) this.fail(e.fn, `calling the ConfigDict method '.${e.fn.name}()' is not supported`);
    }
    const fn = this.eval(e.fn, scope);
    if (!isEntity(fn) || fn.t !== 'ctor') return this.fail(e, `calling ${isEntity(fn) && fn.t === 'type' ? `${fn.name}()` : describe(fn)} is not supported (only ConfigDict and FieldReference)`);
    if (fn.name === 'ConfigDict') {
      if (e.kwargs.length > 0) this.fail(e, `ConfigDict(${e.kwargs[0].name}=...) is not supported`);
      if (e.args.length > 1) this.fail(e, 'ConfigDict() takes at most one argument');
      if (e.args.length === 0) return new ConfigDict();
      const init = this.value(e.args[0], scope);
      if (init instanceof ConfigDict) return configDictOf({ t: 'dict', entries: init.fields as Map<string, PyValue> });
      if (init === null || typeof init !== 'object' || init.t !== 'dict') this.fail(e.args[0], `ConfigDict() of ${describe(init)} is not supported (a dict literal or nothing)`);
      return configDictOf(init);
    }
    const named = new Map(e.kwargs.map((k) => [k.name, k.value]));
    for (const k of named.keys()) if (k !== 'default' && k !== 'field_type') this.fail(e, `FieldReference(${k}=...) is not supported`);
    if (e.args.length > 2) this.fail(e, 'FieldReference() takes at most two positional arguments here (default, field_type)');
    const defExpr = e.args[0] ?? named.get('default');
    const typeExpr = e.args[1] ?? named.get('field_type');
    if (defExpr === undefined) this.fail(e, "FieldReference() needs its 'default'");
    const def = this.value(defExpr, scope);
    let type: PyType;
    if (typeExpr === undefined) {
      if (def === null) this.fail(e, 'FieldReference(None) needs a field_type (ml_collections raises ValueError)');
      type = typeOf(def);
    } else {
      const t = this.eval(typeExpr, scope);
      if (!isEntity(t) || t.t !== 'type') this.fail(typeExpr, `field_type must be one of ${BUILTIN_TYPES.join(', ')}`);
      type = t.name;
    }
    const cast = castTo(def, type);
    if (cast === undefined) this.fail(defExpr, `FieldReference's default ${repr(def)} is not ${article(type)}`);
    return new FieldRef(type, cast);
  }
}

/** Whether `target` can be reached from `v` (so storing `v` in `target` would make a cycle). */
function holds(v: PyValue | FieldRef, target: ConfigDict, seen = new Set<object>()): boolean {
  if (v === null || typeof v !== 'object' || seen.has(v)) return false;
  if (v === target) return true;
  seen.add(v);
  if (v instanceof FieldRef) return holds(v.value, target, seen);
  if (v instanceof ConfigDict) return [...v.fields.values()].some((f) => holds(f, target, seen));
  if (v.t === 'dict') return [...v.entries.values()].some((f) => holds(f, target, seen));
  if (v.t === 'list' || v.t === 'tuple') return v.items.some((f) => holds(f, target, seen));
  return false;
}

function isEntity(v: unknown): v is Entity {
  return v !== null && typeof v === 'object' && !(v instanceof ConfigDict) && !(v instanceof FieldRef) && ['module', 'ctor', 'type'].includes((v as { t: string }).t);
}

function describe(v: Bound | Func | undefined): string {
  if (v === undefined) return 'nothing';
  if (v instanceof FieldRef) return 'a FieldReference';
  if (isEntity(v)) return v.t === 'module' ? `the module '${v.name}'` : v.t === 'ctor' ? `'${v.name}'` : `the type '${v.name}'`;
  if (v !== null && typeof v === 'object' && (v as Func).t === 'def') return 'a function';
  return article(typeOf(v as PyValue));
}

export function article(t: PyType): string {
  return t === 'NoneType' ? 'None' : t === 'int' ? 'an int' : `a ${t}`;
}

/** The source text of an attribute path, for messages: 'config.continual.num_tasks'. */
function text(e: Expr): string {
  if (e.kind === 'name') return e.id;
  if (e.kind === 'attr') return `${text(e.obj)}.${e.name}`;
  return 'the value';
}
