import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { fileURLToPath } from 'node:url';
import type { ImportEdge } from './graph-cycles.js';

/** The repository root, whatever the working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The folders whose files are cruised: the code and every vitest spec (vitest.config.ts). */
const ROOTS = ['src', 'test', 'bench'];

/** Vitest specs, as vitest.config.ts includes them. */
export const isSpec = (file: string): boolean => /^(src|test|bench)\/.*\.spec\.ts$/.test(file);

export interface ImportGraph {
  /** Every cruised module (repository-relative paths). */
  modules: string[];
  /** Imports between cruised modules; packages and Node built-ins are left out. */
  edges: ImportEdge[];
}

/**
 * The import graph of src/, test/ and bench/, built by dependency-cruiser with TypeScript's
 * own parser: `tsPreCompilationDeps` keeps `import type` (flagged type-only), and `.js`
 * specifiers resolve to the `.ts` files they are compiled from (nodenext).
 */
export async function importGraph(): Promise<ImportGraph> {
  const { output } = await cruise(
    ROOTS,
    {
      baseDir: REPO_ROOT,
      includeOnly: `^(${ROOTS.join('|')})/`,
      tsPreCompilationDeps: true,
    },
    { extensionAlias: { '.js': ['.ts', '.js'] } },
  );
  const result = output as ICruiseResult;
  const unresolved = result.modules.flatMap((m) =>
    m.dependencies.filter((d) => d.couldNotResolve && !d.coreModule).map((d) => `${m.source} → ${d.module}`),
  );
  const local = unresolved.filter((u) => u.includes('→ .'));
  if (local.length > 0) throw new Error(`dependency-cruiser could not resolve: ${local.join(', ')}`);
  return {
    modules: result.modules.map((m) => m.source).sort(),
    edges: result.modules.flatMap((m) =>
      m.dependencies
        .filter((d) => !d.couldNotResolve && ROOTS.some((r) => d.resolved.startsWith(`${r}/`)))
        .map((d) => ({ from: m.source, to: d.resolved, typeOnly: d.dependencyTypes.includes('type-only') })),
    ),
  };
}
