/**
 * One pre-deploy run: the production command with production settings on 127.0.0.1; the
 * split-write probe straight to its port; then, optionally behind HAProxy, behind the
 * counting proxy, the soak; then teardown in order (clients, scraper, proxies, service) and
 * the summary.
 */
import { hangDeadlineMs, startCountingProxy, type CountingProxy } from './counting-proxy.ts';
import { startHaproxy, type Haproxy } from './haproxy.ts';
import type { Options } from './options.ts';
import { ROOT, childEnv, loadProduction, resolveCommand, serviceSettings, settingNames } from './production.ts';
import type { Progress } from './progress.ts';
import { startScraper, type Scraper } from './scraper.ts';
import { StartError, startService, type Service } from './service.ts';
import { runSoak, type SoakResult } from './soak.ts';
import { runSplitProbe, type SplitProbeResult } from './split-probe.ts';
import { assemble, type Summary } from './summary.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runPredeploy(opts: Options, caller: Record<string, string | undefined>, progress: Progress): Promise<Summary> {
  const startedAt = new Date();
  const prod = loadProduction();
  const env = childEnv(prod, caller, await settingNames());
  const settings = serviceSettings(env.settings);
  const { file, args } = resolveCommand(prod.command);
  const base = { opts, command: prod.command, settingsEnv: env.settings, callerOverrides: env.callerOverrides, settings, startedAt };
  const overrides = Object.entries(env.callerOverrides).map(([k, v]) => `${k}=${v}`).join(' ');
  progress.note(`pre-deploy: ${prod.command.join(' ')} with deploy/production.json${overrides ? ` + ${overrides}` : ''} on 127.0.0.1`);

  let service: Service;
  try {
    service = await startService({ file, args, cwd: ROOT, env: env.env });
  } catch (e) {
    const err = e instanceof StartError ? e : new StartError(String(e), null, '');
    const firstLine = err.stderr.split('\n').find((l) => l.trim()) ?? '';
    return assemble({ ...base, proxy: { kind: opts.proxy }, start: { error: `${err.message}${firstLine ? `: ${firstLine}` : ''}`, stderr: err.stderr } });
  }
  progress.note(`  service on 127.0.0.1:${service.port} (metrics :${service.metricsPort}), ${settings.workers} workers, sticky=${settings.sticky}`);

  let haproxy: Haproxy | undefined;
  let counting: CountingProxy | undefined;
  let scraper: Scraper | undefined;
  let soak: SoakResult | undefined;
  let shutdownCode: number | null | undefined;
  let proxy: Summary['proxy'] = { kind: opts.proxy };
  let probe: SplitProbeResult | { error: string } | undefined;
  try {
    // Before the soak (and its t0): the probe's recycles, if its handshakes spend a small
    // MAX_SESSIONS_PER_WORKER, are not the soak's; its hung connections are closed by then.
    try {
      probe = await runSplitProbe({ host: '127.0.0.1', port: service.port });
      const kinds = Object.entries(probe.byKind).map(([k, r]) => `${k} ${r.answered}/${r.sent}`).join(', ');
      progress.note(`  split-write probe: ${probe.answered}/${probe.total} answered within ${probe.timeoutMs} ms (${kinds})`);
    } catch (e) {
      probe = { error: (e as Error).message };
      progress.note(`  split-write probe failed to run: ${probe.error}`);
    }
    let target = { host: '127.0.0.1', port: service.port };
    if (opts.proxy === 'haproxy') {
      haproxy = await startHaproxy(service.port, { clientMs: opts.proxyTimeoutMs, serverMs: opts.proxyTimeoutMs, tunnelMs: opts.proxyTunnelTimeoutMs });
      target = { host: '127.0.0.1', port: haproxy.port };
      proxy = { kind: 'haproxy', version: haproxy.version, timeouts: haproxy.timeouts, config: haproxy.config };
      progress.note(`  ${haproxy.version.replace(/ - https.*/, '')} on ${haproxy.url} (timeout client/server ${opts.proxyTimeoutMs} ms, tunnel ${opts.proxyTunnelTimeoutMs} ms)`);
    }
    const t0 = Date.now();
    counting = await startCountingProxy(target, { t0, hangMs: hangDeadlineMs(settings.pingIntervalMs, settings.pingTimeoutMs) });
    scraper = startScraper(`http://127.0.0.1:${service.metricsPort}${prod.metrics.path}`, t0, opts.scrapeIntervalMs);
    soak = await runSoak({ opts, settings, service, proxy: counting, t0, progress });
  } finally {
    soak?.fleet.closeAll();
    await sleep(300);
    await scraper?.stop();
    await counting?.close();
    await haproxy?.stop();
    if (!soak?.crashed) {
      const stopAt = Date.now();
      shutdownCode = await service.stop(settings.gracefulTimeoutMs + 5_000);
      progress.note(`  service stopped (SIGTERM → exit code ${shutdownCode} in ${((Date.now() - stopAt) / 1000).toFixed(1)} s)`);
    }
  }
  return assemble({ ...base, proxy, service, counting, scraper, soak, probe, shutdownCode });
}
