// PHP 7.4–8.x: Debian has one PHP (8.x), so `php -l` proves only that; tests/php74_check.php scans the
// tokens for what 7.4 lacks. Here: every PHP file of the package passes both, and the check catches
// each construct newer than 7.4 (one sample each) while leaving 7.4 code that looks alike alone.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { moduleDir, runPhp } from './php.js';

const checker = `${moduleDir}tests/php74_check.php`;

async function phpFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await phpFiles(path)));
    else if (e.name.endsWith('.php')) out.push(path);
  }
  return out.sort();
}

/** Each sample needs a PHP newer than 7.4; the finding the check must print for it. */
const newer: [string, RegExp][] = [
  ["$a = match ($x) { 1 => 'one', default => 'other' };", /match expression needs PHP 8\.0/],
  ['$b = $obj?->name;', /nullsafe operator/],
  ['#[Attribute]\nclass A {}', /attribute/],
  ['enum Suit { case Hearts; }', /enum needs PHP 8\.1/],
  ['class B { public readonly int $x; }', /readonly property/],
  ['class C { public function __construct(private int $y) {} }', /constructor property promotion/],
  ['function u(int|string $v) { return $v; }', /union type/],
  ['function m(): mixed { return 1; }', /mixed type/],
  ['function m2(mixed $v) { return $v; }', /mixed type/],
  ['function st(): static { return new static(); }', /static return type/],
  ['function nv(): never { exit; }', /never type/],
  ['foo(name: 1);', /named argument name:/],
  ["$c = str_contains('a', 'b');", /str_contains\(\) needs PHP 8\.0/],
  ["$d = str_starts_with('a', 'b');", /str_starts_with\(\)/],
  ["$d = str_ends_with('a', 'b');", /str_ends_with\(\)/],
  ['$e = array_is_list([]);', /array_is_list\(\) needs PHP 8\.1/],
  ['$f = strlen(...);', /first-class callable/],
  ['function tc($a, $b, ) {}', /trailing comma/],
  ['$g = function () use ($a, ) {};', /trailing comma/],
  ['function ni($x = new Foo()) {}', /new in an initializer/],
  ['$h = $x ?? throw new Exception();', /throw as an expression/],
  ['try {} catch (Exception) {}', /catch without a variable/],
  ['function inter(A&B $x) {}', /intersection type/],
];

/** PHP 7.4 that resembles the above. */
const fine = `<?php
class Matcher { public function match($x) { return $x; } }
$r = (new Matcher())->match(1);
$t = $a ? FOO : BAR;
$u = foo($a ? FOO : BAR, $x ?: 'y');
switch ($x) { case FOO: break; default: break; }
function typed(?int $x = null, array $y = [], callable $z = null, $flags = A | B): ?string { return null; }
$f = function ($a) use ($b) { return $a . $b; };
$g = fn($x) => $x * 2;
label: echo 1;
$h = ['a' => 1, 'b' => $x ? 1 : 2, 'c' => foo(...$args)];
if ($x): echo 1; else: echo 2; endif;
try { } catch (Exception $e) { throw $e; }
$v = strpos('abc', 'b') !== false;
class D { public $x = [1, 2]; const Y = 'y'; public function __construct($a, $b) {} }
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paydesk-php74-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('PHP 7.4 compatibility', () => {
  test('php -l: every PHP file of the package parses', async () => {
    const files = await phpFiles(moduleDir);
    assert.ok(files.some((f) => f.endsWith('modules/gateways/paydesk.php')));
    for (const file of files) {
      const run = await runPhp(['-l', file]);
      assert.equal(run.code, 0, `${file}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout, /No syntax errors detected/);
    }
  });

  test('tests/php74_check.php: the module, its tests and the check itself use nothing newer than 7.4', async () => {
    const run = await runPhp([checker]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const count = (await phpFiles(moduleDir)).length;
    assert.equal(run.stdout.trim(), `PHP 7.4 compatible: ${count} file(s) checked`);
  });

  test('the check flags each construct newer than 7.4, one sample at a time', async () => {
    for (const [i, [code, finding]] of newer.entries()) {
      const file = join(dir, `newer-${i}.php`);
      await writeFile(file, `<?php\n${code}\n`);
      const run = await runPhp([checker, file]);
      assert.equal(run.code, 1, `${code}\n${run.stdout}${run.stderr}`);
      assert.match(run.stdout, finding, code);
      assert.match(run.stdout, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: `), code);
    }
  });

  test('the check leaves 7.4 code that looks alike alone (a method named match, ternaries, case labels)', async () => {
    const file = join(dir, 'fine.php');
    await writeFile(file, fine);
    const run = await runPhp([checker, file]);
    assert.equal(run.stdout, 'PHP 7.4 compatible: 1 file(s) checked\n', run.stderr);
    assert.equal(run.code, 0);
  });
});
