/**
 * The k6 scripts cannot run here (no k6) and import k6 modules, so: type-check them with
 * `tsc -p loadtest/tsconfig.json`, and read their text to check they share thresholds and metrics.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { routeFilterThresholds, sharedThresholds } from '../../loadtest/lib/thresholds.ts';

const root = new URL('../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');
const SCRIPTS = ['loadtest/polling-soak.ts', 'loadtest/websocket.ts', 'loadtest/mixed-routes.ts'];

describe('loadtest type-check', () => {
  it('tsc -p loadtest/tsconfig.json --noEmit exits 0', () => {
    const tsc = new URL('node_modules/.bin/tsc', root).pathname;
    const res = spawnSync(tsc, ['-p', 'loadtest/tsconfig.json', '--noEmit'], { cwd: new URL('.', root).pathname, encoding: 'utf8' });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  }, 120_000);
});

describe('thresholds', () => {
  it('thresholds.ts holds the shared criteria', () => {
    const text = read('loadtest/lib/thresholds.ts');
    expect(text).toContain("polling_unexpected_400_rate: ['rate<0.05']");
    expect(text).toContain("'polling_errors{cause:misrouted}': ['count==0']");
    // No threshold counts every polling 400 any more (ended sessions are expected).
    expect(Object.keys(sharedThresholds)).not.toContain('polling_400_rate');
    expect(text).toContain("connect_success: ['rate>0.99']");
    expect(text).toMatch(/update_latency: \['p\(95\)<\d+'\]/);
    expect(text).toContain("foreign_route_updates: ['count==0']");
    expect(text).toContain("subscribe_confirmed: ['rate>0.99']");
    expect(sharedThresholds.polling_unexpected_400_rate).toEqual(['rate<0.05']);
    expect(routeFilterThresholds.foreign_route_updates).toEqual(['count==0']);
    expect(text).not.toMatch(/from 'k6/);
  });

  it.each(SCRIPTS)('%s imports the shared thresholds and spreads them into options', (script) => {
    const text = read(script);
    expect(text).toMatch(/import \{[^}]*\bsharedThresholds\b[^}]*\} from '\.\/lib\/thresholds\.ts';/);
    const options = /export const options: Options = \{([\s\S]*?)\n\};/.exec(text)?.[1] ?? '';
    expect(options).toMatch(/thresholds: \{ \.\.\.sharedThresholds\b/);
    expect(options).toContain('scenarios: scenarios()');
    expect(text).toMatch(/export function setup\(\)/);
    expect(text).toMatch(/export function handleSummary\(/);
    expect(text).toMatch(/export default function/);
  });

  it('mixed-routes also enforces the route filter', () => {
    expect(read('loadtest/mixed-routes.ts')).toMatch(/thresholds: \{ \.\.\.sharedThresholds, \.\.\.routeFilterThresholds \}/);
  });

  it('every threshold names a metric declared in k6-metrics.ts', () => {
    const metrics = read('loadtest/lib/k6-metrics.ts');
    for (const key of Object.keys({ ...sharedThresholds, ...routeFilterThresholds })) {
      const name = key.replace(/\{.*\}$/, ''); // sub-metric thresholds: polling_errors{cause:misrouted}
      expect(metrics).toMatch(new RegExp(`new (Counter|Rate|Trend)\\('${name}'`));
    }
    expect(metrics).toMatch(/new Counter\('polling_ended_400s'\)/);
  });
});

describe('k6-free library', () => {
  it('engineio*.ts, socketio-codec.ts, node-driver.ts, profiles, summary, transit import no k6 module', () => {
    const pure = readdirSync(new URL('loadtest/lib/', root)).filter((f) => f.endsWith('.ts') && !f.startsWith('k6-'));
    expect(pure).toEqual(expect.arrayContaining(['engineio.ts', 'engineio-codec.ts', 'engineio-session.ts', 'engineio-classify.ts', 'node-driver.ts']));
    for (const f of pure) expect(read(`loadtest/lib/${f}`), f).not.toMatch(/from ['"]k6/);
  });

  it('relative imports in loadtest/ use real .ts extensions (k6 needs them) and files stay < 300 lines', () => {
    const files = [...SCRIPTS, ...readdirSync(new URL('loadtest/lib/', root)).map((f) => `loadtest/lib/${f}`)];
    for (const f of files.filter((x) => x.endsWith('.ts'))) {
      const text = read(f);
      for (const m of text.matchAll(/from '(\.[^']+)'/g)) expect(m[1], `${f}: ${m[1]}`).toMatch(/\.ts$/);
      expect(text.split('\n').length, f).toBeLessThan(300);
    }
  });
});
