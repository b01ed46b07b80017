/**
 * Reads a Dockerfile into stages of instructions (continuations joined, comments and parser
 * directives dropped), with the pieces the parity test compares: ENV, CMD, USER, EXPOSE,
 * HEALTHCHECK and STOPSIGNAL of the final stage.
 */

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

export function parseDockerfile(source: string): Stage[] {
  const stages: Stage[] = [];
  const lines = source.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i]!;
    const start = i + 1;
    if (/^\s*#/.test(text) || !text.trim()) continue;
    while (/\\\s*$/.test(text) && i + 1 < lines.length) {
      text = text.replace(/\\\s*$/, ' ');
      i += 1;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue; // comments inside a continuation are dropped
      text += next.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(text);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot read ${text}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`Dockerfile line ${start}: bad FROM ${args}`);
      stages.push({ from: f[1]!, name: f[2] ?? null, instructions: [] });
      continue;
    }
    if (stages.length === 0) {
      if (op === 'ARG') continue;
      throw new Error(`Dockerfile line ${start}: ${op} before FROM`);
    }
    stages[stages.length - 1]!.instructions.push({ op, args, line: start });
  }
  return stages;
}

/** Splits `k=v k2="v 2"` (or the legacy `k v`) into a record. */
export function parseEnvArgs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const m = /^(\S+)\s+(.*)$/.exec(args);
    if (m) out[m[1]!] = m[2]!;
    return out;
  }
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))\s*/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(args))) {
    out[m[1]!] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] !== undefined ? m[4] : m[5]!;
    end = re.lastIndex;
  }
  if (end !== args.length) throw new Error(`cannot read ENV ${args}`);
  return out;
}

/** The exec form `["a", "b"]`; throws on the shell form (signals would not reach node). */
export function execForm(args: string): string[] {
  const v = JSON.parse(args) as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return v;
}

export interface FinalStage {
  stages: Stage[];
  final: Stage;
  env: Record<string, string>;
  cmd: string[] | null;
  user: string | null;
  expose: string[];
  healthcheck: string | null;
  stopsignal: string | null;
  run: string[];
}

export function finalStage(source: string): FinalStage {
  const stages = parseDockerfile(source);
  const final = stages[stages.length - 1]!;
  const of = (op: string) => final.instructions.filter((x) => x.op === op);
  const last = (op: string) => of(op).at(-1)?.args ?? null;
  const env: Record<string, string> = {};
  for (const e of of('ENV')) Object.assign(env, parseEnvArgs(e.args));
  const cmd = last('CMD');
  return {
    stages,
    final,
    env,
    cmd: cmd === null ? null : execForm(cmd),
    user: last('USER'),
    expose: of('EXPOSE').flatMap((e) => e.args.split(/\s+/)),
    healthcheck: last('HEALTHCHECK'),
    stopsignal: last('STOPSIGNAL'),
    run: stages.flatMap((s) => s.instructions.filter((x) => x.op === 'RUN').map((x) => x.args)),
  };
}
