/**
 * The chart on a Canary's page, drawn on the server as inline SVG: the old
 * and new replicas asked, the new replicas available, and the weight, over
 * the time this dashboard has watched the Canary. Step lines (a value holds
 * until the next sample), no library, nothing for the page to compute.
 */
import { formatUtc } from '../time.js';
import { escapeHtml } from './escape.js';
import type { Sample } from './store.js';

export interface ChartSize {
  width: number;
  height: number;
}

const PAD = { left: 36, right: 44, top: 12, bottom: 26 };

type Series = {
  id: 'old' | 'new' | 'newAvailable' | 'weight';
  label: string;
  /** Weight is in percent, on the right-hand axis. */
  percent: boolean;
};

export const SERIES: readonly Series[] = [
  { id: 'old', label: 'old asked', percent: false },
  { id: 'new', label: 'new asked', percent: false },
  { id: 'newAvailable', label: 'new available', percent: false },
  { id: 'weight', label: 'weight %', percent: true },
];

const round = (n: number) => Math.round(n * 10) / 10;

export function chartSvg(
  samples: readonly Sample[],
  now: Date,
  totalReplicas: number | undefined,
  size: ChartSize = { width: 760, height: 220 },
): string {
  if (samples.length === 0) return '<p class="empty">Nothing seen yet.</p>';
  const first = samples[0]!.t;
  // At least a minute wide, so a Canary just opened is not one vertical line.
  const end = Math.max(now.getTime(), samples[samples.length - 1]!.t, first + 60_000);
  const plotW = size.width - PAD.left - PAD.right;
  const plotH = size.height - PAD.top - PAD.bottom;
  const maxReplicas = Math.max(
    1,
    totalReplicas ?? 0,
    ...samples.flatMap((s) => [s.old ?? 0, s.new ?? 0, s.newAvailable ?? 0]),
  );
  const x = (t: number) => round(PAD.left + ((t - first) / (end - first)) * plotW);
  const y = (v: number, percent: boolean) =>
    round(PAD.top + plotH - (v / (percent ? 100 : maxReplicas)) * plotH);

  const paths = SERIES.map((series) => {
    let d = '';
    let last: number | undefined;
    for (const s of samples) {
      const v = s[series.id];
      if (v === undefined) {
        last = undefined;
        continue;
      }
      const px = x(s.t);
      const py = y(v, series.percent);
      d += last === undefined ? `M${px} ${py}` : `H${px}V${py}`;
      last = v;
    }
    if (d === '') return '';
    if (last !== undefined) d += `H${x(end)}`;
    return `<path class="line ${series.id}" d="${d}"/>`;
  }).join('');

  const axis = [
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}"/>`,
    `<text class="tick" x="${PAD.left - 6}" y="${PAD.top + plotH}" text-anchor="end">0</text>`,
    `<text class="tick" x="${PAD.left - 6}" y="${PAD.top + 8}" text-anchor="end">${maxReplicas}</text>`,
    `<text class="tick" x="${PAD.left + plotW + 6}" y="${PAD.top + 8}">100%</text>`,
    `<text class="tick" x="${PAD.left + plotW + 6}" y="${PAD.top + plotH}">0%</text>`,
    `<text class="tick" x="${PAD.left}" y="${size.height - 6}">${escapeHtml(formatUtc(new Date(first)))}</text>`,
    `<text class="tick" x="${PAD.left + plotW}" y="${size.height - 6}" text-anchor="end">${escapeHtml(formatUtc(new Date(end)))}</text>`,
  ].join('');
  const legend = SERIES.map((s) => `<span class="key ${s.id}">${s.label}</span>`).join('');
  return (
    `<svg class="chart" viewBox="0 0 ${size.width} ${size.height}" role="img" ` +
    `aria-label="old and new replicas and weight over time">${axis}${paths}</svg>` +
    `<div class="legend">${legend}<span class="points">${samples.length} change${samples.length === 1 ? '' : 's'} seen</span></div>`
  );
}
