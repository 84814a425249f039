// Operators: the missions to approve and to watch, the fleet flying them live on the map,
// and the flight logs (飛行日誌) to read and download.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  ApiError, download, exchange, fleetStream, get, getAll, liveStream,
  type Field, type FleetVehicle, type FlightLogRow, type LiveVehicle, type Mission, type Page,
} from "../api";
import { jst, stateName, t, words } from "../i18n";

const w = words({
  idle: { ja: "待機中", en: "on the ground" },
  unreachable: { ja: "未接続", en: "not reachable" },
  flyingMission: { ja: "ミッション", en: "mission" },
  flyingDelivery: { ja: "配送", en: "delivery" },
  tankLeft: { ja: "タンク残量", en: "Tank left" },
  doing: { ja: "作業", en: "Work" },
  fleetTable: { ja: "機体一覧", en: "The fleet" },
  downloadPdf: { ja: "PDF（様式1）でダウンロード", en: "Download as PDF (the MLIT form)" },
});
import { FieldMap, shapes } from "../map";
import { PlanLegend, planWords, useMissionPlan } from "../plan";

const LIVE = new Set(["dispatched", "flying"]);

export function OperationsPage() {
  const [missions, setMissions] = useState<Mission[] | null>(null);
  const [fields, setFields] = useState<Field[]>([]);
  const [logs, setLogs] = useState<FlightLogRow[]>([]);
  const [live, setLive] = useState<Record<number, LiveVehicle>>({});
  const [trails, setTrails] = useState<Record<number, [number, number][]>>({});
  const [fleet, setFleet] = useState<FleetVehicle[]>([]);
  const [fieldsLoaded, setFieldsLoaded] = useState(false);
  const [plan, showPlan] = useMissionPlan((message) => setProblem(message));
  const [problem, setProblem] = useState<string | null>(null);
  const streams = useRef(new Map<number, () => void>());

  async function load(): Promise<void> {
    try {
      const rows = (await get<Page<Mission>>("/missions?limit=100")).data;
      setMissions(rows);
      setLogs((await get<Page<FlightLogRow>>("/flight-logs?limit=500")).data.slice(-20).reverse());
      for (const m of rows) {
        if (LIVE.has(m.status) && !streams.current.has(m.id)) {
          const stop = liveStream(m.id, (message) => {
            const vehicle = message.vehicle;
            if (vehicle) setLive((now) => ({ ...now, [m.id]: vehicle }));
            if (vehicle?.armed && vehicle.lat_deg !== null && vehicle.lon_deg !== null) {
              const here: [number, number] = [vehicle.lon_deg, vehicle.lat_deg];
              setTrails((now) => ({ ...now, [m.id]: [...(now[m.id] ?? []), here] }));
            }
            if (!LIVE.has(message.mission.status)) void load();
          });
          streams.current.set(m.id, stop);
        }
      }
    } catch (e) {
      setProblem(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }

  useEffect(() => {
    void load();
    getAll<Field>("/fields")
      .then((rows) => {
        setFields(rows);
        setFieldsLoaded(true);
      })
      .catch(() => undefined);
    const every = window.setInterval(() => void load(), 2000);
    const stopFleet = fleetStream((message) => setFleet(message.vehicles));
    return () => {
      window.clearInterval(every);
      stopFleet();
      for (const stop of streams.current.values()) stop();
    };
  }, []);

  async function act(m: Mission, action: "approve" | "reject" | "abort"): Promise<void> {
    try {
      // The change names the version the operator saw (If-Match, the mission's ETag): a
      // mission changed meanwhile is refused (412), not overwritten.
      const etag = `"mission-${m.id}-v${m.version}"`;
      if (action === "approve") await exchange<Mission>("POST", `/missions/${m.id}/approve`, undefined, etag);
      else if (action === "reject") await exchange<Mission>("POST", `/missions/${m.id}/reject`, { reason: "" }, etag);
      else await exchange<Mission>("POST", `/missions/${m.id}/abort`, { reason: t("abortReason") }, etag);
      await load();
    } catch (e) {
      setProblem(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }

  const fieldData = useMemo(() => shapes(fields), [fields]);
  // Every vehicle the service hears, from the fleet's stream (the missions' streams draw
  // the paths flown).
  const vehicleData = useMemo(() => ({
    type: "FeatureCollection" as const,
    features: fleet
      .filter((v) => v.connected && v.lat_deg != null && v.lon_deg != null)
      .map((v) => ({
        type: "Feature" as const,
        geometry: { type: "Point" as const, coordinates: [v.lon_deg as number, v.lat_deg as number] },
        properties: { registration: v.registration, armed: Boolean(v.armed) },
      })),
  }), [fleet]);
  const pathData = useMemo(() => ({
    type: "FeatureCollection" as const,
    features: Object.entries(trails)
      .filter(([, points]) => points.length > 1)
      .map(([id, points]) => ({
        type: "Feature" as const,
        geometry: { type: "LineString" as const, coordinates: points },
        properties: { mission: Number(id) },
      })),
  }), [trails]);

  return (
    <div class="split">
      <section class="pane-map">
        <FieldMap label={t("fleet")} fields={fieldData} vehicles={vehicleData} paths={pathData} loaded={fieldsLoaded} plan={plan?.legs ?? null} />
      </section>
      <section class="pane-side">
        {problem ? <p class="problem" role="alert">{problem}</p> : null}
        <h2>{t("missions")}</h2>
        {missions === null ? <p>{t("loading")}</p> : missions.length === 0 ? <p>{t("noMissions")}</p> : (
          <table class="table missions">
            <thead><tr><th>#</th><th>{t("fields")}</th><th>{t("status")}</th><th>{t("slot")}</th><th /></tr></thead>
            <tbody>
              {missions.map((m) => (
                <tr key={m.id} data-mission={m.id}>
                  <td>{m.id}</td>
                  <td>{m.kind === "spray" ? t("spray") : t("survey")}: {m.field_ids.join(", ")}</td>
                  <td class={`state state-${m.status}`}>{stateName(m.status)}{m.reason ? ` — ${m.reason}` : ""}</td>
                  <td>{m.vehicle ?? ""} {jst(m.slot_start)}</td>
                  <td class="actions">
                    <button type="button" class="secondary" aria-pressed={plan?.id === m.id} onClick={() => void showPlan(m.id)}>
                      {planWords("showPath")}
                    </button>
                    {m.status === "requested" ? (
                      <>
                        <button type="button" class="primary" onClick={() => act(m, "approve")}>{t("approve")}</button>
                        <button type="button" class="secondary" onClick={() => act(m, "reject")}>{t("reject")}</button>
                      </>
                    ) : null}
                    {LIVE.has(m.status) ? (
                      <button type="button" class="danger" onClick={() => act(m, "abort")}>{t("abort")}</button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {plan ? <PlanLegend id={plan.id} plan={plan.legs} /> : null}
        {Object.entries(live).map(([id, v]) => (
          <div class="card live" key={id} aria-live="polite" data-mission={id}>
            <h3>#{id} {v.registration}</h3>
            <dl>
              <dt>{t("mode")}</dt><dd class="mode">{v.mode ?? "—"}{v.armed ? ` · ${t("armed")}` : ""}</dd>
              <dt>{t("battery")}</dt><dd class="battery">{v.battery_pct !== null ? `${Math.round(v.battery_pct)} %` : "—"}</dd>
              <dt>{t("altitude")}</dt><dd>{v.alt_rel_m !== null ? `${v.alt_rel_m.toFixed(1)} m` : "—"}</dd>
              <dt>{t("speed")}</dt><dd>{v.groundspeed_m_s !== null ? `${v.groundspeed_m_s.toFixed(1)} m/s` : "—"}</dd>
              <dt>{t("missionItem")}</dt><dd>{v.mission_seq ?? "—"} / {v.mission_total ?? "—"}</dd>
              <dt>{t("sortie")}</dt><dd>{v.sortie} / {v.sorties}</dd>
            </dl>
          </div>
        ))}
        <h2>{w("fleetTable")}</h2>
        <table class="table fleet" aria-live="polite">
          <thead>
            <tr><th>{t("vehicle")}</th><th>{w("doing")}</th><th>{t("mode")}</th><th>{t("battery")}</th><th>{t("altitude")}</th><th>{w("tankLeft")}</th></tr>
          </thead>
          <tbody>
            {fleet.map((v) => (
              <tr key={v.registration} data-vehicle={v.registration} class={v.connected ? "" : "muted"}>
                <td>{v.registration}</td>
                <td class="doing">{doing(v)}</td>
                <td class="mode">{v.connected ? `${v.mode ?? "—"}${v.armed ? ` · ${t("armed")}` : ""}` : "—"}</td>
                <td class="battery">{v.battery_pct != null && v.connected ? `${Math.round(v.battery_pct)} %` : "—"}</td>
                <td>{v.alt_rel_m != null && v.connected ? `${v.alt_rel_m.toFixed(1)} m` : "—"}</td>
                <td>{v.tank_left_l != null ? `~${v.tank_left_l.toFixed(1)} / ${v.tank_l} L` : v.tank_l ? `${v.tank_l} L` : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>{t("flightLogs")}</h2>
        <button type="button" class="secondary" onClick={() => void download("/flight-logs.csv", "flight-logs.csv")}>
          {t("downloadCsv")}
        </button>{" "}
        <button type="button" class="secondary" onClick={() => void download("/flight-logs.pdf", "flight-logs.pdf")}>
          {w("downloadPdf")}
        </button>
        <table class="table logs">
          <thead><tr><th>{t("vehicle")}</th><th>{t("takeoff")}</th><th>{t("flightTime")}</th><th>{t("pilot")}</th></tr></thead>
          <tbody>
            {logs.map((log) => (
              <tr key={log.flight_id}>
                <td>{log.registration}</td>
                <td>{jst(log.takeoff_at)}</td>
                <td>{log.flight_time_s !== null ? `${Math.round(log.flight_time_s / 60)} min` : "—"}</td>
                <td>{log.pilot}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function doing(v: FleetVehicle): string {
  if (v.mission_id != null) return `${w("flyingMission")} #${v.mission_id} (${t("sortie")} ${v.sortie}/${v.sorties})`;
  if (v.delivery_id != null) return `${w("flyingDelivery")} ${v.delivery_id.slice(0, 8)}`;
  if (!v.connected) return v.why ? `${w("unreachable")}: ${v.why}` : w("unreachable");
  return w("idle");
}
