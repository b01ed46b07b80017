import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const FILE = path.resolve(import.meta.dirname, '../../.test-results/figures.jsonl');

/**
 * Records a measured figure (400 rates, call counts, reconnect times) so a run's numbers
 * can be read back after CI: one JSON line per figure in `.test-results/figures.jsonl`,
 * and a line on stdout.
 */
export function recordFigure(test: string, figures: Record<string, unknown>): void {
  mkdirSync(path.dirname(FILE), { recursive: true });
  appendFileSync(FILE, `${JSON.stringify({ test, at: new Date().toISOString(), ...figures })}\n`);
  process.stdout.write(`[figure] ${test}: ${JSON.stringify(figures)}\n`);
}
