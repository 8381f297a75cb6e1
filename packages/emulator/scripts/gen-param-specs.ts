/**
 * Writes src/resources/param-specs.generated.ts: the parameters each route the emulator serves
 * accepts, derived from the `stripe` SDK's own request types (the SDK is generated from Stripe's
 * OpenAPI description). Run it after bumping the SDK, then review the diff:
 *
 *   node --conditions=development --import tsx packages/emulator/scripts/gen-param-specs.ts [--check]
 *
 * `--check` compares instead of writing (exit 1 when the file is stale). Which SDK method serves a
 * route is read from the SDK's resource modules (`_makeRequest('POST', `/v1/customers/${…}`)`), its
 * parameter type from the method's `params` argument in the matching .d.ts. Routes the SDK has no
 * method for (Stripe.js-only endpoints) are described by hand in src/resources/param-specs.ts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from '../src/core/app.js';
import { allResources } from '../src/resources/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../src/resources/param-specs.generated.ts');
const sdkRoot = join(dirname(createRequire(import.meta.url).resolve('stripe')), '..', 'cjs');
const resourcesDir = join(sdkRoot, 'resources');

/** The routes the emulator serves, as `METHOD /path/:x`. */
function servedRoutes(): string[] {
  return new App({ resources: allResources }).routes().map((r) => `${r.method} ${r.pattern}`);
}

const shapeOf = (route: string) => route.replace(/\/:[^/]+/g, '/:*');

interface SdkMethod {
  file: string;
  className: string;
  method: string;
}

/** `METHOD /v1/x/:*` → the SDK class and method that send it. */
function sdkMethods(): Map<string, SdkMethod> {
  const found = new Map<string, SdkMethod>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.js')) {
        const src = readFileSync(p, 'utf8');
        const className = /class (\w+) extends/.exec(src)?.[1];
        if (!className) continue;
        const re = /\n {4}(\w+)\([^)]*\) \{\n\s+return this\._makeRequest\('(\w+)', [`'](\/v1\/[^`']*)[`']/g;
        for (const m of src.matchAll(re)) {
          const path = m[3]!.replace(/\$\{[^}]+\}/g, ':*');
          const key = `${m[2]} ${path}`;
          if (!found.has(key))
            found.set(key, { file: p.replace(/\.js$/, '.d.ts'), className, method: m[1]! });
        }
      }
    }
  };
  walk(resourcesDir);
  return found;
}

const FLOAT_NAMES = /percent|^quantity_decimal$/;

/*
 * A reader for the SDK's declaration files, which are regular generated TypeScript: interfaces of
 * `name?: Type;` members with doc comments, namespaces of nested interfaces and `type X = 'a' | 'b';`
 * aliases, imports from sibling files. (TypeScript 7's compiler has no JavaScript API to do this.)
 */
type Tok = { t: 'id' | 'str' | 'p' | 'doc'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (src[i + 2] === '*') out.push({ t: 'doc', v: src.slice(i + 3, end) });
      i = end + 2;
    } else if (c === '/' && src[i + 1] === '/') i = src.indexOf('\n', i) + 1 || src.length;
    else if (/\s/.test(c)) i++;
    else if (c === "'" || c === '"') {
      let j = i + 1;
      while (src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (/[\w$]/.test(c)) {
      let j = i;
      while (j < src.length && /[\w$.]/.test(src[j]!)) j++;
      out.push({ t: 'id', v: src.slice(i, j) });
      i = j;
    } else {
      out.push({ t: 'p', v: c });
      i++;
    }
  }
  return out;
}

type TypeExpr =
  | { k: 'ref'; name: string; args: TypeExpr[] }
  | { k: 'lit'; v: string }
  | { k: 'union'; alts: TypeExpr[] }
  | { k: 'obj'; members: Member[]; index: TypeExpr | undefined }
  | { k: 'array'; item: TypeExpr };
interface Member {
  name: string;
  optional: boolean;
  type: TypeExpr;
  doc: string;
}
interface Scope {
  parent: Scope | undefined;
  file: FileDecls;
  namespaces: Map<string, Scope>;
  interfaces: Map<
    string,
    { members: Member[]; index: TypeExpr | undefined; extends: string[]; scope: Scope }
  >;
  aliases: Map<string, { type: TypeExpr; scope: Scope }>;
  classes: Map<string, Map<string, string | undefined>>;
}
interface FileDecls {
  path: string;
  imports: Map<string, string>;
  root: Scope;
}

const newScope = (parent: Scope | undefined, file: FileDecls): Scope => ({
  parent,
  file,
  namespaces: new Map(),
  interfaces: new Map(),
  aliases: new Map(),
  classes: new Map(),
});

class DeclReader {
  #files = new Map<string, FileDecls>();

  file(path: string): FileDecls {
    let f = this.#files.get(path);
    if (f === undefined) {
      f = { path, imports: new Map(), root: undefined as unknown as Scope };
      f.root = newScope(undefined, f);
      this.#files.set(path, f);
      new FileParser(tokenize(readFileSync(path, 'utf8')), f).parse();
    }
    return f;
  }

  /** Resolves `A.B.C` seen in `scope` to an interface or alias. */
  resolve(
    name: string,
    scope: Scope,
  ):
    | {
        iface?: Scope['interfaces'] extends Map<string, infer I> ? I : never;
        alias?: { type: TypeExpr; scope: Scope };
      }
    | undefined {
    const [head, ...rest] = name.split('.');
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
      const hit = this.#descend(s, head!, rest);
      if (hit) return hit;
    }
    const from = scope.file.imports.get(head!);
    if (from !== undefined) {
      const target = this.file(join(dirname(scope.file.path), from.replace(/\.js$/, '.d.ts')));
      return this.#descend(target.root, head!, rest);
    }
    return undefined;
  }

  #descend(s: Scope, head: string, rest: string[]) {
    if (rest.length === 0) {
      const iface = s.interfaces.get(head);
      if (iface) return { iface };
      const alias = s.aliases.get(head);
      if (alias) return { alias };
      return undefined;
    }
    const ns = s.namespaces.get(head);
    if (ns === undefined) {
      const from = s.file.imports.get(head);
      if (from !== undefined && s.parent === undefined) {
        const target = this.file(join(dirname(s.file.path), from.replace(/\.js$/, '.d.ts')));
        const inner = target.root.namespaces.get(head);
        return inner
          ? this.#descend(inner, rest[0]!, rest.slice(1))
          : this.#descend(target.root, rest[0]!, rest.slice(1));
      }
      return undefined;
    }
    return this.#descend(ns, rest[0]!, rest.slice(1));
  }
}

class FileParser {
  #i = 0;
  constructor(
    readonly toks: Tok[],
    readonly file: FileDecls,
  ) {}

  #peek(o = 0): Tok | undefined {
    return this.toks[this.#i + o];
  }
  #next(): Tok {
    return this.toks[this.#i++]!;
  }
  #skipDocs(): string {
    let doc = '';
    while (this.#peek()?.t === 'doc') doc = this.#next().v;
    return doc;
  }
  #expect(v: string) {
    const t = this.#next();
    if (t.v !== v) throw new Error(`${this.file.path}: expected '${v}', got '${t.v}'`);
  }

  parse() {
    this.#body(this.file.root, false);
  }

  #body(scope: Scope, braced: boolean) {
    for (;;) {
      this.#skipDocs();
      const t = this.#peek();
      if (t === undefined) return;
      if (t.v === '}') {
        if (braced) {
          this.#next();
          return;
        }
        this.#next();
        continue;
      }
      if (t.v === 'export' || t.v === 'declare') {
        this.#next();
        continue;
      }
      if (t.v === 'import') this.#import();
      else if (t.v === 'namespace') {
        this.#next();
        const name = this.#next().v;
        this.#expect('{');
        let ns = scope.namespaces.get(name);
        if (!ns) {
          ns = newScope(scope, this.file);
          scope.namespaces.set(name, ns);
        }
        this.#body(ns, true);
      } else if (t.v === 'interface') {
        this.#next();
        const name = this.#next().v;
        const ext: string[] = [];
        if (this.#peek()?.v === '<') this.#skipAngles();
        if (this.#peek()?.v === 'extends') {
          this.#next();
          for (;;) {
            ext.push(this.#next().v);
            if (this.#peek()?.v === '<') this.#skipAngles();
            if (this.#peek()?.v !== ',') break;
            this.#next();
          }
        }
        this.#expect('{');
        const body = this.#members();
        scope.interfaces.set(name, { members: body.members, index: body.index, extends: ext, scope });
      } else if (t.v === 'type') {
        this.#next();
        const name = this.#next().v;
        if (this.#peek()?.v === '<') this.#skipAngles();
        this.#expect('=');
        const type = this.#type();
        if (this.#peek()?.v === ';') this.#next();
        scope.aliases.set(name, { type, scope });
      } else if (t.v === 'class') {
        this.#next();
        const name = this.#next().v;
        while (this.#peek()?.v !== '{') this.#next();
        this.#next();
        scope.classes.set(name, this.#classBody());
      } else {
        // const, function, export { … }: skip to the end of the statement.
        this.#skipStatement();
      }
    }
  }

  #skipAngles() {
    let depth = 0;
    do {
      const v = this.#next().v;
      if (v === '<') depth++;
      else if (v === '>') depth--;
    } while (depth > 0);
  }

  #skipStatement() {
    let depth = 0;
    for (;;) {
      const t = this.#next();
      if (t === undefined) return;
      if (t.v === '{') depth++;
      else if (t.v === '}') {
        depth--;
        if (depth <= 0) return;
      } else if (t.v === ';' && depth === 0) return;
    }
  }

  #import() {
    const start = this.#i;
    while (this.#peek()?.v !== ';') this.#next();
    const toks = this.toks.slice(start, this.#i);
    this.#next();
    const from = toks[toks.length - 1]!;
    if (from.t !== 'str') return;
    const star = toks.findIndex((t) => t.v === '*');
    if (star !== -1) {
      this.file.imports.set(toks[star + 2]!.v, from.v.replace(/\/index\.js$/, '/index.js'));
      return;
    }
    for (const t of toks)
      if (t.t === 'id' && t.v !== 'import' && t.v !== 'from' && t.v !== 'type')
        this.file.imports.set(t.v, from.v);
  }

  /** Methods of a class: name → the type name of its `params` argument. */
  #classBody(): Map<string, string | undefined> {
    const methods = new Map<string, string | undefined>();
    for (;;) {
      this.#skipDocs();
      const t = this.#next();
      if (t.v === '}') return methods;
      if (this.#peek()?.v !== '(') {
        this.#skipStatement();
        continue;
      }
      this.#next();
      let params: string | undefined;
      let depth = 1;
      while (depth > 0) {
        const x = this.#next();
        if (x.v === '(') depth++;
        else if (x.v === ')') depth--;
        else if (x.v === 'params' && depth === 1) {
          if (this.#peek()?.v === '?') this.#next();
          this.#next();
          params = this.#next().v;
        }
      }
      while (this.#peek()?.v !== ';') {
        if (this.#peek()?.v === '<') this.#skipAngles();
        else this.#next();
      }
      this.#next();
      if (!methods.has(t.v)) methods.set(t.v, params);
    }
  }

  #members(): { members: Member[]; index: TypeExpr | undefined } {
    const members: Member[] = [];
    let index: TypeExpr | undefined;
    for (;;) {
      const doc = this.#skipDocs();
      const t = this.#next();
      if (t.v === '}') return { members, index };
      if (t.v === '[') {
        while (this.#next().v !== ']');
        this.#expect(':');
        index = this.#type();
      } else {
        let optional = false;
        if (this.#peek()?.v === '?') {
          this.#next();
          optional = true;
        }
        if (this.#peek()?.v === '(') {
          this.#skipStatement();
          continue;
        }
        this.#expect(':');
        members.push({ name: t.v, optional, type: this.#type(), doc });
      }
      if (this.#peek()?.v === ';' || this.#peek()?.v === ',') this.#next();
    }
  }

  #type(): TypeExpr {
    if (this.#peek()?.v === '|') this.#next();
    const alts = [this.#intersection()];
    while (this.#peek()?.v === '|') {
      this.#next();
      alts.push(this.#intersection());
    }
    return alts.length === 1 ? alts[0]! : { k: 'union', alts };
  }

  #intersection(): TypeExpr {
    const first = this.#primary();
    while (this.#peek()?.v === '&') {
      this.#next();
      this.#primary();
    }
    return first;
  }

  #primary(): TypeExpr {
    const t = this.#next();
    let out: TypeExpr;
    if (t.t === 'str') out = { k: 'lit', v: t.v };
    else if (t.v === '{') {
      const m = this.#members();
      out = { k: 'obj', members: m.members, index: m.index };
    } else if (t.v === '(') {
      out = this.#type();
      this.#expect(')');
    } else {
      const args: TypeExpr[] = [];
      if (this.#peek()?.v === '<') {
        this.#next();
        for (;;) {
          args.push(this.#type());
          const x = this.#next().v;
          if (x === '>') break;
        }
      }
      out = { k: 'ref', name: t.v, args };
    }
    while (this.#peek()?.v === '[' && this.#peek(1)?.v === ']') {
      this.#next();
      this.#next();
      out = { k: 'array', item: out };
    }
    return out;
  }
}

class Emitter {
  constructor(readonly reader: DeclReader) {}

  member(m: Member, scope: Scope, depth: number): string {
    return this.type(m.type, scope, { required: !m.optional, name: m.name, doc: m.doc, depth });
  }

  type(
    type: TypeExpr,
    scope: Scope,
    o: { required: boolean; name: string; doc: string; depth: number },
  ): string {
    let alts = this.#flatten(type, scope);
    let emptyable = false;
    alts = alts.filter(({ t }) => {
      if (t.k === 'ref' && (t.name === 'null' || t.name === 'undefined')) return false;
      if (t.k === 'lit' && t.v === '') {
        emptyable = true;
        return false;
      }
      return true;
    });
    const flags = (o.required ? '!' : '') + (emptyable ? '?' : '');
    const enums = alts.filter(({ t }) => t.k === 'lit').map(({ t }) => (t as { v: string }).v);
    const open = alts.some(({ t }) => t.k === 'ref' && t.name === 'OtherString');
    const rest = alts.filter(
      ({ t }) => t.k !== 'lit' && !(t.k === 'ref' && t.name === 'OtherString' && enums.length > 0),
    );
    if (open && enums.length === 0) rest.push({ t: { k: 'ref', name: 'string', args: [] }, s: scope });
    const parts = [...new Set(rest.map(({ t, s }) => this.one(t, s, o)))];
    if (parts.includes('str') || parts.some((p) => p.startsWith('str:'))) enums.length = 0;
    if (enums.length > 0) parts.push(`=${enums.join('|')}`);
    if (parts.length === 1) return withFlags(parts[0]!, flags);
    return `u('${flags}', ${parts.map(quoteLeaf).join(', ')})`;
  }

  /** A union's members with aliases (`Emptyable<X>`, `type Mode = 'a' | 'b'`) expanded. */
  #flatten(type: TypeExpr, scope: Scope): { t: TypeExpr; s: Scope }[] {
    if (type.k === 'union') return type.alts.flatMap((t) => this.#flatten(t, scope));
    if (type.k === 'ref') {
      if (type.name === 'Emptyable') {
        return [{ t: { k: 'lit', v: '' }, s: scope }, ...this.#flatten(type.args[0]!, scope)];
      }
      // Open enums (`'a' | 'b' | OtherString`): the server still checks the values of its version.
      if (type.name === 'OtherString') return [{ t: { k: 'ref', name: 'OtherString', args: [] }, s: scope }];
      if (!BUILTIN.has(type.name) && type.name !== 'Array') {
        const hit = this.reader.resolve(type.name, scope);
        if (hit?.alias) return this.#flatten(hit.alias.type, hit.alias.scope);
      }
    }
    return [{ t: type, s: scope }];
  }

  one(t: TypeExpr, scope: Scope, o: { name: string; doc: string; depth: number }): string {
    if (t.k === 'array') return this.#array(t.item, scope, o);
    if (t.k === 'obj') return this.#object(t.members, t.index, [], scope, o);
    if (t.k !== 'ref') return 'any';
    switch (t.name) {
      case 'string':
        return stringToken(o.name, o.doc);
      case 'number':
        return FLOAT_NAMES.test(o.name) ? 'num' : 'int';
      case 'boolean':
      case 'true':
      case 'false':
        return 'bool';
      case 'any':
      case 'unknown':
        return 'any';
      case 'Decimal':
        return 'dec';
      case 'MetadataParam':
        return 'meta';
      case 'Array':
        return this.#array(t.args[0]!, scope, o);
    }
    if (/^\d+$/.test(t.name)) return 'int';
    const hit = this.reader.resolve(t.name, scope);
    if (hit?.iface)
      return this.#object(hit.iface.members, hit.iface.index, hit.iface.extends, hit.iface.scope, o);
    if (hit?.alias) return this.type(hit.alias.type, hit.alias.scope, { ...o, required: false });
    throw new Error(`unresolved type ${t.name} (${o.name})`);
  }

  #array(item: TypeExpr, scope: Scope, o: { name: string; doc: string; depth: number }): string {
    const inner = this.type(item, scope, { ...o, required: false, depth: o.depth + 1 });
    return `a(${quoteLeaf(inner)})`;
  }

  #object(
    members: Member[],
    index: TypeExpr | undefined,
    ext: string[],
    scope: Scope,
    o: { depth: number },
  ): string {
    const all = [...members];
    for (const e of ext) {
      const base = this.reader.resolve(e, scope)?.iface;
      // An interface's own member overrides its base's (`line1` required in a shipping address).
      if (base) all.push(...base.members.filter((m) => !all.some((x) => x.name === m.name)));
    }
    if (all.length === 0) {
      // `{[key: string]: string}` is a hash of strings; a hash of anything else is not checked inside.
      if (index === undefined) return 'o({})';
      const inner = this.type(index, scope, { required: false, name: '', doc: '', depth: o.depth + 1 });
      return inner === 'str' ? 'map' : 'any';
    }
    if (o.depth > 12) return 'any';
    const fields = all.map((m) => `${key(m.name)}: ${quoteLeaf(this.member(m, scope, o.depth + 1))}`);
    return `o({ ${fields.join(', ')} })`;
  }
}

const BUILTIN = new Set([
  'string',
  'number',
  'boolean',
  'any',
  'unknown',
  'null',
  'undefined',
  'true',
  'false',
]);

let postRoute = false;

function stringToken(name: string, doc: string): string {
  if ((postRoute && name === 'email') || name === 'customer_email' || name === 'receipt_email')
    return 'email';
  if (name === 'currency' || name.endsWith('_currency')) return 'cur';
  const max = /(?:up to|maximum of|at most|maximum) \*?(\d+) characters/i.exec(doc)?.[1];
  return max ? `str:${max}` : 'str';
}

function withFlags(part: string, flags: string): string {
  if (!part.includes('(')) return `${flags.includes('!') ? '!' : ''}${part}${flags.includes('?') ? '?' : ''}`;
  if (flags === '') return part;
  // o({…}) → o({…}, '!?'); a(x) → a(x, '!?')
  return `${part.slice(0, -1)}, '${flags}')`;
}

const q = (s: string) => `'${s}'`;
const quoteLeaf = (s: string) => (s.includes('(') ? s : q(s));
const key = (k: string) => (/^[a-z_][a-z0-9_]*$/i.test(k) ? k : q(k));

function main() {
  const routes = servedRoutes();
  const methods = sdkMethods();
  const reader = new DeclReader();
  const emitter = new Emitter(reader);
  const lines: string[] = [];
  const missing: string[] = [];
  for (const route of routes.sort()) {
    const m = methods.get(shapeOf(route));
    if (!m) {
      missing.push(route);
      continue;
    }
    const file = reader.file(m.file);
    const klass = file.root.classes.get(m.className);
    if (!klass?.has(m.method)) throw new Error(`${route}: ${m.className}.${m.method} not found in ${m.file}`);
    const paramsType = klass.get(m.method);
    postRoute = route.startsWith('POST ');
    const text = paramsType
      ? emitter.one({ k: 'ref', name: paramsType, args: [] }, file.root, { name: '', doc: '', depth: 0 })
      : 'o({})';
    lines.push(`  '${route}': ${text}, // ${m.className.replace(/Resource$/, '')}.${m.method}`);
  }
  const body = `// Generated by packages/emulator/scripts/gen-param-specs.ts from the stripe SDK's request types
// (stripe ${sdkVersion()}). Do not edit: regenerate. Emulator-only additions are in param-specs.ts.
// Leaves: str (str:N at most N characters), int, num, dec, bool, email, cur (currency), meta
// (metadata), map (string values), any; =a|b enumerates. '!' before: required; '?' after: '' accepted
// (unsets). o({…}) is a nested object, a(x) an array of x, u(flags, …) one of several forms.
import { a, o, type RouteSpecs, u } from '../core/param-spec.js';

export const generatedSpecs: RouteSpecs = {
${lines.join('\n')}
};
`;
  const formatted = format(body);
  if (process.argv.includes('--check')) {
    const current = readFileSync(out, 'utf8');
    if (current !== formatted) {
      console.error(`${out} is stale: regenerate it with scripts/gen-param-specs.ts`);
      process.exit(1);
    }
  } else writeFileSync(out, formatted);
  console.error(
    `${lines.length} routes from the SDK; by hand (param-specs.ts): ${missing.join(', ') || 'none'}`,
  );
}

/** The file as biome formats it: one parameter a line. */
function format(text: string): string {
  const root = join(here, '../../..');
  const r = spawnSync(join(root, 'node_modules/.bin/biome'), ['format', `--stdin-file-path=${out}`], {
    input: text,
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`biome format failed: ${r.stderr}`);
  return r.stdout;
}

function sdkVersion(): string {
  return JSON.parse(readFileSync(join(sdkRoot, '..', 'package.json'), 'utf8')).version as string;
}

main();
