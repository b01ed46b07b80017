// Where a command from a Debian package lives: the PATH first, then the sbin folders a
// non-root PATH often lacks (Debian puts daemons such as haproxy in /usr/sbin). Plain
// JavaScript so that check-runtime.mjs can use it on any Node; the harness and the tests
// import it too (types in system-command.d.mts).
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of executable `name`, or null when it is not installed. */
export function findCommand(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...SBIN].filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return null;
}
