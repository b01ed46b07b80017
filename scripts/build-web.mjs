#!/usr/bin/env node
// Builds the browser app (src/web/client) into dist/public/:
//   dist/public/index.html                 rewritten from src/web/client/index.html
//   dist/public/assets/main-[hash].js      ESM bundle (minified, target es2022) + .map
//   dist/public/assets/main-[hash].css     Leaflet's CSS + ours (+ .map)
//   dist/public/assets/[name]-[hash].*     images referenced by the CSS, the favicon
//   dist/public/manifest.json              the hashed names
// Idempotent: the same sources give byte-identical output. New files are written before old
// hashed files are removed, and index.html/manifest.json are replaced atomically, so a server
// serving dist/public during a rebuild never references a missing file.
// Usage: node scripts/build-web.mjs   (exit code 1 with a message on failure)

import { createHash } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'src/web/client');
const outDir = path.join(root, 'dist/public');
const assetsDir = path.join(outDir, 'assets');
const PUBLIC_PREFIX = '/';

class BuildError extends Error {}

const toPosix = (p) => p.split(path.sep).join('/');
const shortHash = (buf) => createHash('sha256').update(buf).digest('base64url').replace(/[-_]/g, '').slice(0, 10).toUpperCase();
const sri = (buf) => `sha384-${createHash('sha384').update(buf).digest('base64')}`;

async function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, contents);
  await rename(tmp, file);
}

async function bundle() {
  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: { main: path.join(srcDir, 'main.ts') },
      tsconfig: path.join(srcDir, 'tsconfig.json'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      sourcemap: 'linked',
      outdir: outDir,
      entryNames: 'assets/[name]-[hash]',
      assetNames: 'assets/[name]-[hash]',
      chunkNames: 'assets/[name]-[hash]',
      loader: { '.png': 'file', '.svg': 'file', '.gif': 'file', '.woff2': 'file' },
      define: { 'process.env.NODE_ENV': '"production"' },
      legalComments: 'eof',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
  } catch (err) {
    const messages = err?.errors?.length
      ? (await esbuild.formatMessages(err.errors, { kind: 'error', color: process.stderr.isTTY })).join('\n')
      : String(err?.message ?? err);
    throw new BuildError(`esbuild failed:\n${messages}`);
  }
  if (result.warnings.length > 0) {
    const text = await esbuild.formatMessages(result.warnings, { kind: 'warning', color: process.stderr.isTTY });
    process.stderr.write(text.join('\n'));
  }
  return result;
}

function rewriteHtml(html, refs) {
  let out = html;
  for (const [attr, from, to] of refs) {
    const needle = `${attr}="${from}"`;
    const count = out.split(needle).length - 1;
    if (count !== 1) {
      throw new BuildError(`src/web/client/index.html must contain ${needle} exactly once (found ${count})`);
    }
    out = out.replace(needle, `${attr}="${to}"`);
  }
  // Drop the build-time comment about these references.
  return out.replace(/\s*<!-- build-web\.mjs rewrites[^>]*-->/, '');
}

async function main() {
  const started = performance.now();
  for (const f of ['main.ts', 'index.html', 'favicon.svg', 'tsconfig.json']) {
    try {
      await access(path.join(srcDir, f));
    } catch {
      throw new BuildError(`missing source file src/web/client/${f}`);
    }
  }
  const result = await bundle();

  // What esbuild produced, keyed by path relative to dist/public.
  const files = new Map();
  for (const f of result.outputFiles) files.set(toPosix(path.relative(outDir, f.path)), Buffer.from(f.contents));

  const outputs = Object.entries(result.metafile.outputs).map(([p, meta]) => [toPosix(path.relative(outDir, path.resolve(root, p))), meta]);
  const entry = outputs.find(([, meta]) => meta.entryPoint !== undefined && meta.entryPoint.endsWith('main.ts'));
  if (!entry) throw new BuildError('esbuild produced no output for src/web/client/main.ts');
  const [jsFile, jsMeta] = entry;
  const cssFile = jsMeta.cssBundle ? toPosix(path.relative(outDir, path.resolve(root, jsMeta.cssBundle))) : null;
  if (!cssFile || !files.has(cssFile)) throw new BuildError('esbuild produced no CSS bundle (main.ts must import the stylesheets)');

  // The favicon is not imported by code: copy it with a content hash.
  const favicon = await readFile(path.join(srcDir, 'favicon.svg'));
  const faviconFile = `assets/favicon-${shortHash(favicon)}.svg`;
  files.set(faviconFile, favicon);

  const url = (p) => `${PUBLIC_PREFIX}${p}`;
  const sourceHtml = await readFile(path.join(srcDir, 'index.html'), 'utf8');
  const html = rewriteHtml(sourceHtml, [
    ['href', './styles.css', url(cssFile)],
    ['src', './main.ts', url(jsFile)],
    ['href', './favicon.svg', url(faviconFile)],
  ]);

  const assets = [...files.keys()].filter((p) => p.startsWith('assets/')).sort();
  const manifest = {
    // Entry files referenced by index.html (paths relative to dist/public; served under `/`).
    'main.js': jsFile,
    'main.css': cssFile,
    'favicon.svg': faviconFile,
    integrity: {
      [jsFile]: sri(files.get(jsFile)),
      [cssFile]: sri(files.get(cssFile)),
    },
    // Everything under assets/: content-hashed, safe to cache as immutable.
    assets,
  };

  // 1. New hashed files first (a running server keeps serving the old index meanwhile).
  await mkdir(assetsDir, { recursive: true });
  for (const [rel, contents] of files) {
    const dest = path.join(outDir, rel);
    await mkdir(path.dirname(dest), { recursive: true });
    await writeAtomic(dest, contents);
  }
  // 2. Then the files that name them.
  await writeAtomic(path.join(outDir, 'index.html'), html);
  await writeAtomic(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // 3. Then remove hashed files of earlier builds (and stray temp files).
  const keep = new Set(assets);
  let removed = 0;
  for (const name of await readdir(assetsDir)) {
    if (!keep.has(`assets/${name}`)) {
      await rm(path.join(assetsDir, name), { recursive: true, force: true });
      removed++;
    }
  }

  const size = (p) => `${(files.get(p).length / 1024).toFixed(1)} KiB`;
  console.log(
    `build-web: dist/public/index.html -> ${jsFile} (${size(jsFile)}), ${cssFile} (${size(cssFile)}); ` +
      `${assets.length} assets${removed ? `, removed ${removed} stale` : ''} in ${Math.round(performance.now() - started)} ms`,
  );
}

main().catch((err) => {
  const message = err instanceof BuildError ? err.message : (err?.stack ?? String(err));
  console.error(`build-web: FAILED — ${message}`);
  process.exit(1);
});
