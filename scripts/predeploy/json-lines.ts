import type { Readable } from 'node:stream';

/**
 * Reads a child's stdout as JSON log lines (the service logs one object per line):
 * `onObject` gets each parsed line, `onText` every line that is not JSON.
 */
export function readJsonLines(stream: Readable, onObject: (line: Record<string, unknown>) => void, onText: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        onText(text);
        continue;
      }
      onObject(parsed);
    }
  });
}
