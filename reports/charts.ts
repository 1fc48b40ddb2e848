/**
 * Inline SVG charts for the HTML reports: plain strings, no library, nothing fetched at view time.
 * Every text that reaches the SVG is XML-escaped here, so templates insert the result unescaped.
 */

export interface Point { x: number; y: number | null; /** Tooltip text instead of `series: x → y`. */ note?: string }
export interface Series { name: string; points: Point[]; color?: string }

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A target line, e.g. the p95 SLO. */
  threshold?: { y: number; label: string };
  width?: number;
  height?: number;
  /** Lower bound of the y axis; default 0 (latency and throughput are never negative). */
  yMin?: number;
  /** Vertical marks at x values, e.g. the events of a drill's timeline on a lag chart. */
  markers?: Array<{ x: number; label: string }>;
}

export interface TimelineEvent { label: string; atMs: number }
export interface TimelineOptions {
  title: string;
  events: TimelineEvent[];
  /** Draws the recovery objective as a dashed mark. */
  slo?: { atMs: number; label: string };
  width?: number;
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A "nice" axis: round step (1, 2, 2.5, 5 × 10^n) covering [lo, hi] in about `count` ticks. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) hi = lo === 0 ? 1 : lo + Math.abs(lo) * 0.1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  if (ticks[ticks.length - 1]! < hi) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

export function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 10_000) return `${+(v / 1000).toFixed(1)}k`;
  if (Number.isInteger(v)) return String(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? String(+v.toFixed(2)) : String(+v.toPrecision(2));
}

/** A line chart: one polyline per series (broken where a point has no value), a dot per point. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 640, H = o.height ?? 280;
  const m = { top: 34, right: 16, bottom: 44, left: 60 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const pts = o.series.flatMap((s) => s.points);
  const markers = (o.markers ?? []).filter((k) => Number.isFinite(k.x));
  const xs = [...pts.map((p) => p.x), ...markers.map((k) => k.x)];
  const ys = pts.flatMap((p) => (p.y === null ? [] : [p.y]));
  if (o.threshold) ys.push(o.threshold.y);
  const lo = (v: number[], from: number) => v.reduce((m, x) => (x < m ? x : m), from);
  const hi = (v: number[], from: number) => v.reduce((m, x) => (x > m ? x : m), from);
  const xt = niceTicks(xs.length ? lo(xs, Infinity) : 0, xs.length ? hi(xs, -Infinity) : 1, 6);
  const yt = niceTicks(o.yMin ?? lo(ys, 0), ys.length ? hi(ys, -Infinity) * 1.05 : 1, 5);
  const [x0, x1] = [xt[0]!, xt[xt.length - 1]!];
  const [y0, y1] = [yt[0]!, yt[yt.length - 1]!];
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number) => m.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;
  const n = (v: number) => v.toFixed(1);

  const out: string[] = [];
  out.push(`<svg class="chart line-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`);
  out.push(`<title>${esc(o.title)}</title>`);
  out.push(`<text class="chart-title" x="${m.left}" y="18" font-size="14" font-weight="600" fill="#111827">${esc(o.title)}</text>`);
  // grid + y ticks
  for (const v of yt) {
    out.push(`<line class="grid" x1="${m.left}" x2="${m.left + pw}" y1="${n(sy(v))}" y2="${n(sy(v))}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${m.left - 6}" y="${n(sy(v) + 4)}" font-size="11" text-anchor="end" fill="#4b5563">${esc(fmt(v))}</text>`);
  }
  for (const v of xt) {
    out.push(`<line x1="${n(sx(v))}" x2="${n(sx(v))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#6b7280"/>`);
    out.push(`<text x="${n(sx(v))}" y="${m.top + ph + 16}" font-size="11" text-anchor="middle" fill="#4b5563">${esc(fmt(v))}</text>`);
  }
  // axes
  out.push(`<line class="axis" x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#6b7280"/>`);
  out.push(`<line class="axis" x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#6b7280"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 6}" font-size="12" text-anchor="middle" fill="#374151">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#374151">${esc(o.yLabel)}</text>`);
  if (o.threshold) {
    const y = n(sy(o.threshold.y));
    out.push(`<line class="threshold" x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#dc2626" stroke-dasharray="6 4"/>`);
    // Label on the side of the line with fewer points, so it does not sit on the data.
    const above = ys.filter((v) => v > o.threshold!.y).length;
    const below = ys.length - 1 - above;
    const ly = above > below ? Number(y) + 14 : Number(y) - 5;
    out.push(`<text x="${m.left + pw - 4}" y="${ly}" font-size="11" text-anchor="end" fill="#dc2626" stroke="#fff" stroke-width="3" paint-order="stroke">${esc(o.threshold.label)}</text>`);
  }
  // Markers: a dashed vertical line each; labels on two alternating rows under the title.
  markers.forEach((k, i) => {
    const x = n(sx(k.x));
    out.push(`<line class="marker" x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" stroke="#9ca3af" stroke-dasharray="3 3"/>`);
    const anchor = sx(k.x) > m.left + pw * 0.75 ? 'end' : 'start';
    out.push(`<text class="marker-label" x="${Number(x) + (anchor === 'end' ? -3 : 3)}" y="${m.top + 11 + (i % 2) * 12}" font-size="10" text-anchor="${anchor}" fill="#6b7280">${esc(k.label)}</text>`);
  });
  o.series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length]!;
    // Break the line where a second had no samples, rather than drawing through it.
    const runs: Point[][] = [[]];
    for (const p of s.points) {
      if (p.y === null) { if (runs[runs.length - 1]!.length) runs.push([]); } else runs[runs.length - 1]!.push(p);
    }
    for (const r of runs.filter((r) => r.length)) {
      out.push(`<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round" points="${r.map((p) => `${n(sx(p.x))},${n(sy(p.y!))}`).join(' ')}"/>`);
    }
    for (const p of s.points) {
      if (p.y === null) continue;
      out.push(`<circle class="point" cx="${n(sx(p.x))}" cy="${n(sy(p.y))}" r="2.5" fill="${color}"><title>${esc(p.note ?? `${s.name}: ${fmt(p.x)} → ${fmt(p.y)}`)}</title></circle>`);
    }
  });
  // legend (a single series is named by the axis label)
  let lx = m.left + pw;
  if (o.series.length > 1) [...o.series].reverse().forEach((s, rk) => {
    const k = o.series.length - 1 - rk;
    const w = 18 + s.name.length * 6.5;
    lx -= w + 10;
    out.push(`<rect x="${n(lx)}" y="24" width="12" height="3" fill="${s.color ?? PALETTE[k % PALETTE.length]}"/>`);
    out.push(`<text x="${n(lx + 16)}" y="29" font-size="11" fill="#374151">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/**
 * A horizontal timeline (kill → pod gone → … → recovered): one marker per event on a time axis,
 * labels alternating above and below the axis so neighbours do not overlap.
 */
export function timelineChart(o: TimelineOptions): string {
  const W = o.width ?? 1040;
  const m = { left: 30, right: 40 };
  const pw = W - m.left - m.right;
  const events = [...o.events].sort((a, b) => a.atMs - b.atMs);
  const maxMs = Math.max(1, ...events.map((e) => e.atMs), o.slo?.atMs ?? 0);
  const ticks = niceTicks(0, maxMs / 1000, 8);
  const end = ticks[ticks.length - 1]! * 1000;
  const sx = (ms: number) => m.left + (ms / end) * pw;
  const n = (v: number) => v.toFixed(1);

  // Labels go into lanes above and below the axis (alternating); an event takes the first lane
  // where its label does not overlap the previous label in that lane.
  const LANE = 20, CHAR = 6.3;
  const laneEnd: number[] = [];
  const placed = events.map((e, k) => {
    const text = `${e.label} +${fmt(e.atMs / 1000)} s`;
    const w = text.length * CHAR;
    const x = sx(e.atMs);
    const anchor = x - w / 2 < m.left ? 'start' : x + w / 2 > m.left + pw ? 'end' : 'middle';
    const x0 = anchor === 'start' ? x - 4 : anchor === 'end' ? x - w : x - w / 2;
    let lane = 0;
    const first = k % 2; // start alternating: 0 = above, 1 = below
    for (let l = first; ; l++) {
      if ((laneEnd[l] ?? -Infinity) + 8 < x0) { lane = l; break; }
    }
    laneEnd[lane] = x0 + w;
    return { e, k, x, anchor, lane };
  });
  const lanesAbove = Math.max(1, ...placed.filter((p) => p.lane % 2 === 0).map((p) => p.lane / 2 + 1));
  const lanesBelow = Math.max(1, ...placed.filter((p) => p.lane % 2 === 1).map((p) => (p.lane - 1) / 2 + 1));
  const axisY = 40 + lanesAbove * LANE;
  const H = axisY + 20 + lanesBelow * LANE + 24;

  const out: string[] = [];
  out.push(`<svg class="chart timeline-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}">`);
  out.push(`<title>${esc(o.title)}</title>`);
  out.push(`<text class="chart-title" x="${m.left}" y="18" font-size="14" font-weight="600" fill="#111827">${esc(o.title)}</text>`);
  out.push(`<line class="axis" x1="${m.left}" x2="${m.left + pw}" y1="${axisY}" y2="${axisY}" stroke="#6b7280" stroke-width="2"/>`);
  for (const t of ticks) {
    const x = n(sx(t * 1000));
    out.push(`<line x1="${x}" x2="${x}" y1="${axisY - 3}" y2="${axisY + 3}" stroke="#6b7280"/>`);
    out.push(`<text x="${x}" y="${H - 6}" font-size="11" text-anchor="middle" fill="#4b5563">${esc(fmt(t))} s</text>`);
  }
  if (o.slo) {
    const x = n(sx(o.slo.atMs));
    out.push(`<line class="threshold" x1="${x}" x2="${x}" y1="28" y2="${H - 20}" stroke="#dc2626" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${Number(x) - 4}" y="30" font-size="11" text-anchor="end" fill="#dc2626">${esc(o.slo.label)}</text>`);
  }
  for (const p of placed) {
    const above = p.lane % 2 === 0;
    const level = above ? p.lane / 2 : (p.lane - 1) / 2;
    const ly = above ? axisY - 12 - level * LANE : axisY + 22 + level * LANE;
    out.push(`<line x1="${n(p.x)}" x2="${n(p.x)}" y1="${axisY}" y2="${n(above ? ly + 3 : ly - 11)}" stroke="#9ca3af"/>`);
  }
  for (const p of placed) {
    const above = p.lane % 2 === 0;
    const level = above ? p.lane / 2 : (p.lane - 1) / 2;
    const ly = above ? axisY - 12 - level * LANE : axisY + 22 + level * LANE;
    out.push(`<circle class="event" cx="${n(p.x)}" cy="${axisY}" r="5" fill="${PALETTE[p.k % PALETTE.length]}"><title>${esc(`${p.e.label} at +${fmt(p.e.atMs / 1000)} s`)}</title></circle>`);
    out.push(`<text class="event-label" x="${n(p.x)}" y="${n(ly)}" font-size="11" text-anchor="${p.anchor}" fill="#111827">${esc(p.e.label)} <tspan fill="#6b7280">+${esc(fmt(p.e.atMs / 1000))} s</tspan></text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
