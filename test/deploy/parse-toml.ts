/**
 * A minimal TOML reader for the subset fly.toml uses (no TOML package is a dependency):
 * `key = value` with basic strings, integers, floats, booleans and one-line arrays; tables
 * `[a.b]` and arrays of tables `[[a.b]]`; comments. Inline tables and multi-line values are
 * rejected rather than misread.
 */

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [k: string]: TomlValue;
}

function stripComment(s: string): string {
  let quote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' && s[i - 1] !== '\\') quote = !quote;
    else if (c === '#' && !quote) return s.slice(0, i);
  }
  return s;
}

function value(raw: string, no: number): TomlValue {
  const s = raw.trim();
  if (s.startsWith('"""') || s.startsWith("'''") || s.startsWith('{')) throw new Error(`line ${no}: unsupported TOML value ${s}`);
  if (s.startsWith('"')) return JSON.parse(s) as string;
  if (s.startsWith("'")) return s.slice(1, -1);
  if (s === 'true' || s === 'false') return s === 'true';
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new Error(`line ${no}: multi-line arrays are not supported`);
    const inner = s.slice(1, -1).trim();
    if (!inner) return [];
    const items: string[] = [];
    let cur = '';
    let quote = false;
    for (const c of inner) {
      if (c === '"') quote = !quote;
      if (c === ',' && !quote) {
        items.push(cur);
        cur = '';
      } else cur += c;
    }
    if (cur.trim()) items.push(cur);
    return items.map((x) => value(x, no));
  }
  const n = Number(s.replace(/_/g, ''));
  if (s !== '' && Number.isFinite(n)) return n;
  throw new Error(`line ${no}: cannot read value ${s}`);
}

function descend(root: TomlTable, path: string[], no: number): TomlTable {
  let t = root;
  for (const key of path) {
    const next = t[key];
    if (next === undefined) t = t[key] = {};
    else if (Array.isArray(next)) t = next[next.length - 1] as TomlTable;
    else if (typeof next === 'object') t = next;
    else throw new Error(`line ${no}: ${key} is not a table`);
  }
  return t;
}

export function parseToml(source: string): TomlTable {
  const root: TomlTable = {};
  let current = root;
  source.split(/\r?\n/).forEach((raw, i) => {
    const no = i + 1;
    const line = stripComment(raw).trim();
    if (!line) return;
    const arr = /^\[\[\s*([\w.-]+)\s*\]\]$/.exec(line);
    const tab = /^\[\s*([\w.-]+)\s*\]$/.exec(line);
    if (arr) {
      const path = arr[1]!.split('.');
      const parent = descend(root, path.slice(0, -1), no);
      const key = path[path.length - 1]!;
      const list = (parent[key] ??= []) as TomlValue[];
      if (!Array.isArray(list)) throw new Error(`line ${no}: ${key} is not an array of tables`);
      const t: TomlTable = {};
      list.push(t);
      current = t;
      return;
    }
    if (tab) {
      current = descend(root, tab[1]!.split('.'), no);
      return;
    }
    const kv = /^([\w-]+|"[^"]+")\s*=\s*(.+)$/.exec(line);
    if (!kv) throw new Error(`line ${no}: expected key = value, got ${line}`);
    const key = kv[1]!.replace(/^"|"$/g, '');
    if (key in current) throw new Error(`line ${no}: duplicate key ${key}`);
    current[key] = value(kv[2]!, no);
  });
  return root;
}
