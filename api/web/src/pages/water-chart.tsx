// One paddy's water level over a period with uPlot: the level, the calendar's target band
// (GET /paddies/{id}/targets), rain as bars, and the audit log's events as marks.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { jst, lang, words } from "../i18n";

export interface Point {
  /** Seconds since 1970 (uPlot's x). */
  t: number;
  v: number;
}

export interface Span {
  start: string;
  end: string;
  stage: string;
  stage_ja: string;
  setpoint_cm: number | null;
  band_cm: [number, number] | null;
  transition: boolean;
}

export interface Mark {
  t: number;
  kind: string;
  summary: string;
}

const w = words({
  level: { ja: "水位", en: "Water level" },
  bandHigh: { ja: "目標上限", en: "Target, top" },
  bandLow: { ja: "目標下限", en: "Target, bottom" },
  rain: { ja: "雨量", en: "Rain" },
  time: { ja: "時刻", en: "Time" },
  chart: { ja: "水位と目標のグラフ", en: "Chart of the water level and its target" },
});

export const LEVEL_COLOUR = "#1565c0";
export const BAND_FILL = "rgba(46, 125, 50, 0.22)";
const RAIN_COLOUR = "rgba(0, 131, 143, 0.75)";
export const MARK_COLOURS: Record<string, string> = {
  command: "#6d4c41",
  ack: "#8d6e63",
  override: "#8e24aa",
  override_end: "#8e24aa",
  alert: "#c62828",
  mode: "#546e7a",
};
/** Readings further apart than this are a gap in the line (the sensor was silent). */
const GAP_S = 3 * 3600;

const seconds = (iso: string) => Date.parse(iso) / 1000;

/** The time axis's labels in Japan time: hours over a day or two, dates over longer. */
function tick(spanS: number): (ts: number) => string {
  const format = new Intl.DateTimeFormat(lang.get() === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo",
    ...(spanS <= 2 * 86_400 ? { hour: "2-digit", minute: "2-digit" } : { month: "numeric", day: "numeric" }),
  });
  return (ts) => format.format(new Date(ts * 1000));
}

/** The chart's columns: x, level, band top, band bottom, rain. Positions only one series has
 * are ``undefined`` (uPlot draws across them); ``null`` is a real gap. */
export function columns(level: Point[], rain: Point[], spans: Span[]): uPlot.AlignedData {
  const xs = new Set<number>();
  level.forEach((p) => xs.add(p.t));
  rain.forEach((p) => xs.add(p.t));
  for (const s of spans) {
    xs.add(seconds(s.start));
    xs.add(seconds(s.end) - 0.001);
  }
  const x = [...xs].sort((a, b) => a - b);
  const at = new Map(x.map((t, i) => [t, i]));
  const lv: (number | null | undefined)[] = new Array(x.length).fill(undefined);
  const rn: (number | null | undefined)[] = new Array(x.length).fill(undefined);
  const hi: (number | null | undefined)[] = new Array(x.length).fill(null);
  const lo: (number | null | undefined)[] = new Array(x.length).fill(null);
  level.forEach((p, i) => {
    const index = at.get(p.t)!;
    lv[index] = p.v;
    const next = level[i + 1];
    if (next && next.t - p.t > GAP_S && index + 1 < x.length && lv[index + 1] === undefined) {
      lv[index + 1] = null; // silent sensor: break the line
    }
  });
  rain.forEach((p) => (rn[at.get(p.t)!] = p.v));
  let k = 0;
  x.forEach((t, i) => {
    while (k < spans.length && seconds(spans[k].end) <= t) k++;
    const span = spans[k];
    if (span && seconds(span.start) <= t && span.band_cm && !span.transition) {
      [lo[i], hi[i]] = [span.band_cm[0], span.band_cm[1]];
    }
  });
  return [x, lv, hi, lo, rn];
}

export function WaterChart(props: { level: Point[]; rain: Point[]; spans: Span[]; marks: Mark[]; from: number; to: number }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const data = columns(props.level, props.rain, props.spans);
    const cm = (_u: uPlot, v: number | null) => (v == null ? "—" : `${v.toFixed(1)} cm`);
    const mm = (_u: uPlot, v: number | null) => (v == null ? "—" : `${v.toFixed(1)} mm`);
    const marks = props.marks.filter((m) => m.t >= props.from && m.t <= props.to);
    const options: uPlot.Options = {
      width: Math.max(el.clientWidth, 280),
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Asia/Tokyo"),
      scales: {
        x: { time: true, range: () => [props.from, props.to] },
        cm: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max((max ?? 0) + 1, 8)] },
        mm: { range: (_u, _min, max) => [0, Math.max((max ?? 0) * 1.2, 5)] },
      },
      axes: [
        { values: (_u, splits) => splits.map(tick(props.to - props.from)), size: 40 },
        { scale: "cm", label: "cm", size: 48 },
        { scale: "mm", label: "mm", side: 1, grid: { show: false }, show: props.rain.length > 0 },
      ],
      series: [
        { label: w("time"), value: (_u, ts) => (ts == null ? "—" : jst(new Date(ts * 1000).toISOString())) },
        { label: w("level"), scale: "cm", stroke: LEVEL_COLOUR, width: 2, value: cm, points: { show: false } },
        { label: w("bandHigh"), scale: "cm", stroke: "rgba(46, 125, 50, 0.6)", width: 1, value: cm, points: { show: false } },
        { label: w("bandLow"), scale: "cm", stroke: "rgba(46, 125, 50, 0.6)", width: 1, value: cm, points: { show: false } },
        {
          label: w("rain"), scale: "mm", stroke: RAIN_COLOUR, fill: RAIN_COLOUR, value: mm,
          paths: uPlot.paths.bars!({ size: [0.8, 12, 3] }), points: { show: false },
        },
      ],
      bands: [{ series: [2, 3], fill: BAND_FILL }],
      hooks: {
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            ctx.lineWidth = Math.max(1, devicePixelRatio);
            ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
            for (const m of marks) {
              const x = Math.round(u.valToPos(m.t, "x", true));
              if (x < bbox.left || x > bbox.left + bbox.width) continue;
              ctx.strokeStyle = ctx.fillStyle = MARK_COLOURS[m.kind] ?? "#546e7a";
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
              const s = 5 * devicePixelRatio;
              ctx.beginPath();
              ctx.moveTo(x - s, bbox.top);
              ctx.lineTo(x + s, bbox.top);
              ctx.lineTo(x, bbox.top + s * 1.5);
              ctx.fill();
            }
            ctx.restore();
          },
        ],
      },
    };
    const chart = new uPlot(options, data, el);
    const resized = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 280), height: 260 }));
    resized.observe(el);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, [props.level, props.rain, props.spans, props.marks, props.from, props.to, lang.get()]);

  return <div ref={holder} class="water-chart" role="figure" aria-label={w("chart")} data-points={props.level.length} data-marks={props.marks.length} />;
}
