/** Chart primitives drawn as SVG: scales and axes, line and bar charts, their legends and colours. */
import { type Child, el } from './dom';
import { number } from './format';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** An SVG element with its attributes and children, as `el` for HTML. */
export function svg(
  tag: string,
  attributes: Record<string, string | number> = {},
  ...children: Child[]
): SVGElement {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) if (child) element.append(child);
  return element;
}

export const COLORS = {
  blue: '#2d6cdf',
  teal: '#1aa39a',
  violet: '#8a5cd6',
  orange: '#e39b22',
  red: '#d6453d',
  green: '#2e9d5b',
  grey: '#9aa3b5',
};

/** Round numbers for an axis up to `max`. */
export function ticks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((factor) => factor * magnitude >= rough) ?? 10) * magnitude;
  const result: number[] = [];
  for (let value = 0; value < max + step * 0.999; value += step) result.push(Number(value.toFixed(6)));
  return result;
}

export interface Series {
  name: string;
  color: string;
  values: Array<number | null>;
  dashed?: boolean;
}
interface LineChartOptions {
  labels: string[];
  series: Series[];
  reference?: { value: number; label: string };
  format?: (value: number) => string;
  /** A line of text under each x label (e.g. the week's share answered in time). */
  footnotes?: string[];
  height?: number;
  /** Label every n-th x value (daily series). */
  labelEvery?: number;
  /** The axis' top, when the scale is fixed (percentages). */
  max?: number;
}

/** Lines over labelled x values, with a y axis of round numbers and an optional reference line. */
export function lineChart(options: LineChartOptions): SVGElement {
  const width = 640;
  const height = options.height ?? 230;
  const format = options.format ?? ((value: number) => number(value));
  const margin = { left: 56, right: 34, top: 12, bottom: options.footnotes ? 42 : 26 };
  const values = options.series.flatMap((series) =>
    series.values.filter((value): value is number => value !== null),
  );
  const max = options.max ?? Math.max(1, ...values, (options.reference?.value ?? 0) * 1.15);
  const axis = ticks(max);
  const top = axis[axis.length - 1] ?? max;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const count = options.labels.length;
  const x = (index: number) => margin.left + (count <= 1 ? plotWidth / 2 : (index * plotWidth) / (count - 1));
  const y = (value: number) => margin.top + plotHeight - (value / top) * plotHeight;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  let previous: string | null = null;
  for (const value of axis) {
    // A small range in whole units (2 users, 1 minute) would label 0.5 steps alike: one line per label.
    const label = format(value);
    if (label === previous) continue;
    previous = label;
    chart.append(
      svg('line', {
        x1: margin.left,
        x2: width - margin.right,
        y1: y(value),
        y2: y(value),
        stroke: '#e3e7ee',
      }),
      svg('text', { x: margin.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, label),
    );
  }
  const every = options.labelEvery ?? 1;
  options.labels.forEach((label, index) => {
    if (index % every !== 0 && index !== count - 1) return;
    chart.append(
      svg('text', { x: x(index), y: height - margin.bottom + 16, 'text-anchor': 'middle' }, label),
    );
    const note = options.footnotes?.[index];
    if (note)
      chart.append(
        svg(
          'text',
          { x: x(index), y: height - margin.bottom + 32, 'text-anchor': 'middle', class: 'value-label' },
          note,
        ),
      );
  });
  if (options.reference) {
    const at = y(options.reference.value);
    chart.append(
      svg('line', {
        x1: margin.left,
        x2: width - margin.right,
        y1: at,
        y2: at,
        stroke: COLORS.red,
        'stroke-width': 1.5,
        'stroke-dasharray': '6 4',
      }),
      svg(
        'text',
        { x: width - margin.right, y: at - 5, 'text-anchor': 'end', fill: COLORS.red },
        options.reference.label,
      ),
    );
  }
  for (const series of options.series) {
    let path = '';
    series.values.forEach((value, index) => {
      if (value === null) return;
      const previous = index > 0 ? series.values[index - 1] : null;
      path += `${previous === null || previous === undefined ? 'M' : 'L'}${x(index).toFixed(1)},${y(value).toFixed(1)}`;
    });
    chart.append(
      svg('path', {
        d: path,
        fill: 'none',
        stroke: series.color,
        'stroke-width': 2.2,
        'stroke-linejoin': 'round',
        ...(series.dashed ? { 'stroke-dasharray': '5 4' } : {}),
      }),
    );
    if (count <= 16)
      series.values.forEach((value, index) => {
        if (value !== null)
          chart.append(svg('circle', { cx: x(index), cy: y(value), r: 3, fill: series.color }));
      });
  }
  return chart;
}

/** What each line or bar colour means (a dashed line for a reference). */
export function legend(items: Array<{ name: string; color: string; dashed?: boolean }>): HTMLElement {
  return el(
    'div',
    { class: 'legend' },
    ...items.map((item) => {
      const swatch = el('i', item.dashed ? { class: 'dash' } : {});
      if (!item.dashed) swatch.style.background = item.color;
      return el('span', {}, swatch, item.name);
    }),
  );
}

/** Horizontal bars with their value at the end. */
export function barChart(
  bars: Array<{ label: string; value: number; color: string; text: string }>,
): SVGElement {
  const width = 640;
  const row = 26;
  const height = bars.length * row + 8;
  const left = 110;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  bars.forEach((bar, index) => {
    const top = 4 + index * row;
    const length = ((width - left - 70) * bar.value) / max;
    chart.append(
      svg('text', { x: left - 8, y: top + 15, 'text-anchor': 'end' }, bar.label),
      svg('rect', {
        x: left,
        y: top + 3,
        width: Math.max(length, 1),
        height: row - 8,
        rx: 3,
        fill: bar.color,
      }),
      svg('text', { x: left + length + 6, y: top + 15, class: 'value-label' }, bar.text),
    );
  });
  return chart;
}
