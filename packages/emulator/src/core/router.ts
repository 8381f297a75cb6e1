/**
 * A precompiled route table: a trie over path segments, `:name` segments capture. Matching is
 * O(segments) with no regular expressions, so routing costs nothing measurable per request.
 */
export type Method = 'GET' | 'POST' | 'DELETE';

interface Node<H> {
  statics: Map<string, Node<H>>;
  param: { name: string; node: Node<H> } | undefined;
  handlers: Map<string, { handler: H; pattern: string }>;
}

export interface Match<H> {
  handler: H;
  /** The registered pattern, e.g. `/v1/customers/:id` (fault injection keys on it). */
  pattern: string;
  args: Record<string, string>;
}

function node<H>(): Node<H> {
  return { statics: new Map(), param: undefined, handlers: new Map() };
}

export class Router<H> {
  #root: Node<H> = node();

  add(method: Method, pattern: string, handler: H): void {
    let n = this.#root;
    for (const seg of pattern.split('/').filter(Boolean)) {
      if (seg.startsWith(':')) {
        const name = seg.slice(1);
        if (n.param === undefined) n.param = { name, node: node() };
        else if (n.param.name !== name) {
          throw new Error(`route ${pattern}: parameter :${name} conflicts with :${n.param.name}`);
        }
        n = n.param.node;
      } else {
        let next = n.statics.get(seg);
        if (next === undefined) {
          next = node();
          n.statics.set(seg, next);
        }
        n = next;
      }
    }
    if (n.handlers.has(method)) throw new Error(`route ${method} ${pattern} registered twice`);
    n.handlers.set(method, { handler, pattern });
  }

  match(method: string, path: string): Match<H> | undefined {
    let n: Node<H> | undefined = this.#root;
    let args: Record<string, string> | undefined;
    let start = 1;
    while (n !== undefined && start <= path.length) {
      let end = path.indexOf('/', start);
      if (end === -1) end = path.length;
      if (end > start) {
        const seg = path.slice(start, end);
        const next: Node<H> | undefined = n.statics.get(seg);
        if (next !== undefined) n = next;
        else if (n.param !== undefined) {
          args ??= {};
          args[n.param.name] = safeDecode(seg);
          n = n.param.node;
        } else n = undefined;
      }
      start = end + 1;
    }
    const hit = n?.handlers.get(method);
    if (hit === undefined) return undefined;
    return { handler: hit.handler, pattern: hit.pattern, args: args ?? {} };
  }
}

function safeDecode(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
