// The farmer's paddy water (水管理): their paddies on the map and in a list with the water
// now against its target, the gates, the sensor's battery and last word, the alerts; one
// paddy's history, its gates by hand and back to automatic (water-detail.tsx).
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, get, getAll, post, type Field, type Page } from "../api";
import { jst, lang, t, words } from "../i18n";
import { FieldMap, shapes } from "../map";
import { PaddyDetail } from "./water-detail";
import {
  alertName, cm, gateText, modeName, roleName, silent, standing,
  type Device, type Notice, type Paddy, type RainWarning, type WaterState,
} from "./water-model";
import "./water.css";

const w = words({
  title: { ja: "水管理", en: "Paddy water" },
  paddies: { ja: "水田", en: "Paddies" },
  none: { ja: "水管理する水田はまだありません。", en: "No paddies are under water control yet." },
  refresh: { ja: "最新にする", en: "Refresh" },
  updated: { ja: "更新", en: "Updated" },
  target: { ja: "目標", en: "target" },
  noBand: { ja: "目標水位なし", en: "no target depth" },
  ok: { ja: "適正", en: "on target" },
  low: { ja: "低い", en: "low" },
  high: { ja: "高い", en: "high" },
  unknown: { ja: "水位不明", en: "level unknown" },
  noneNow: { ja: "判定なし", en: "not judged" },
  battery: { ja: "電池", en: "Battery" },
  heard: { ja: "最終受信", en: "Last heard" },
  noSensor: { ja: "水位センサー未登録", en: "no level sensor" },
  silent: { ja: "30分以上受信なし", en: "silent for 30 min or more" },
  alerts: { ja: "お知らせ（水管理）", en: "Water notices" },
  noAlerts: { ja: "水管理のお知らせはありません。", en: "No water notices." },
  markRead: { ja: "既読にする", en: "Mark read" },
  unread: { ja: "未読", en: "unread" },
  warning: { ja: "大雨警報", en: "Heavy-rain warning" },
  wholeCity: { ja: "市全域", en: "the whole city" },
  until: { ja: "まで", en: "until" },
  level: { ja: "水位", en: "Water level" },
});

export function WaterPage() {
  const [paddies, setPaddies] = useState<Paddy[] | null>(null);
  const [fields, setFields] = useState<Field[]>([]);
  const [states, setStates] = useState<Record<string, WaterState | null>>({});
  const [devices, setDevices] = useState<Device[]>([]);
  const [warnings, setWarnings] = useState<RainWarning[]>([]);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loadedAt, setLoadedAt] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  async function load(): Promise<void> {
    try {
      const mine = await getAll<Paddy>("/paddies");
      const [fieldList, deviceList, warningList, noticePage, stateList] = await Promise.all([
        getAll<Field>("/fields"),
        getAll<Device>("/water-devices"),
        get<RainWarning[]>("/water-warnings"),
        get<Page<Notice>>("/notifications?limit=100"),
        Promise.all(mine.map((p) => get<WaterState>(`/paddies/${encodeURIComponent(p.id)}/state`).catch(() => null))),
      ]);
      setPaddies(mine);
      setFields(fieldList);
      setDevices(deviceList);
      setWarnings(warningList);
      setNotices(noticePage.data.filter((n) => n.kind.startsWith("water.")));
      setStates(Object.fromEntries(mine.map((p, i) => [p.id, stateList[i]])));
      setChosen((now) => now ?? mine[0]?.id ?? null);
      setLoadedAt(new Date().toISOString());
      setProblem(null);
    } catch (e) {
      setProblem(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }
  useEffect(() => void load(), [tick]);
  useEffect(() => {
    const every = setInterval(() => setTick((n) => n + 1), 60_000);
    return () => clearInterval(every);
  }, []);

  const byField = useMemo(() => new Map((paddies ?? []).filter((p) => p.field_id).map((p) => [p.field_id!, p.id])), [paddies]);
  const fieldData = useMemo(() => shapes(fields.filter((f) => byField.has(f.id))), [fields, byField]);
  const paddy = paddies?.find((p) => p.id === chosen) ?? null;
  const sensorOf = (id: string) => devices.find((d) => d.kind === "sensor" && d.paddy_id === id) ?? null;

  async function markRead(id: number): Promise<void> {
    try {
      const read = await post<Notice>(`/notifications/${id}/read`);
      setNotices((now) => now.map((n) => (n.id === id ? read : n)));
    } catch (e) {
      setProblem(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }

  const mineWarnings = warnings.filter((x) => x.area === "*" || (paddies ?? []).some((p) => p.farm === x.area));
  return (
    <div class="split water">
      <section class="pane-map">
        <FieldMap
          label={w("paddies")}
          fields={fieldData}
          selected={paddy?.field_id ? [paddy.field_id] : []}
          onPick={(fieldId) => setChosen(byField.get(fieldId) ?? chosen)}
          loaded={paddies !== null}
        />
      </section>
      <section class="pane-side">
        <div class="water-head">
          <h2>{w("title")}</h2>
          <button type="button" class="secondary" onClick={() => setTick((n) => n + 1)}>{w("refresh")}</button>
          <span class="muted">{w("updated")}: {jst(loadedAt)}</span>
        </div>
        {mineWarnings.map((x) => (
          <p key={x.id} class="water-warning" role="alert">
            <b>{w("warning")}</b> ({x.area === "*" ? w("wholeCity") : x.area}) {x.reason} —{" "}
            {lang.get() === "ja" ? `${jst(x.ends_at)} ${w("until")}` : `${w("until")} ${jst(x.ends_at)}`}
          </p>
        ))}
        {problem ? <p class="problem" role="alert">{problem}</p> : null}
        <h3>{w("alerts")}</h3>
        {notices.length === 0 ? <p class="muted">{w("noAlerts")}</p> : (
          <ul class="water-notices">
            {notices.map((n) => (
              <li key={n.id} class={n.read_at ? "read" : "unread"}>
                <span class="when">{jst(n.created_at)}</span> <span class="chip alert">{alertName(n.kind)}</span>{" "}
                {lang.get() === "ja" ? n.text_ja : n.text_en}
                {n.read_at ? null : (
                  <> <span class="muted">({w("unread")})</span>{" "}
                    <button type="button" class="secondary" onClick={() => void markRead(n.id)}>{w("markRead")}</button>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
        {paddies === null ? <p>{t("loading")}</p> : paddies.length === 0 ? <p>{w("none")}</p> : (
          <ul class="paddy-list" aria-label={w("paddies")}>
            {paddies.map((p) => (
              <PaddyRow key={p.id} paddy={p} state={states[p.id] ?? null} sensor={sensorOf(p.id)}
                chosen={p.id === chosen} onChoose={() => setChosen(p.id)} />
            ))}
          </ul>
        )}
        {paddy ? (
          <PaddyDetail key={paddy.id} paddy={paddy} state={states[paddy.id] ?? null} tick={tick}
            onChanged={() => setTick((n) => n + 1)} />
        ) : null}
      </section>
    </div>
  );
}

function PaddyRow(props: { paddy: Paddy; state: WaterState | null; sensor: Device | null; chosen: boolean; onChoose: () => void }) {
  const { paddy, state, sensor } = props;
  const band = state?.target.band_cm ?? null;
  const where = standing(state);
  const label = { ok: w("ok"), low: w("low"), high: w("high"), none: w("noneNow"), unknown: w("unknown") }[where];
  return (
    <li class={props.chosen ? "paddy chosen" : "paddy"} data-paddy={paddy.id}>
      <button type="button" class="paddy-pick" aria-pressed={props.chosen} onClick={props.onChoose}>
        <span class="paddy-name">{paddy.id}</span>
        <span class="muted">{lang.get() === "ja" ? state?.target.stage_ja : state?.target.stage}</span>
      </button>
      <div class="paddy-now">
        <span class="level" aria-label={w("level")}>{cm(state?.depth_cm)}</span>
        {state?.depth_cm != null && band ? (
          <meter min={0} max={Math.max(paddy.levee_height_cm, band[1] + 1)} low={band[0]} high={band[1]}
            optimum={(band[0] + band[1]) / 2} value={state.depth_cm} aria-label={w("level")} />
        ) : null}
        <span class="band">{band ? `${w("target")} ${band[0]}–${band[1]} cm` : w("noBand")}</span>
        <span class={`chip standing-${where}`}>{label}</span>
      </div>
      <div class="paddy-more muted">
        <span>{modeName(state?.mode ?? paddy.mode)}</span>
        <span>{roleName("inlet")}: {gateText(state?.inlet ?? null)}</span>
        {state?.outlet ? <span>{roleName("outlet")}: {gateText(state.outlet)}</span> : null}
        {sensor ? (
          <>
            <span>{w("battery")}: {sensor.battery_pct == null ? "—" : `${Math.round(sensor.battery_pct)} %`}</span>
            <span class={silent(sensor.last_seen_at) ? "late" : ""}>
              {w("heard")}: {jst(sensor.last_seen_at)}{silent(sensor.last_seen_at) ? ` (${w("silent")})` : ""}
            </span>
          </>
        ) : <span>{w("noSensor")}</span>}
      </div>
      {state && state.alerts_in_force.length ? (
        <div class="paddy-alerts" role="status">
          {state.alerts_in_force.map((a) => <span key={a} class="chip alert">{alertName(a)}</span>)}
        </div>
      ) : null}
    </li>
  );
}
