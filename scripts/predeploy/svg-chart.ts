/**
 * Inline SVG line charts for the HTML report: no library, no script, no external resource.
 * Gaps (null values) break a line; vertical markers show recycles and kills.
 */

export interface ChartSeries {
  name: string;
  color: string;
  points: [number, number | null][];
  /** Draw a dot on each point (sparse data such as latency). */
  dots?: boolean;
  dashed?: boolean;
}

export interface ChartMarker {
  x: number;
  label: string;
  color: string;
  /** A word drawn next to the line. */
  short?: string;
}

export interface ChartOptions {
  title: string;
  unit: string;
  xMax: number;
  series: ChartSeries[];
  markers?: ChartMarker[];
  threshold?: { y: number; label: string };
  width?: number;
  height?: number;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** 1, 2 or 5 × 10^k at or above `v` (v > 0). */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v - 1e-12) return m * p;
  return 10 * p;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k` : `${Math.round(v * 100) / 100}`);

export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 1160;
  const H = o.height ?? 220;
  const L = 58;
  const R = 16;
  const T = 30;
  const B = 34;
  const pw = W - L - R;
  const ph = H - T - B;
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1]).filter((y): y is number => y !== null && Number.isFinite(y)));
  const yMax = niceCeil(Math.max(o.threshold?.y ?? 0, ...ys, 0) * 1.05 || 1);
  const xMax = Math.max(1, o.xMax);
  const X = (x: number) => L + (Math.max(0, Math.min(x, xMax)) / xMax) * pw;
  const Y = (y: number) => T + ph - (Math.max(0, y) / yMax) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${L}" y="18" font-size="14" font-weight="600" fill="#222">${esc(o.title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${L}" x2="${L + pw}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${L - 6}" y="${(Y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#555">${fmt(v)}</text>`);
  }
  const xStep = niceCeil(xMax / 8);
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    parts.push(`<line x1="${X(x).toFixed(1)}" x2="${X(x).toFixed(1)}" y1="${T + ph}" y2="${T + ph + 4}" stroke="#888"/>`);
    parts.push(`<text x="${X(x).toFixed(1)}" y="${T + ph + 16}" font-size="11" text-anchor="middle" fill="#555">${fmt(x)} s</text>`);
  }
  parts.push(`<text x="12" y="${T + ph / 2}" font-size="11" fill="#555" transform="rotate(-90 12 ${T + ph / 2})" text-anchor="middle">${esc(o.unit)}</text>`);
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#bbb"/>`);
  for (const m of o.markers ?? []) {
    const x = X(m.x).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${T}" y2="${T + ph}" stroke="${m.color}" stroke-dasharray="4 3" stroke-width="1.5"><title>${esc(m.label)}</title></line>`);
    parts.push(`<text x="${Number(x) + 3}" y="${T + 11}" font-size="10" fill="${m.color}">${esc(m.short ?? '')}</text>`);
  }
  if (o.threshold) {
    const y = Y(o.threshold.y).toFixed(1);
    parts.push(`<line x1="${L}" x2="${L + pw}" y1="${y}" y2="${y}" stroke="#c0392b" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${L + pw - 4}" y="${Number(y) - 4}" font-size="11" text-anchor="end" fill="#c0392b">${esc(o.threshold.label)}</text>`);
  }
  for (const s of o.series) {
    let seg: string[] = [];
    const flush = () => {
      if (seg.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${seg.join(' ')}"/>`);
      seg = [];
    };
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) {
        flush();
        continue;
      }
      seg.push(`${X(x).toFixed(1)},${Y(y).toFixed(1)}`);
      if (s.dots || s.points.length === 1) parts.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
    flush();
  }
  // Legend to the right of the title (about 7.5 px a character at 14 px).
  let lx = L + Math.round(o.title.length * 8) + 24;
  for (const s of o.series) {
    parts.push(`<rect x="${lx}" y="9" width="12" height="4" fill="${s.color}"/><text x="${lx + 16}" y="15" font-size="11" fill="#333">${esc(s.name)}</text>`);
    lx += 24 + s.name.length * 6.5;
  }
  parts.push('</svg>');
  return parts.join('');
}
