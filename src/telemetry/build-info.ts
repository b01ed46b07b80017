import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Labels of `transit_build_info`. */
export interface BuildInfo {
  version: string;
  node: string;
  commit: string;
}

/** The repository (or image) root: two levels above this file in `src/` and in `dist/`. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What build runs: the package version from package.json, Node.js's version, and the git
 * commit when the process runs from a checkout (`.git` beside package.json; `unknown` in the
 * image, which ships no `.git`). Read once at startup; never throws.
 */
export function readBuildInfo(root: string = ROOT): BuildInfo {
  return { version: packageVersion(root), node: process.version, commit: gitCommit(root) ?? 'unknown' };
}

function packageVersion(root: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** HEAD's commit (12 hex digits) from `.git/HEAD`, its loose ref or `packed-refs`. */
export function gitCommit(root: string): string | null {
  const git = join(root, '.git');
  try {
    if (!existsSync(join(git, 'HEAD'))) return null;
    const head = readFileSync(join(git, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return shortSha(head);
    if (existsSync(join(git, ref))) return shortSha(readFileSync(join(git, ref), 'utf8').trim());
    const packed = existsSync(join(git, 'packed-refs')) ? readFileSync(join(git, 'packed-refs'), 'utf8') : '';
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
    return line ? shortSha(line.split(' ')[0]!) : null;
  } catch {
    return null;
  }
}

function shortSha(sha: string): string | null {
  return /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 12) : null;
}
