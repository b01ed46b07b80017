/**
 * The self-contained HTML report: verdict, causes and warnings, key figures, charts over time
 * (inline SVG), events, lost sessions and the settings the run used. No script, no CDN.
 */
import type { Summary } from './summary.ts';
import { esc, lineChart, type ChartMarker } from './svg-chart.ts';

const COLORS = { blue: '#2563eb', green: '#16a34a', orange: '#ea580c', amber: '#d97706', purple: '#7c3aed', red: '#dc2626', grey: '#6b7280', teal: '#0d9488' };

function tile(label: string, value: string, bad = false): string {
  return `<div class="tile${bad ? ' bad' : ''}"><div class="v">${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
}

const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);

export function renderReport(s: Summary): string {
  const f = s.figures;
  const xMax = f.durationMs / 1000;
  const markers: ChartMarker[] = s.events
    .filter((e) => e.kind === 'recycle' || e.kind === 'kill')
    .map((e) => ({ x: e.t / 1000, label: e.label, color: e.kind === 'kill' ? COLORS.red : COLORS.amber, short: e.kind === 'kill' ? 'kill' : 'recycle' }));
  const pts = <K extends keyof Summary['series'][number]>(k: K) => s.series.map((p): [number, number | null] => [p.t, p[k] as number | null]);
  const charts = [
    lineChart({
      title: 'Polling 400 rate (independent count; ended sessions apart)',
      unit: '% of polls',
      xMax,
      markers,
      threshold: { y: s.options.max400Rate * 100, label: `${s.options.max400Rate * 100} % fails` },
      series: [
        { name: '400 rate (misrouted, unknown, other)', color: COLORS.red, points: pts('rate400Pct') },
        { name: 'ended sessions (expected, not counted)', color: COLORS.grey, points: pts('ended400Pct'), dashed: true },
      ],
    }),
    lineChart({
      title: 'Connections',
      unit: 'connections',
      xMax,
      markers,
      series: [
        { name: 'clients connected', color: COLORS.blue, points: pts('connectedClients') },
        { name: 'service: polling', color: COLORS.teal, points: pts('connectionsPolling'), dashed: true },
        { name: 'service: websocket', color: COLORS.purple, points: pts('connectionsWebsocket'), dashed: true },
      ],
    }),
    lineChart({
      title: 'Reconnects (cumulative)',
      unit: 'reconnects',
      xMax,
      markers,
      series: [
        { name: 'clients', color: COLORS.blue, points: pts('reconnectsClient') },
        { name: 'service counted', color: COLORS.grey, points: pts('reconnectsServer'), dashed: true },
      ],
    }),
    lineChart({
      title: 'Update latency (receive time − delta.generatedAt)',
      unit: 'ms',
      xMax,
      markers,
      threshold: { y: s.options.maxLatencyP95Ms, label: `p95 limit ${s.options.maxLatencyP95Ms} ms` },
      series: [
        { name: 'p50', color: COLORS.green, points: pts('latencyP50'), dots: true },
        { name: 'p95', color: COLORS.orange, points: pts('latencyP95'), dots: true },
      ],
    }),
    lineChart({ title: 'Upstream calls (cumulative, the service’s counter)', unit: 'calls', xMax, markers, series: [{ name: 'upstream calls', color: COLORS.teal, points: pts('upstreamCalls') }] }),
  ];
  const l = f.updateLatencyMs;
  const su = f.sessionUnknown;
  const q = f.requests;
  const lost = q.hung + q.closed + q.handshakesHung;
  const probe = f.splitProbe;
  const byCause = (c: { misrouted: number; ended: number; unknown: number }) => `misrouted ${c.misrouted} · unknown ${c.unknown} · ended ${c.ended}`;
  const tiles = [
    tile('clients (+ reloads)', `${f.clients.planned} (+${f.clients.reloads})`),
    tile('polls', String(f.polls)),
    tile('400 answers (ended sessions apart)', `${f.bad400} (${f.rate400Pct} %)`, f.bad400 > 0),
    tile('400s for ended sessions (expected)', String(su.polling.ended + su.websocket.ended)),
    tile('requests lost or hung', `${lost} of ${q.forwarded + q.handshakes}`, lost > 0),
    tile('split-write probe answered', probe === null ? '–' : 'error' in probe ? 'did not run' : `${probe.answered}/${probe.total}`, probe !== null && !('error' in probe) && probe.lost > 0),
    tile('reconnects', String(f.reconnects.client)),
    tile('recycles (triggered)', `${f.recycles.total} (${f.recycles.triggered})`),
    tile('worker kills', f.kill ? `1 (worker ${f.kill.worker})` : '0'),
    tile('update latency p50 / p95 / p99', `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)}`),
    tile('upstream calls', String(f.upstreamCalls ?? '–')),
    tile('connected at end', `${f.clients.connectedAtEnd}/${f.clients.liveAtEnd}`, f.clients.connectedAtEnd < f.clients.liveAtEnd),
  ];
  const lossRows = (['recycle', 'kill', 'other'] as const)
    .map((k) => {
      const x = f.losses[k];
      const reasons = Object.entries(x.byReason).map(([r, n]) => `${r} × ${n}`).join(', ');
      return `<tr><td>${k}</td><td>${x.count}</td><td class="${x.notBack ? 'badtext' : ''}">${x.notBack}</td><td>${ms(x.medianBackMs)}</td><td>${ms(x.maxBackMs)}</td><td>${esc(reasons || '–')}</td></tr>`;
    })
    .join('');
  const events = s.events.map((e) => `<tr><td>${(e.t / 1000).toFixed(1)} s</td><td>${esc(e.kind)}</td><td>${esc(e.label)}</td></tr>`).join('');
  const settings = Object.entries(s.settings)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `<tr${k in s.callerOverrides ? ' class="override"' : ''}><td>${esc(k)}</td><td>${esc(v)}</td></tr>`)
    .join('');
  const findings = [
    ...s.causes.map((c) => `<li class="cause"><b>✗ ${esc(c.title)}</b><br><span>${esc(c.detail)}</span></li>`),
    ...s.warnings.map((w) => `<li class="warn"><b>! ${esc(w.title)}</b>${w.detail ? `<br><span>${esc(w.detail)}</span>` : ''}</li>`),
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pre-deploy report — ${s.verdict}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;color:#1f2937;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.verdict{padding:14px 18px;border-radius:8px;font-size:20px;font-weight:700;color:#fff;margin:12px 0}
.PASS{background:#15803d}.FAIL{background:#b91c1c}
.meta{color:#555}.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px}
.tile{border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px}.tile .v{font-size:18px;font-weight:600}.tile .l{color:#666;font-size:12px}
.tile.bad{border-color:#dc2626;background:#fef2f2}ul.findings{list-style:none;padding:0}
ul.findings li{padding:8px 12px;border-radius:6px;margin:6px 0}li.cause{background:#fef2f2;border-left:4px solid #dc2626}
li.warn{background:#fffbeb;border-left:4px solid #d97706}li span{color:#444}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
tr.override td{background:#eff6ff;font-weight:600}.badtext{color:#b91c1c;font-weight:700}
.chart{border:1px solid #e5e7eb;border-radius:8px;margin:10px 0;padding:4px}.legend{color:#555;font-size:12px}
pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px}
</style></head><body>
<h1>Transit Tracker — pre-deploy report</h1>
<div class="meta">${esc(s.startedAt)} · ${Math.round(f.durationMs / 1000)} s soak · <code>${esc(s.command.join(' '))}</code> · proxy: ${esc(s.proxy.kind)}${s.proxy.timeouts ? ` (timeout client ${s.proxy.timeouts.clientMs} ms, server ${s.proxy.timeouts.serverMs} ms, tunnel ${s.proxy.timeouts.tunnelMs} ms)` : ''}</div>
<div class="verdict ${s.verdict}">${s.verdict}${s.causes.length ? ` — ${s.causes.length} cause${s.causes.length > 1 ? 's' : ''}` : ''}${s.warnings.length ? ` · ${s.warnings.length} warning${s.warnings.length > 1 ? 's' : ''}` : ''}</div>
${findings ? `<ul class="findings">${findings}</ul>` : '<p>No cause and no warning.</p>'}
<h2>Key figures</h2><div class="tiles">${tiles.join('')}</div>
<h2>Over time</h2><p class="legend">Dashed vertical lines: <span style="color:${COLORS.amber}">worker recycles</span>, <span style="color:${COLORS.red}">the worker kill</span>.</p>
${charts.map((c) => `<div class="chart">${c}</div>`).join('\n')}
<h2>Lost sessions</h2>
<table><tr><th>cause</th><th>lost</th><th>not back within ${s.options.reconnectWithinMs} ms</th><th>median back</th><th>max back</th><th>reasons</th></tr>${lossRows}</table>
<h2>Events</h2><table><tr><th>time</th><th>kind</th><th>what</th></tr>${events || '<tr><td colspan="3">none</td></tr>'}</table>
<h2>Polling answers</h2><p>${esc(Object.entries(f.pollStatus).map(([k, v]) => `${k}: ${v}`).join(' · ') || 'none')} — classes: ${esc(Object.entries(f.pollClasses).map(([k, v]) => `${k}: ${v}`).join(' · ') || 'none')} — websocket upgrades: ${esc(Object.entries(f.websocketUpgrades).map(([k, v]) => `${k}: ${v}`).join(' · ') || 'none')}</p>
<p>400 "Session ID unknown" by <code>x-transit-session</code> — polling: ${esc(byCause(su.polling))} — websocket: ${esc(byCause(su.websocket))}${su.unlabelled.polling + su.unlabelled.websocket ? ` — without the header (counted as unknown): ${su.unlabelled.polling} polling, ${su.unlabelled.websocket} websocket` : ''} — the service counted: ${esc(su.server ? byCause(su.server) : 'not exported')}. Only misrouted and unknown ones fail the run; ended ones are Engine.IO v4's answer for a session the service had closed.</p>
${f.badSamples.length ? `<pre>${esc(f.badSamples.slice(0, 8).join('\n'))}</pre>` : ''}
<h2>Requests without an answer</h2>
<p>${esc(
    `Soak: ${q.forwarded} requests through the counting proxy, ${q.hung} without a response head within ${q.deadlineMs} ms, ${q.closed} closed without a response` +
      `${q.cutAtKill ? ` (+${q.cutAtKill} cut by the planned SIGKILL, not counted)` : ''}; ${q.abandoned} abandoned by their client first; ${q.unjudgedAtClose} still waiting within the deadline at the end (not judged).` +
      ` Client handshakes: ${q.handshakes}, ${q.handshakesHung} never completed.`,
  )}</p>
<p>${esc(
    probe === null
      ? 'Split-write probe: not run.'
      : 'error' in probe
        ? `Split-write probe: did not run (${probe.error}).`
        : `Split-write probe (straight to the service's port, ${probe.timeoutMs} ms each): ` +
          Object.entries(probe.byKind).map(([k, r]) => `${k} ${r.answered}/${r.sent} answered`).join(' · ') +
          ` — ${probe.lost} lost.`,
  )}</p>
${[...q.samples, ...(probe && !('error' in probe) ? probe.samples : [])].length ? `<pre>${esc([...q.samples, ...(probe && !('error' in probe) ? probe.samples : [])].slice(0, 10).join('\n'))}</pre>` : ''}
<h2>Settings</h2><p class="legend">deploy/production.json, overridden by your environment (highlighted) and bound to 127.0.0.1 on ephemeral ports.</p>
<table>${settings}</table>
${s.proxy.config ? `<h2>HAProxy configuration</h2><pre>${esc(s.proxy.config)}</pre>` : ''}
</body></html>
`;
}
