// uPlot helpers shared by the benchmark page and the demo: grouped bars, lines, a histogram.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface BarSeries {
  label: string;
  color: string;
  /** One value per group; null where the engine has none. */
  values: Array<number | null>;
  /** Text drawn above each bar (defaults to the value). */
  labels?: Array<string | null>;
}

/**
 * Grouped bars with core uPlot: group g, series s sits at x = g·(S+1) + s, and each series has
 * values only at its own positions, so the bars builder draws them side by side.
 */
export function groupedBars(el: HTMLElement, opts: { title: string; yLabel: string; groups: string[]; series: BarSeries[]; width?: number; height?: number }): uPlot {
  const { groups, series } = opts;
  const stride = series.length + 1;
  const xs: number[] = [];
  const ys: Array<Array<number | null>> = series.map(() => []);
  groups.forEach((_, g) =>
    series.forEach((s, si) => {
      xs.push(g * stride + si);
      ys.forEach((col, sj) => col.push(sj === si ? s.values[g] : null));
    }),
  );
  const top = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const centers = groups.map((_, g) => g * stride + (series.length - 1) / 2);
  const barLabels: uPlot.Plugin = {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        ctx.save();
        ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
        ctx.textAlign = 'center';
        ctx.fillStyle = '#222';
        series.forEach((s, si) =>
          s.values.forEach((v, g) => {
            if (v === null) return;
            const text = s.labels?.[g] ?? formatShort(v);
            if (text === null) return;
            ctx.fillText(text, u.valToPos(g * stride + si, 'x', true), u.valToPos(v, 'y', true) - 4 * devicePixelRatio);
          }),
        );
        ctx.restore();
      },
    },
  };
  return new uPlot(
    {
      title: opts.title,
      width: opts.width ?? 560,
      height: opts.height ?? 300,
      plugins: [barLabels],
      cursor: { show: false },
      legend: { live: false },
      scales: { x: { time: false, range: [-1, groups.length * stride - 1] }, y: { range: [0, top * 1.15] } },
      axes: [
        { splits: () => centers, values: () => groups, grid: { show: false }, ticks: { show: false } },
        { label: opts.yLabel, size: 60 },
      ],
      series: [
        { label: '' },
        ...series.map((s) => ({
          label: s.label,
          fill: s.color,
          stroke: s.color,
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.9, Infinity], align: 0 }),
          points: { show: false },
        })),
      ],
    },
    [xs, ...ys] as uPlot.AlignedData,
    el,
  );
}

export interface LineSeries {
  label: string;
  color: string;
  dash?: number[];
}

/** A live line chart over a shared x (epochs); `update(x, ys)` redraws it with the new data. */
export function lineChart(el: HTMLElement, opts: { title: string; xLabel: string; yLabel: string; series: LineSeries[]; width?: number; height?: number; log?: boolean }) {
  const plot = new uPlot(
    {
      title: opts.title,
      width: opts.width ?? 460,
      height: opts.height ?? 240,
      legend: { live: false },
      scales: { x: { time: false }, y: opts.log ? { distr: 3 } : {} },
      axes: [{ label: opts.xLabel }, { label: opts.yLabel, size: 60 }],
      series: [{ label: opts.xLabel }, ...opts.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, dash: s.dash, points: { show: false } }))],
    },
    [[], ...opts.series.map(() => [])] as unknown as uPlot.AlignedData,
    el,
  );
  return {
    plot,
    update(x: number[], ys: Array<Array<number | null>>) {
      plot.setData([x, ...ys] as uPlot.AlignedData);
    },
  };
}

/** A histogram drawn as bars: `update(values)` bins them into `bins` equal-width bins. */
export function histogram(el: HTMLElement, opts: { title: string; xLabel: string; color: string; bins?: number; width?: number; height?: number }) {
  const bins = opts.bins ?? 40;
  const plot = new uPlot(
    {
      title: opts.title,
      width: opts.width ?? 460,
      height: opts.height ?? 240,
      legend: { show: false },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{ label: opts.xLabel }, { label: 'count', size: 50 }],
      series: [{}, { label: 'count', fill: opts.color, stroke: opts.color, width: 0, paths: uPlot.paths.bars!({ size: [1, Infinity], align: 0 }), points: { show: false } }],
    },
    [[], []],
    el,
  );
  return {
    plot,
    update(values: ArrayLike<number>) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < values.length; i++) {
        lo = Math.min(lo, values[i]);
        hi = Math.max(hi, values[i]);
      }
      // A symmetric range around zero keeps "weights shrink towards 0" visible.
      const reach = Math.max(Math.abs(lo), Math.abs(hi), 1e-6);
      const width = (2 * reach) / bins;
      const counts = new Array<number>(bins).fill(0);
      for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor((values[i] + reach) / width))]++;
      const centers = counts.map((_, b) => -reach + (b + 0.5) * width);
      plot.setData([centers, counts]);
    },
  };
}

export function formatShort(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}
