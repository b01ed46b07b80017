/** Just enough PromQL lexing for the specs: which metric names and labels an expression uses. */

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

function stripStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/** Metric (and recording rule) names referenced by `expr`. */
export function metricNamesIn(expr: string): string[] {
  const s = stripStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![0-9.A-Za-z_:])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:]|\s*\()/g)) {
    const name = m[1]!;
    if (!KEYWORDS.has(name) && !/^(inf|nan)$/i.test(name)) names.add(name);
  }
  return [...names];
}

/** Label names used by `expr` in grouping clauses and label matchers. */
export function labelNamesIn(expr: string): string[] {
  const s = stripStrings(expr);
  const labels = new Set<string>();
  for (const m of s.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    for (const l of m[1]!.split(',').map((x) => x.trim())) if (l) labels.add(l);
  }
  for (const m of s.matchAll(/\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(',')) {
      const l = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/.exec(part);
      if (l) labels.add(l[1]!);
    }
  }
  return [...labels];
}
