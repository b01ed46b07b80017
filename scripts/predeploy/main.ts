#!/usr/bin/env node
/**
 * `npm run predeploy`: builds (npm does), then runs the exact production command with the
 * production settings on 127.0.0.1, soaks it like browsers would and prints PASS or FAIL
 * with each named cause. Writes a JSON summary and a self-contained HTML report.
 * Exit code: 0 PASS, 1 FAIL, 2 usage or harness error. See the README, "Before you deploy".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { USAGE, UsageError, parseOptions } from './options.ts';
import { signalChildren } from './children.ts';
import { Progress } from './progress.ts';
import { renderReport } from './report-html.ts';
import { runPredeploy } from './run.ts';
import { verdictText } from './summary.ts';

function write(file: string, text: string): string {
  const abs = path.resolve(process.cwd(), file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') ? rel : abs;
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`predeploy: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    process.stderr.write(`predeploy: needs Node 24 (this is ${process.versions.node}); run it through npm (npm run predeploy) or node_modules/.bin/node\n`);
    return 2;
  }
  const progress = new Progress(process.stdout);
  const summary = await runPredeploy(opts, process.env, progress);
  const json = write(opts.jsonPath, `${JSON.stringify(summary, null, 2)}\n`);
  const html = write(opts.htmlPath, renderReport(summary));
  process.stdout.write(`${verdictText(summary)}\n\nJSON summary: ${json}\nHTML report:  ${html}\n`);
  return summary.verdict === 'PASS' ? 0 : 1;
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`\npredeploy: ${sig}: stopping the service and HAProxy (again to force)\n`);
    signalChildren('SIGTERM');
    setTimeout(() => {
      signalChildren('SIGKILL');
      process.exit(130);
    }, 5_000).unref();
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`predeploy: harness error: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
