/**
 * The agency a client asked for (`subscribe`'s `agency`, `/api/vehicles?agency=`), checked
 * against the server's `agencies`: absent = the first (null when there are none).
 */
export function pickAgency(asked: string | undefined, agencies: readonly string[]): { agency: string | null } | { error: string } {
  if (asked === undefined) return { agency: agencies[0] ?? null };
  if (agencies.includes(asked)) return { agency: asked };
  const known = agencies.length > 0 ? `this server serves ${agencies.join(', ')}` : 'this feed has no agencies to choose from; omit agency';
  return { error: `unknown agency ${JSON.stringify(asked.slice(0, 32))}: ${known}` };
}
