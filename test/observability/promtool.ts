/**
 * Runs `promtool` (Debian package `prometheus`) for the observability specs. A missing
 * promtool fails the spec with an install hint; it is never a skip.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const PROMTOOL_MISSING =
  'promtool not found on PATH: install the Debian package `prometheus` ' +
  '(apt-get install -y --no-install-recommends prometheus), which ships /usr/bin/promtool.';

export interface PromtoolResult {
  status: number;
  output: string;
}

/** Runs `promtool ...args` in the repository root; throws if promtool is not installed. */
export function promtool(...args: string[]): PromtoolResult {
  const r = spawnSync(process.env['PROMTOOL'] ?? 'promtool', args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(PROMTOOL_MISSING);
    throw r.error;
  }
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Async {@link promtool}, for running several promtool processes at once. */
export function promtoolAsync(...args: string[]): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    execFile(process.env['PROMTOOL'] ?? 'promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      // On a non-zero exit, err.code is the exit status (a number); otherwise a spawn error.
      const code: unknown = err ? (err as { code?: unknown }).code : 0;
      if (code === 'ENOENT') return reject(new Error(PROMTOOL_MISSING));
      if (typeof code !== 'number') return reject(err);
      resolve({ status: code, output: `${stdout}${stderr}` });
    });
  });
}

/** A temporary directory for the duration of `fn`. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'transit-observability-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Async {@link withTempDir}. */
export async function withTempDirAsync<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'transit-observability-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `files` (name → content) into `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

/**
 * Syntax-checks PromQL expressions with `promtool check rules`: each one becomes a
 * recording rule of a temporary rule file. Returns the expressions promtool rejects, with
 * its message (empty when all parse).
 */
export function invalidPromQL(
  queries: { source: string; expr: string }[],
  render: (groups: { name: string; rules: { record: string; expr: string }[] }[]) => string,
): { source: string; expr: string; error: string }[] {
  const file = (qs: { expr: string }[]) =>
    render([{ name: 'promql-syntax-check', rules: qs.map((q, i) => ({ record: `transit_check:query_${i}`, expr: q.expr })) }]);
  return withTempDir((dir) => {
    writeFiles(dir, { 'all.yml': file(queries) });
    const all = promtool('check', 'rules', join(dir, 'all.yml'));
    if (all.status === 0 && all.output.includes(`SUCCESS: ${queries.length} rules found`)) return [];
    // Something failed: check one by one to name the culprits.
    const bad: { source: string; expr: string; error: string }[] = [];
    queries.forEach((q, i) => {
      const name = `q${i}.yml`;
      writeFiles(dir, { [name]: file([q]) });
      const one = promtool('check', 'rules', join(dir, name));
      if (one.status !== 0) bad.push({ ...q, error: one.output.trim() });
    });
    if (bad.length === 0) bad.push({ source: '(all)', expr: '', error: all.output.trim() });
    return bad;
  });
}
