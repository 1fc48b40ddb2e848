import type { RunRecord } from '../core/record.ts';
import { render } from '../core/render.ts';
import { runView } from './view.ts';
import type { TimelineEvent } from '../drills/timeline.ts';
import type { LagSample } from '../drills/judge.ts';
import { fmt, lineChart, timelineChart } from './charts.ts';

/** The drill report: the record's timeline, lag samples and checks, nothing computed here. */

/** A timeline event and a consumer-lag sample as the drill records them (`data.timeline`, `data.lagSamples`; the latter absent in older records). */
type DrillEvent = TimelineEvent;

const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The record's recovery timeline (events with a time after the kill, in time order) and its recovery SLO. */
export function drillTimeline(r: RunRecord): { events: DrillEvent[]; sloMs: number | null } {
  const d = r.data ?? {};
  const raw = Array.isArray(d.timeline) ? (d.timeline as Array<Record<string, unknown>>) : [];
  const events = raw
    .filter((e) => e && finite(e.atMs))
    .map((e) => ({ event: String(e.event ?? e.label ?? e.name ?? '?'), atMs: e.atMs as number, pod: str(e.pod), detail: str(e.detail) }))
    .sort((a, b) => a.atMs - b.atMs); // stable: events at the same time keep the record's order
  const plan = d.plan as { recoverySloS?: unknown } | undefined;
  const sloMs = finite(d.recoverySloMs) ? d.recoverySloMs : finite(d.recoverySloS) ? d.recoverySloS * 1000
    : finite(plan?.recoverySloS) ? plan.recoverySloS * 1000 : null;
  return { events, sloMs };
}

/** The recovery timeline as an SVG (the week-1 report draws the newest drill's with this too). */
export function recoveryTimelineSvg(events: Array<{ event: string; atMs: number }>, sloMs: number | null): string {
  return timelineChart({
    title: 'Pod-kill drill: recovery timeline',
    events: events.map((e) => ({ label: e.event, atMs: e.atMs })),
    slo: sloMs !== null ? { atMs: sloMs, label: `recovery SLO ${fmt(sloMs / 1000)} s` } : undefined,
  });
}

/** `data.lagSamples` when the record has it (samples without finite numbers are left out), else null. */
export function lagSamples(r: RunRecord): LagSample[] | null {
  const raw = r.data?.lagSamples;
  if (!Array.isArray(raw)) return null;
  return (raw as Array<Record<string, unknown>>)
    .filter((s) => s && finite(s.atMs) && finite(s.lagS) && finite(s.lagMessages))
    .map((s) => ({ atMs: s.atMs as number, lagS: s.lagS as number, lagMessages: s.lagMessages as number }))
    .sort((a, b) => a.atMs - b.atMs);
}

/** Consumer lag after the kill: seconds behind (against the drill's target) and messages behind. */
export function lagChartsSvg(samples: LagSample[], events: DrillEvent[], targetS: number | null): { seconds: string; messages: string } {
  const MARKED = ['kill', 'replicas-restored', 'lag-recovered'];
  const markers = events.filter((e) => MARKED.includes(e.event)).map((e) => ({ x: e.atMs / 1000, label: e.event }));
  const note = (s: LagSample) => `+${fmt(s.atMs / 1000)} s: ${fmt(s.lagS)} s behind (${fmt(s.lagMessages)} messages)`;
  return {
    seconds: lineChart({
      title: 'Consumer lag after the kill: seconds behind', xLabel: 'seconds after the kill', yLabel: 'lag (s)',
      series: [{ name: 'lag (s)', color: '#d97706', points: samples.map((s) => ({ x: s.atMs / 1000, y: s.lagS, note: note(s) })) }],
      threshold: targetS !== null ? { y: targetS, label: `target < ${fmt(targetS)} s` } : undefined,
      markers,
    }),
    messages: lineChart({
      title: 'Consumer lag after the kill: messages behind', xLabel: 'seconds after the kill', yLabel: 'messages behind',
      series: [{ name: 'messages behind', color: '#9333ea', points: samples.map((s) => ({ x: s.atMs / 1000, y: s.lagMessages, note: note(s) })) }],
      markers,
    }),
  };
}

function view(r: RunRecord) {
  const plan = (r.data?.plan ?? null) as null | { namespace?: string; deployment?: string; lagTargetS?: unknown };
  const { events, sloMs } = drillTimeline(r);
  const timeline = events.map((e) => ({ ...e, secs: (e.atMs / 1000).toFixed(2) }));
  const title = plan?.namespace && plan.deployment ? `Pod-kill drill: ${plan.namespace}/${plan.deployment}` : 'Pod-kill drill';
  return { ...runView(r, title), plan, timeline, sloMs, wouldKill: Array.isArray(r.data?.wouldKill) ? r.data.wouldKill : null };
}

export function drillMarkdown(r: RunRecord): string {
  return render('drill.md.hbs', view(r));
}

/**
 * `drill.html`: self-contained (inline CSS and SVG, no scripts). The recovery timeline as a chart and
 * a table, consumer lag over time when the record has lag samples, and the shared checks table.
 */
export function drillHtml(r: RunRecord): string {
  const v = view(r);
  const plan = v.plan;
  const charts: Array<{ title: string; svg: string | null; note: string; wide?: boolean }> = [];
  charts.push(v.timeline.length
    ? { title: 'Recovery timeline', svg: recoveryTimelineSvg(v.timeline, v.sloMs), note: 'Times after the kill, on the drill\'s monotonic clock (pod LIST then WATCH).', wide: true }
    : { title: 'Recovery timeline', svg: null, note: 'No recovery timeline in the record.', wide: true });
  const samples = lagSamples(r);
  if (samples) {
    const targetS = finite(plan?.lagTargetS) ? plan.lagTargetS : null;
    if (samples.length) {
      const lag = lagChartsSvg(samples, v.timeline, targetS);
      const src = `${samples.length} sample(s) of the consumer group's committed offsets against the end offsets.`;
      charts.push({ title: 'Consumer lag over time (seconds)', svg: lag.seconds, note: `${src} Seconds = messages behind ÷ produce rate.` });
      charts.push({ title: 'Consumer lag over time (messages)', svg: lag.messages, note: src });
    } else {
      charts.push({ title: 'Consumer lag over time', svg: null, note: 'The record has no usable lag samples.' });
    }
  }
  return render('drill.html.hbs', { ...v, charts });
}
