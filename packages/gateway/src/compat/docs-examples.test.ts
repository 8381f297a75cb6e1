// Runs the compat examples of docs/compat.md and of the README's "Switching" section as written: each
// `curl` command is read (method, URL, headers, body, cookie jar) and sent to paydesk, with the
// variables the docs name ($KEY, $CUSTOM_KEY, $USER_TOKEN, $REFUND_KEY) and the ids of earlier answers in place of
// `cs_test_…`, `pi_…`, `price_…` and `sub_…`. The answer must have the documented status, the
// documented top-level fields, and the documented values where the docs spell one out.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { jobKinds } from '../jobs.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';

const root = new URL('../../../../', import.meta.url);
const compatDoc = readFileSync(new URL('docs/compat.md', root), 'utf8');
const readme = readFileSync(new URL('README.md', root), 'utf8');
const switching = readme.slice(readme.indexOf('## Switching'), readme.indexOf('## CLI'));

interface Example {
  command: string;
  expected: string[];
}

/** The curl commands of a document's ```sh blocks, each with the comment lines that follow it. */
export function examplesOf(markdown: string): Example[] {
  const out: Example[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1]!.replace(/\\\n\s*/g, ' ').split('\n');
    for (const line of lines) {
      if (line.startsWith('curl ')) out.push({ command: line, expected: [] });
      else if (line.startsWith('#') && out.length > 0) out.at(-1)!.expected.push(line.replace(/^#\s?/, ''));
    }
  }
  return out;
}

/** Splits a shell command line into words (single and double quotes, $VAR in double quotes and bare). */
function words(command: string, vars: Record<string, string>): string[] {
  const out: string[] = [];
  let current = '';
  let inWord = false;
  const expand = (s: string) =>
    s.replace(/\$([A-Z_]+)/g, (_, name: string) => vars[name] ?? assert.fail(`$${name}`));
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      current += command.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      const end = command.indexOf('"', i + 1);
      current += expand(command.slice(i + 1, end));
      i = end;
      inWord = true;
    } else if (c === ' ') {
      if (inWord) out.push(current);
      current = '';
      inWord = false;
    } else {
      const end = /[ '"]/.exec(command.slice(i))?.index ?? command.length - i;
      current += expand(command.slice(i, i + end));
      i += end - 1;
      inWord = true;
    }
  }
  if (inWord) out.push(current);
  return out;
}

/** The top-level keys of documented JSON (which elides with …), and the plain values spelled out. */
export function documentedFields(text: string): { keys: string[]; values: Record<string, string> } {
  const keys: string[] = [];
  const values: Record<string, string> = {};
  const rootIsArray = text.trimStart().startsWith('[');
  const keyDepth = rootIsArray ? 2 : 1;
  let depth = 0;
  let seenFirst = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      const str = text.slice(i + 1, end);
      const after = text.slice(end + 1);
      if (depth === keyDepth && !seenFirst && after.startsWith(':')) {
        keys.push(str);
        const value = /^:("([^"]*)"|-?\d+|null|true|false)[,}]/.exec(after);
        if (value) values[str] = value[2] ?? value[1]!;
      }
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (rootIsArray && depth === 1) seenFirst = true;
    }
  }
  return { keys, values };
}

let tdb: TestDatabase;
let t: TestApp;
let vars: Record<string, string>;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open());
  vars = {
    KEY: await t.apiKey(['read', 'write']),
    CUSTOM_KEY: await t.apiKey(['read', 'write', 'custom_amounts']),
    USER_TOKEN: await t.userToken('user-1'),
    REFUND_KEY: await t.apiKey(['read', 'write', 'refunds']),
  };
  // Webhooks applied and queued refunds carried out, as on a running paydesk.
  t.context.queue.start(jobKinds(t.context));
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

/** Values the docs write as `id_…` and the answers they come from. */
const latest: Record<string, string> = {};
const jars = new Map<string, string>();

function remember(body: unknown): void {
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      for (const prefix of ['cs_test_', 'sub_', 'price_']) {
        if (v.startsWith(prefix) && !(prefix in latest && prefix === 'price_')) latest[prefix] = v;
      }
      if (/^pi_[A-Za-z0-9]+$/.test(v)) latest.pi_ = v;
    } else if (Array.isArray(v)) {
      for (const x of v.slice(0, 1)) visit(x);
    } else if (v && typeof v === 'object') {
      for (const x of Object.values(v)) visit(x);
    }
  };
  visit(body);
}

async function run(example: Example): Promise<void> {
  // What the previous example set off (webhooks, jobs) has happened, as when a person types the next.
  await t.emulator.delivery.idle();
  await t.context.queue.idle();
  const argv = words(example.command, vars);
  let method = 'GET';
  let url = '';
  let payload: string | undefined;
  let jarIn: string | undefined;
  let jarOut: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-s' || a === '-si' || a === '-i') continue;
    else if (a === '-X') method = argv[++i]!;
    else if (a === '-H') {
      const h = argv[++i]!;
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).toLowerCase()] = h.slice(colon + 1).trim();
    } else if (a === '-d') payload = argv[++i]!;
    else if (a === '-b') jarIn = argv[++i]!;
    else if (a === '-c') jarOut = argv[++i]!;
    else if (a.startsWith('http://127.0.0.1:8080')) url = a.slice('http://127.0.0.1:8080'.length);
    else assert.fail(`unexpected curl argument ${a} in: ${example.command}`);
  }
  if (payload !== undefined && method === 'GET') method = 'POST';
  const fill = (s: string) =>
    s
      .replaceAll('cs_test_…', latest.cs_test_ ?? 'cs_test_missing')
      .replaceAll('pi_…', latest.pi_ ?? 'pi_missing')
      .replaceAll('price_…', latest.price_ ?? 'price_missing')
      .replaceAll('sub_…', latest.sub_ ?? 'sub_missing');
  if (jarIn) headers.cookie = jars.get(jarIn) ?? '';
  const r = await t.app.inject({
    method: method as 'GET' | 'POST',
    url: fill(url),
    headers,
    ...(payload !== undefined ? { payload: fill(payload) } : {}),
  });
  if (jarOut && r.headers['set-cookie']) jars.set(jarOut, String(r.headers['set-cookie']).split(';')[0]!);

  const [statusLine, ...rest] = example.expected;
  assert.ok(statusLine, `an expected answer is documented for: ${example.command}`);
  const status = /^(?:HTTP\/1\.1 )?(\d{3})/.exec(statusLine)?.[1];
  assert.equal(String(r.statusCode), status, `${example.command}\n→ ${r.body}`);
  if (r.statusCode === 303) {
    const location = rest.find((l) => l.startsWith('location: '))?.slice('location: '.length);
    assert.ok(location);
    const prefix = location.split('…')[0]!.replace('http://127.0.0.1:12111', t.emulator.url);
    assert.ok(String(r.headers.location).startsWith(prefix), `${r.headers.location} starts with ${prefix}`);
    return;
  }
  const body = JSON.parse(r.body) as unknown;
  remember(body);
  const documented = [statusLine.replace(/^\d{3}\s*/, ''), ...rest].join('');
  const { keys, values } = documentedFields(documented);
  const actual = (Array.isArray(body) ? body[0] : body) as Record<string, unknown> | undefined;
  assert.ok(actual, `${example.command}: an answer to compare (${r.body})`);
  for (const key of keys) assert.ok(key in actual, `${example.command}: "${key}" in ${r.body}`);
  for (const [key, value] of Object.entries(values)) {
    if (/^(expires_?[aA]t|created(_at)?|url|checkout_url|current_period_end)$/.test(key)) continue;
    if (value.includes('…') || value.startsWith('http')) continue;
    assert.equal(String(actual[key]), value, `${example.command}: ${key}`);
  }
}

describe('the documented compat examples run as written', () => {
  test('docs/compat.md', async () => {
    const examples = examplesOf(compatDoc);
    assert.ok(examples.length >= 15, `found ${examples.length} examples`);
    for (const example of examples) await run(example);
  });

  test('README: Switching from an existing integration', async () => {
    const examples = examplesOf(switching);
    assert.ok(examples.length >= 1);
    for (const example of examples) await run(example);
  });

  test('the example reader reads what the docs write', () => {
    assert.deepEqual(documentedFields('{"a":1,"b":{"c":2},"d":"x","e":[{"f":1}],"g":"h…"}'), {
      keys: ['a', 'b', 'd', 'e', 'g'],
      values: { a: '1', d: 'x', g: 'h…' },
    });
    assert.deepEqual(documentedFields('[{"id":1,"x":{"y":2}},{"z":3}]').keys, ['id', 'x']);
    assert.deepEqual(
      words(`curl -s "http://h/x?a=1" -H "Authorization: Bearer $KEY" -d '{"q":"$NOT"}'`, { KEY: 'k' }),
      ['curl', '-s', 'http://h/x?a=1', '-H', 'Authorization: Bearer k', '-d', '{"q":"$NOT"}'],
    );
  });
});
