/**
 * The measured window as profile.ts marks it for its preloads: its first SIGWINCH opens the
 * window, its second closes it. The profiling preloads (window-profile.ts, alloc-profile.ts)
 * run their inspector commands on an in-process session between the two.
 */
import { Session } from 'node:inspector';

export function duringWindow(open: (session: Session) => void, close: (session: Session) => void): void {
  const session = new Session();
  session.connect();
  let signals = 0;
  process.on('SIGWINCH', () => {
    signals += 1;
    if (signals === 1) open(session);
    else if (signals === 2) close(session);
  });
}
