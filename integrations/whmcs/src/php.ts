// Runs the PHP module through php-cli: the harness (tests/invoke.php) calls one paydesk_* function
// with the given params and prints its return value as JSON.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The package's folder, from src/ (tests) or dist/src/ (the built copy `npm start -- --whmcs-demo` runs).
const up = new URL('..', import.meta.url);
export const moduleDir = fileURLToPath(up.pathname.endsWith('/dist/') ? new URL('..', up) : up);
export const invokeScript = `${moduleDir}tests/invoke.php`;

export type PhpRun = { code: number | null; stdout: string; stderr: string };

/** Runs `php <args>` with stdin, collecting its output. Rejects when php itself cannot start. */
export function runPhp(args: readonly string[], stdin = ''): Promise<PhpRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.PHP_BINARY ?? 'php', [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // php may exit before it has read its input (a script that reads none, a parse error): writing
    // then fails with EPIPE, and what php printed and its exit code are still the result.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(stdin);
  });
}

/** Calls paydesk_<fn>($params) in php-cli and returns what it returned. */
export async function callModule(
  fn: 'link' | 'refund' | 'config' | 'MetaData',
  params: object,
): Promise<unknown> {
  const run = await runPhp([invokeScript], JSON.stringify({ function: fn, params }));
  if (run.code !== 0) throw new Error(`php exited ${run.code}: ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as { result: unknown };
  return parsed.result;
}
