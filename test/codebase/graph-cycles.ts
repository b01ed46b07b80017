/**
 * Cycles in an import graph, as plain functions over edges (no file system), so the check
 * that guards the real graph can be shown to fail on small fixture graphs.
 */

/** One import: `from` imports `to` (paths relative to the repository, e.g. `src/feed/feed.ts`). */
export interface ImportEdge {
  from: string;
  to: string;
  /** `import type …` only: erased at compile time, but it still couples the two files. */
  typeOnly: boolean;
}

/**
 * The part of `src/` a file belongs to: its top-level folder (`src/feed/five11/x.ts` →
 * `src/feed`), or the file itself when it sits in `src/` (`src/main.ts`).
 */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : file;
}

/** Strongly connected components (Tarjan), each sorted; only those that hold a cycle. */
function cyclicComponents(adjacency: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of adjacency.get(v) ?? []) {
      if (!index.has(w)) visit(w);
      if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || adjacency.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of [...adjacency.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/**
 * Every elementary cycle of a directed graph, each written from its smallest node and back
 * to it (`a → b → a`), sorted. The search runs inside strongly connected components only,
 * so an acyclic graph of any size costs one pass.
 */
export function cycles(edges: Iterable<readonly [string, string]>): string[] {
  const adjacency = new Map<string, Set<string>>();
  for (const [from, to] of edges) {
    if (!adjacency.has(from)) adjacency.set(from, new Set());
    adjacency.get(from)!.add(to);
  }
  const out: string[] = [];
  for (const component of cyclicComponents(adjacency)) {
    const members = new Set(component);
    for (const start of component) {
      // A cycle is reported once: from its smallest node, through larger ones only.
      const walk = (node: string, path: string[]): void => {
        for (const next of [...(adjacency.get(node) ?? [])].sort()) {
          if (next === start) out.push([...path, start].join(' → '));
          else if (members.has(next) && next > start && !path.includes(next)) walk(next, [...path, next]);
        }
      };
      walk(start, [start]);
    }
  }
  return out.sort();
}

/** Cycles between files. */
export function moduleCycles(edges: readonly ImportEdge[]): string[] {
  return cycles(edges.map((e) => [e.from, e.to] as const));
}

/** Cycles between the folders of `src/` ({@link folderOf}); imports inside one folder do not count. */
export function folderCycles(edges: readonly ImportEdge[]): string[] {
  const between = edges.map((e) => [folderOf(e.from), folderOf(e.to)] as const).filter(([a, b]) => a !== b);
  return cycles(between);
}

/** The imports that make up the folder step `from → to` of a cycle, to say what to change. */
export function importsBetween(edges: readonly ImportEdge[], fromFolder: string, toFolder: string): string[] {
  return edges
    .filter((e) => folderOf(e.from) === fromFolder && folderOf(e.to) === toFolder)
    .map((e) => `${e.from} → ${e.to}${e.typeOnly ? ' (type only)' : ''}`);
}

/**
 * What is wrong with the cycles found against an allow-list that may only shrink: a cycle
 * not on the list, a listed cycle that no longer exists (take it off), and a listed cycle
 * that passes through none of the folders the list is for.
 */
export function allowListProblems(found: readonly string[], allowed: readonly string[], allowedFolders: readonly string[]): string[] {
  const problems: string[] = [];
  for (const cycle of found) if (!allowed.includes(cycle)) problems.push(`new cycle: ${cycle}`);
  for (const cycle of allowed) {
    if (!found.includes(cycle)) problems.push(`allow-listed cycle is gone, take it off the list: ${cycle}`);
    if (!cycle.split(' → ').some((folder) => allowedFolders.includes(folder))) {
      problems.push(`allow-listed cycle passes through none of ${allowedFolders.join(', ')}: ${cycle}`);
    }
  }
  return problems;
}
