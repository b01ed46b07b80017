/**
 * A minimal YAML reader for the subset docker-compose.yml uses (no YAML package is a
 * dependency): block mappings and sequences by indentation, `- item` and `- key: value`
 * entries, flow sequences `["a", "b"]`, single/double-quoted and plain scalars, comments.
 * Anchors, multi-line strings and flow mappings are rejected rather than misread.
 */

export type YamlValue = string | YamlValue[] | { [k: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  no: number;
}

function stripComment(s: string): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  return s;
}

export function scalar(raw: string, no = 0): YamlValue {
  const s = raw.trim();
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Error(`line ${no}: unterminated string ${s}`);
    return JSON.parse(s) as string;
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`line ${no}: unterminated string ${s}`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new Error(`line ${no}: multi-line flow sequences are not supported`);
    const inner = s.slice(1, -1).trim();
    if (!inner) return [];
    return splitFlow(inner).map((x) => scalar(x, no));
  }
  if (/^[{&*|>!]/.test(s)) throw new Error(`line ${no}: unsupported YAML: ${s}`);
  return s;
}

function splitFlow(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const c of s) {
    if (quote) {
      cur += c;
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** `key: value` → [key, value text] (value may be empty); null if the line is not a mapping entry. */
function splitKey(text: string): [string, string] | null {
  const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"'#][^:]*?)\s*:(?:\s+(.*)|$)/.exec(text);
  if (!m) return null;
  const key = scalar(m[1]!) as string;
  return [key, (m[2] ?? '').trim()];
}

export function parseYaml(source: string): YamlValue {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    const text = stripComment(raw).replace(/\s+$/, '');
    if (!text.trim() || text.trim() === '---') return;
    if (/\t/.test(raw.slice(0, raw.length - raw.trimStart().length))) throw new Error(`line ${i + 1}: tabs in indentation`);
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), no: i + 1 });
  });
  let pos = 0;

  function block(indent: number): YamlValue {
    const first = lines[pos];
    if (!first || first.indent < indent) return '';
    return first.text.startsWith('- ') || first.text === '-' ? sequence(first.indent) : mapping(first.indent);
  }

  function sequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && (lines[pos]!.text.startsWith('- ') || lines[pos]!.text === '-')) {
      const line = lines[pos]!;
      const rest = line.text.slice(1).trim();
      pos += 1;
      if (!rest) out.push(block(indent + 1));
      else if (splitKey(rest) && !/^["']/.test(rest)) {
        // "- key: value" opens a mapping whose further keys sit at the item's indentation.
        lines.splice(pos, 0, { indent: indent + 2, text: rest, no: line.no });
        out.push(mapping(indent + 2));
      } else out.push(scalar(rest, line.no));
    }
    return out;
  }

  function mapping(indent: number): { [k: string]: YamlValue } {
    const out: { [k: string]: YamlValue } = {};
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const line = lines[pos]!;
      const kv = splitKey(line.text);
      if (!kv) throw new Error(`line ${line.no}: expected "key: value", got ${line.text}`);
      if (kv[0] in out) throw new Error(`line ${line.no}: duplicate key ${kv[0]}`);
      pos += 1;
      if (kv[1]) out[kv[0]] = scalar(kv[1], line.no);
      else {
        const next = lines[pos];
        // A sequence may sit at the same indentation as its key (compose style).
        if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) out[kv[0]] = block(next.indent);
        else out[kv[0]] = '';
      }
    }
    if (pos < lines.length && lines[pos]!.indent > indent) throw new Error(`line ${lines[pos]!.no}: bad indentation`);
    return out;
  }

  const doc = block(0);
  if (pos !== lines.length) throw new Error(`line ${lines[pos]!.no}: unexpected ${lines[pos]!.text}`);
  return doc;
}
