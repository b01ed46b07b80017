/** The absolute path of executable `name` (PATH, then /usr/local/sbin, /usr/sbin, /sbin), or null. */
export function findCommand(name: string): string | null;
