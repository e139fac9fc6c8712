// The syntax tree of the config-file subset: a module of imports, constants and `def get_config`,
// whose body assigns names and attributes and returns the config.
import type { Where } from './errors.ts';

export type Expr = Where &
  (
    | { kind: 'const'; value: string | number | boolean | null; float?: boolean }
    | { kind: 'name'; id: string }
    | { kind: 'attr'; obj: Expr; name: string }
    | { kind: 'call'; fn: Expr; args: Expr[]; kwargs: { name: string; value: Expr }[] }
    | { kind: 'list' | 'tuple'; items: Expr[] }
    | { kind: 'dict'; entries: { key: Expr; value: Expr }[] }
    | { kind: 'unary'; op: '-' | '+'; operand: Expr }
    | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  );

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**';

/** An assignment target: a local name or an attribute path rooted at one (`config.a.b`). */
export type Target = Where & ({ kind: 'name'; id: string } | { kind: 'attr'; obj: Expr; name: string });

export type Stmt = Where &
  (
    | { kind: 'docstring' }
    | { kind: 'pass' }
    | { kind: 'import'; module: string; as: string; full: string }
    | { kind: 'from'; module: string; names: { name: string; as: string }[] }
    | { kind: 'def'; name: string; params: { name: string; default?: Expr }[]; body: Stmt[] }
    | { kind: 'assign'; target: Target; value: Expr }
    | { kind: 'return'; value?: Expr }
  );
