// One paddy: the water now, its gates by hand (POST/DELETE /paddies/{id}/overrides) and its
// history over 24 h, 7 days or the season with the target band and the audit log's events.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, call, get, post, type Page } from "../api";
import { jst, lang, words } from "../i18n";
import { WaterChart, type Mark, type Point, type Span } from "./water-chart";
import {
  actionName, cm, eventName, gateText, modeName, roleName, sensorName,
  type Override, type Paddy, type PaddyEvent, type Reading, type WaterState,
} from "./water-model";

const w = words({
  now: { ja: "いまの水", en: "The water now" },
  level: { ja: "水位", en: "Water level" },
  target: { ja: "目標", en: "Target" },
  stage: { ja: "生育段階", en: "Stage" },
  day: { ja: "田植え後", en: "Days after transplanting" },
  mode: { ja: "制御", en: "Control" },
  sensor: { ja: "センサー", en: "Sensor" },
  measured: { ja: "計測時刻", en: "Measured" },
  today: { ja: "本日の給水", en: "Water let in today" },
  settling: { ja: "（移行中・判定なし）", en: " (settling, not judged)" },
  gates: { ja: "水門の操作", en: "Gates by hand" },
  gatesWhy: {
    ja: "指定した時間だけ手動で開閉し、その後は自動制御に戻ります。畦畔の安全水位は手動中も守られます。",
    en: "Set a gate by hand for a while; automatic control takes over afterwards. The levee's safe depth is guarded even then.",
  },
  minutes: { ja: "時間", en: "For" },
  reason: { ja: "理由（任意）", en: "Reason (optional)" },
  open: { ja: "開ける", en: "Open" },
  close: { ja: "閉める", en: "Close" },
  inForce: { ja: "手動操作中", en: "Set by hand" },
  backToAuto: { ja: "自動に戻す", en: "Back to automatic" },
  set: { ja: "を「{a}」にしました（{u}まで）。次の制御で水門に送られます。", en: " set {a} until {u}; the controller sends it to the gate at its next tick." },
  ended: { ja: "自動制御に戻しました。", en: "Back to automatic control." },
  refused: { ja: "受け付けられませんでした", en: "Refused" },
  history: { ja: "水位の履歴", en: "Water-level history" },
  period: { ja: "期間", en: "Period" },
  h24: { ja: "24時間", en: "24 h" },
  d7: { ja: "7日間", en: "7 days" },
  season: { ja: "作付期間", en: "The season" },
  latest: { ja: "最新", en: "Latest" },
  lowest: { ja: "最低", en: "Lowest" },
  highest: { ja: "最高", en: "Highest" },
  readings: { ja: "件", en: "readings" },
  inBand: { ja: "目標帯内", en: "Within the band" },
  rainSum: { ja: "雨量計", en: "Rain" },
  noReadings: { ja: "この期間の水位データはありません。", en: "No water-level readings in this period." },
  events: { ja: "出来事", en: "Events" },
  noEvents: { ja: "この期間の出来事はありません。", en: "No events in this period." },
  when: { ja: "日時", en: "When" },
  what: { ja: "内容", en: "What" },
  by: { ja: "実行者", en: "By" },
  m30: { ja: "30分", en: "30 min" },
  h1: { ja: "1時間", en: "1 hour" },
  h3: { ja: "3時間", en: "3 hours" },
  h12: { ja: "12時間", en: "12 hours" },
  day1: { ja: "1日", en: "1 day" },
});

type Period = "h24" | "d7" | "season";
const DAY_MS = 86_400_000;

function periodStart(period: Period, paddy: Paddy, now: number): number {
  if (period === "h24") return now - DAY_MS;
  if (period === "d7") return now - 7 * DAY_MS;
  const planted = paddy.transplanted_on ? Date.parse(`${paddy.transplanted_on}T00:00:00+09:00`) : NaN;
  const start = Number.isFinite(planted) && planted < now - DAY_MS ? planted : now - 150 * DAY_MS;
  return Math.max(start, now - 399 * DAY_MS);
}

async function readingsOf(id: string, metric: string, since: string, until: string): Promise<Reading[]> {
  const all: Reading[] = [];
  for (;;) {
    const page = await get<Page<Reading>>(
      `/paddies/${encodeURIComponent(id)}/readings?metric=${metric}&since=${since}&until=${until}&limit=5000&offset=${all.length}`,
    );
    all.push(...page.data);
    if (page.data.length === 0 || all.length >= page.count) return all;
  }
}

async function eventsSince(id: string, since: number): Promise<PaddyEvent[]> {
  const all: PaddyEvent[] = [];
  for (let offset = 0; offset < 5000; offset += 500) {
    const page = await get<Page<PaddyEvent>>(`/paddies/${encodeURIComponent(id)}/events?limit=500&offset=${offset}`);
    all.push(...page.data);
    const oldest = page.data[page.data.length - 1];
    if (page.data.length < 500 || !oldest || Date.parse(oldest.at) < since) break;
  }
  return all.filter((e) => Date.parse(e.at) >= since);
}

interface History {
  level: Point[];
  rain: Point[];
  spans: Span[];
  events: PaddyEvent[];
  from: number;
  to: number;
}

export function PaddyDetail(props: { paddy: Paddy; state: WaterState | null; tick: number; onChanged: () => void }) {
  const { paddy, state } = props;
  const [period, setPeriod] = useState<Period>("h24");
  const [history, setHistory] = useState<History | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const now = Date.now();
    const from = periodStart(period, paddy, now);
    const [since, until] = [new Date(from).toISOString(), new Date(now).toISOString()];
    const id = encodeURIComponent(paddy.id);
    Promise.all([
      readingsOf(paddy.id, "water_level", since, until),
      readingsOf(paddy.id, "rain", since, until),
      get<Span[]>(`/paddies/${id}/targets?since=${since}&until=${until}`),
      eventsSince(paddy.id, from),
    ])
      .then(([level, rain, spans, events]) => {
        if (!live) return;
        const points = (rs: Reading[]) => rs.map((r) => ({ t: Date.parse(r.device_time) / 1000, v: r.value }));
        setHistory({ level: points(level), rain: points(rain), spans, events, from: from / 1000, to: now / 1000 });
        setProblem(null);
      })
      .catch((e) => live && setProblem(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e)));
    return () => void (live = false);
  }, [paddy.id, period, props.tick]);

  const marks = useMemo<Mark[]>(
    () => (history?.events ?? []).map((e) => ({ t: Date.parse(e.at) / 1000, kind: e.kind, summary: e.summary })),
    [history],
  );
  const target = state?.target;
  return (
    <article class="card paddy-detail" aria-labelledby="paddy-detail-title">
      <h3 id="paddy-detail-title">{paddy.id}</h3>
      <dl class="water-now" aria-label={w("now")}>
        <dt>{w("level")}</dt><dd class="depth">{cm(state?.depth_cm)}</dd>
        <dt>{w("target")}</dt>
        <dd class="target">
          {target?.band_cm ? `${target.band_cm[0]}–${target.band_cm[1]} cm` : "—"}
          {target?.transition ? w("settling") : ""}
        </dd>
        <dt>{w("stage")}</dt>
        <dd>{lang.get() === "ja" ? target?.stage_ja : target?.stage}{target?.day != null ? ` (${w("day")} ${target.day})` : ""}</dd>
        <dt>{w("mode")}</dt><dd class="mode">{modeName(state?.mode ?? paddy.mode)}</dd>
        <dt>{roleName("inlet")}</dt><dd class="inlet">{gateText(state?.inlet ?? null)}</dd>
        {state?.outlet ? <><dt>{roleName("outlet")}</dt><dd class="outlet">{gateText(state.outlet)}</dd></> : null}
        <dt>{w("sensor")}</dt><dd class="sensor">{state ? sensorName(state.sensor) : "—"}{state?.sensor_reason ? `: ${state.sensor_reason}` : ""}</dd>
        <dt>{w("measured")}</dt><dd>{jst(state?.heard_at ?? null)}</dd>
        <dt>{w("today")}</dt><dd>{state ? `${state.water_today_m3} m³` : "—"}</dd>
      </dl>
      <GateControls paddy={paddy} state={state} tick={props.tick} onChanged={props.onChanged} />
      <h3 id="history-title">{w("history")}</h3>
      <div class="periods" role="group" aria-label={w("period")}>
        {(["h24", "d7", "season"] as Period[]).map((p) => (
          <button key={p} type="button" class="secondary" aria-pressed={p === period} onClick={() => setPeriod(p)}>{w(p)}</button>
        ))}
      </div>
      {problem ? <p class="problem" role="alert">{problem}</p> : null}
      {history ? (
        <>
          <Summary history={history} />
          <WaterChart level={history.level} rain={history.rain} spans={history.spans} marks={marks} from={history.from} to={history.to} />
          <Events events={history.events} />
        </>
      ) : null}
    </article>
  );
}

function Summary({ history }: { history: History }) {
  const values = history.level.map((p) => p.v);
  if (values.length === 0) return <p class="muted">{w("noReadings")}</p>;
  const judged = history.level.filter((p) => {
    const span = history.spans.find((s) => Date.parse(s.start) / 1000 <= p.t && p.t < Date.parse(s.end) / 1000);
    return span?.band_cm && !span.transition;
  });
  const within = judged.filter((p) => {
    const span = history.spans.find((s) => Date.parse(s.start) / 1000 <= p.t && p.t < Date.parse(s.end) / 1000)!;
    return span.band_cm![0] <= p.v && p.v <= span.band_cm![1];
  });
  const rain = history.rain.reduce((sum, p) => sum + p.v, 0);
  return (
    <p class="water-summary" aria-live="polite">
      <span>{w("latest")} <b class="latest">{cm(values[values.length - 1])}</b></span>
      <span>{w("lowest")} <b class="lowest">{cm(Math.min(...values))}</b></span>
      <span>{w("highest")} <b class="highest">{cm(Math.max(...values))}</b></span>
      <span><b class="count">{values.length}</b> {w("readings")}</span>
      {judged.length ? <span>{w("inBand")} <b class="in-band">{Math.round((100 * within.length) / judged.length)} %</b></span> : null}
      {history.rain.length ? <span>{w("rainSum")} <b class="rain">{rain.toFixed(1)} mm</b></span> : null}
    </p>
  );
}

function Events({ events }: { events: PaddyEvent[] }) {
  return (
    <details class="water-events" open>
      <summary>{w("events")} ({events.length})</summary>
      {events.length === 0 ? <p class="muted">{w("noEvents")}</p> : (
        <table class="table">
          <thead><tr><th scope="col">{w("when")}</th><th scope="col">{w("what")}</th><th scope="col">{w("by")}</th></tr></thead>
          <tbody>
            {events.slice(0, 50).map((e) => (
              <tr key={e.id} data-kind={e.kind}>
                <td>{jst(e.at)}</td>
                <td><span class={`chip event-${e.kind}`}>{eventName(e.kind)}</span> {e.summary}</td>
                <td>{e.by}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

function GateControls(props: { paddy: Paddy; state: WaterState | null; tick: number; onChanged: () => void }) {
  const { paddy } = props;
  const [minutes, setMinutes] = useState("60");
  const [reason, setReason] = useState("");
  const [overrides, setOverrides] = useState<Override[]>([]);
  const [answer, setAnswer] = useState<{ ok: boolean; text: string } | null>(null);
  const id = encodeURIComponent(paddy.id);
  const roles: ("inlet" | "outlet")[] = paddy.outlet_flow_m3_h > 0 ? ["inlet", "outlet"] : ["inlet"];

  useEffect(() => {
    get<Override[]>(`/paddies/${id}/overrides`).then(setOverrides).catch(() => setOverrides([]));
  }, [paddy.id, props.tick]);

  const refused = (e: unknown) =>
    setAnswer({ ok: false, text: `${w("refused")}: ${e instanceof ApiError ? e.detail || e.title : String(e)}` });

  async function set(role: "inlet" | "outlet", action: "open" | "close"): Promise<void> {
    try {
      const made = await post<Override>(`/paddies/${id}/overrides`, { role, action, minutes: Number(minutes), reason });
      const text = w("set").replace("{a}", actionName(made.action)).replace("{u}", jst(made.until));
      setAnswer({ ok: true, text: `${roleName(made.role)}${text}` });
      props.onChanged();
    } catch (e) {
      refused(e);
    }
  }

  async function end(override: Override): Promise<void> {
    try {
      await call<Override>("DELETE", `/paddies/${id}/overrides/${override.id}`);
      setAnswer({ ok: true, text: `${roleName(override.role)}: ${w("ended")}` });
      props.onChanged();
    } catch (e) {
      refused(e);
    }
  }

  return (
    <form class="gates" onSubmit={(e) => e.preventDefault()} aria-labelledby="gates-title">
      <h3 id="gates-title">{w("gates")}</h3>
      <p class="muted">{w("gatesWhy")}</p>
      <div class="gate-options">
        <label>{w("minutes")}
          <select value={minutes} onChange={(e) => setMinutes((e.currentTarget as HTMLSelectElement).value)}>
            <option value="30">{w("m30")}</option>
            <option value="60">{w("h1")}</option>
            <option value="180">{w("h3")}</option>
            <option value="720">{w("h12")}</option>
            <option value="1440">{w("day1")}</option>
          </select>
        </label>
        <label>{w("reason")}
          <input type="text" maxLength={500} value={reason} onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
        </label>
      </div>
      {roles.map((role) => (
        <fieldset key={role} class="gate">
          <legend>{roleName(role)}: {gateText(role === "inlet" ? props.state?.inlet ?? null : props.state?.outlet ?? null)}</legend>
          <button type="button" class="secondary" onClick={() => void set(role, "open")}>{roleName(role)}{lang.get() === "ja" ? "を" : ": "}{w("open")}</button>
          <button type="button" class="secondary" onClick={() => void set(role, "close")}>{roleName(role)}{lang.get() === "ja" ? "を" : ": "}{w("close")}</button>
        </fieldset>
      ))}
      {overrides.length ? (
        <ul class="overrides" aria-label={w("inForce")}>
          {overrides.map((o) => (
            <li key={o.id}>
              {w("inForce")}: {roleName(o.role)} {actionName(o.action)} — {jst(o.until)} {o.reason ? `(${o.reason})` : ""}{" "}
              <button type="button" class="primary" onClick={() => void end(o)}>{w("backToAuto")}</button>
            </li>
          ))}
        </ul>
      ) : null}
      {answer ? <p class={answer.ok ? "answer" : "problem"} role={answer.ok ? "status" : "alert"}>{answer.text}</p> : null}
    </form>
  );
}
