import type { ImportEdge } from './graph-cycles.js';

/** A src file no spec imports, and the end-to-end specs that exercise it instead. */
export interface E2eCovered {
  file: string;
  /**
   * The specs (under test/) whose assertions depend on this file's behaviour; `'none'`,
   * said on purpose, for a file no test exercises (then `why` says what it is).
   */
  e2e: readonly string[] | 'none';
  /** Why it has no unit spec of its own. */
  why: string;
}

/**
 * The files each spec imports directly, for value (an `import type` runs none of the file's
 * code, so it covers nothing): spec → imported files.
 */
export function specImports(edges: readonly ImportEdge[], isSpec: (file: string) => boolean): Map<string, Set<string>> {
  const bySpec = new Map<string, Set<string>>();
  for (const { from, to, typeOnly } of edges) {
    if (typeOnly || !isSpec(from)) continue;
    if (!bySpec.has(to)) bySpec.set(to, new Set());
    bySpec.get(to)!.add(from);
  }
  return bySpec;
}

export interface CoverageInput {
  /** The files that must be covered (src/ without specs). */
  files: readonly string[];
  /** File → the specs importing it ({@link specImports}). */
  importedBy: ReadonlyMap<string, ReadonlySet<string>>;
  /** The checked-in list of files covered by end-to-end specs only. */
  listed: readonly E2eCovered[];
  /** Whether a path names an existing end-to-end spec. */
  isE2eSpec: (path: string) => boolean;
}

/**
 * What is wrong with the coverage map, one line per problem: a file neither imported by a
 * spec nor listed; and a list that is not honest (a listed file gone, now imported by a spec,
 * listed twice, without a reason, or naming no existing e2e spec).
 */
export function coverageProblems({ files, importedBy, listed, isE2eSpec }: CoverageInput): string[] {
  const problems: string[] = [];
  const present = new Set(files);
  const seen = new Set<string>();
  for (const entry of listed) {
    if (seen.has(entry.file)) problems.push(`${entry.file}: listed twice`);
    seen.add(entry.file);
    const specs = importedBy.get(entry.file);
    if (!present.has(entry.file)) problems.push(`${entry.file}: listed, but there is no such file (moved? update the list)`);
    else if (specs) problems.push(`${entry.file}: listed, but ${[...specs].sort().join(', ')} imports it: take it off the list`);
    if (entry.why.trim() === '') problems.push(`${entry.file}: listed without saying why it has no unit spec`);
    if (entry.e2e.length === 0) problems.push(`${entry.file}: listed without the e2e spec that exercises it (or 'none')`);
    if (entry.e2e !== 'none') for (const spec of entry.e2e) if (!isE2eSpec(spec)) problems.push(`${entry.file}: ${spec} is not an e2e spec`);
  }
  for (const file of files) {
    if (!importedBy.has(file) && !seen.has(file)) {
      problems.push(`${file}: no spec imports it and it is not listed: write a spec beside it, or list the e2e that covers it and why`);
    }
  }
  return problems;
}
