/**
 * A preload for tests (`NODE_OPTIONS=--import …/module-recorder.ts`, env MODULES_DIR): records
 * the URL of every module this process resolves, by import or by require (Node's synchronous
 * module hooks), and writes them to `<MODULES_DIR>/modules-<pid>.json` when the process exits.
 * Lets a test see which packages each process of the production command loaded.
 */
import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import path from 'node:path';

const dir = process.env.MODULES_DIR;

if (dir) {
  const urls = new Set<string>();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      urls.add(resolved.url);
      return resolved;
    },
  });
  process.on('exit', () => {
    writeFileSync(path.join(dir, `modules-${process.pid}.json`), JSON.stringify({ pid: process.pid, worker: cluster.isWorker, urls: [...urls] }));
  });
}
