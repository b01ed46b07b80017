import type { RawAnswer } from '../support/raw-http.js';
import type { Outcome } from './request.js';
import { parseEngineIoError } from '../../loadtest/lib/engineio.ts';

/**
 * Names who refused a request and why, from the answer alone: the router's plain-text
 * detail, an Engine.IO error code, Nest's JSON error, or the status of a body-less answer
 * (Node's own HTTP parser). No answer (a silent close, a hang) and 2xx/3xx/5xx are failures.
 */
export function refusalOf(a: Outcome): { reason: string } | { failure: string } {
  if (a === 'closed') return { failure: 'connection closed without an answer' };
  if (a === 'timeout') return { failure: 'no answer within the timeout (hang)' };
  if (a.status >= 500) return { failure: `server error ${a.status}: ${a.body.slice(0, 120)}` };
  if (a.status < 400) return { failure: `accepted with ${a.status}` };
  if (/\n\s+at \S+/.test(a.body)) return { failure: `stack trace in the body: ${a.body.slice(0, 200)}` };
  return { reason: `${a.status} ${sourceOf(a)}` };
}

function sourceOf(a: RawAnswer): string {
  const type = a.headers['content-type'] ?? '';
  const eio = parseEngineIoError(a.body);
  if (eio) return `engine.io code ${eio.code} ${eio.message}`;
  if (type.startsWith('application/json')) {
    try {
      const j = JSON.parse(a.body) as { error?: string; message?: unknown };
      return `json ${j.error ?? ''}`.trim();
    } catch {
      return 'json (unparsable)';
    }
  }
  if (a.body.trim() === '') return '(empty body)';
  // Plain-text answers carry a one-line detail (the router's, the session guard's).
  const line = a.body.trim().split('\n')[0]!;
  return line.length > 50 ? `${line.slice(0, 50)}…` : line;
}
