// What the paddy-water page reads from the API (api/routes/paddies.py, paddy_state.py,
// water_devices.py, water_warnings.py, GET /notifications), and how it says it.
import { lang } from "../i18n";

export interface Paddy {
  id: string;
  owner: string;
  farm: string;
  field_id: string | null;
  area_m2: number;
  levee_height_cm: number;
  outlet_flow_m3_h: number;
  transplanted_on: string | null;
  variety: string | null;
  mode: string;
}

export interface Gate {
  opening_pct: number | null;
  changed_at: string | null;
  waiting_for_ack: boolean;
  faulty: boolean;
}

export interface WaterState {
  paddy_id: string;
  mode: string;
  at: string | null;
  depth_cm: number | null;
  heard_at: string | null;
  sensor: string;
  sensor_reason: string;
  target: {
    stage: string;
    stage_ja: string;
    day: number | null;
    setpoint_cm: number | null;
    band_cm: [number, number] | null;
    transition: boolean;
  };
  within_band: boolean | null;
  inlet: Gate | null;
  outlet: Gate | null;
  water_today_m3: number;
  paddy_dam: string | null;
  alerts_in_force: string[];
}

export interface Device {
  id: string;
  kind: "sensor" | "gate";
  paddy_id: string | null;
  role: "inlet" | "outlet" | null;
  battery_pct: number | null;
  last_seen_at: string | null;
}

export interface Reading {
  device_id: string;
  metric: string;
  value: number;
  device_time: string;
}

export interface PaddyEvent {
  id: number;
  at: string;
  kind: string;
  by: string;
  summary: string;
}

export interface Override {
  id: number;
  role: "inlet" | "outlet";
  action: "open" | "close";
  until: string;
  by: string;
  reason: string;
}

export type { Notice } from "../api";

export interface RainWarning {
  id: number;
  area: string;
  starts_at: string;
  ends_at: string;
  reason: string;
}

type Names = Record<string, [string, string]>;
const say = (names: Names, key: string) => names[key]?.[lang.get() === "ja" ? 0 : 1] ?? key;

const MODES: Names = {
  auto: ["自動", "automatic"],
  safe: ["安全停止（給水停止）", "safe state (inlet shut)"],
  override: ["手動操作中", "set by hand"],
  paddy_dam: ["田んぼダム", "paddy dam"],
};

const ALERTS: Names = {
  level_out_of_band: ["水位が目標外", "level out of its band"],
  level_near_levee: ["畦畔に接近", "near the levee"],
  sensor_stale: ["センサー通信途絶", "sensor silent"],
  sensor_implausible: ["センサー値異常", "sensor implausible"],
  gate_fault: ["水門異常", "gate fault"],
  daily_limit: ["本日の給水上限", "daily water limit"],
  paddy_dam: ["田んぼダム", "paddy dam"],
  stage_change: ["生育段階の変更", "new stage"],
  recovered: ["復旧", "recovered"],
  daily_target: ["今日の目標", "today's target"],
};

const EVENTS: Names = {
  command: ["水門への命令", "gate command"],
  ack: ["水門の応答", "gate answer"],
  override: ["手動操作", "set by hand"],
  override_end: ["自動に戻す", "back to automatic"],
  alert: ["警報", "alert"],
  mode: ["モード変更", "mode change"],
};

const SENSOR: Names = {
  ok: ["正常", "ok"],
  stale: ["通信途絶", "silent"],
  clock: ["時計が進んでいる", "clock ahead"],
  out_of_range: ["範囲外の値", "out of range"],
  jump: ["急な変化", "implausible jump"],
  flat_line: ["値が動かない", "stuck flat"],
  unknown: ["未受信", "not heard yet"],
};

const ROLES: Names = { inlet: ["給水口", "Inlet"], outlet: ["排水口", "Outlet"] };
const ACTIONS: Names = { open: ["開", "open"], close: ["閉", "closed"] };

export const modeName = (mode: string) => say(MODES, mode);
export const alertName = (kind: string) => say(ALERTS, kind.replace(/^water\./, ""));
export const eventName = (kind: string) => say(EVENTS, kind);
export const sensorName = (verdict: string) => say(SENSOR, verdict);
export const roleName = (role: string) => say(ROLES, role);
export const actionName = (action: string) => say(ACTIONS, action);

/** A gate's position as the controller last set it: 開 / 閉 / 開 40 %, waiting, faulty. */
export function gateText(gate: Gate | null): string {
  const ja = lang.get() === "ja";
  if (!gate || gate.opening_pct === null) return ja ? "不明" : "unknown";
  const pct = gate.opening_pct;
  let text = pct === 0 ? actionName("close") : pct >= 100 ? actionName("open") : `${actionName("open")} ${pct} %`;
  if (gate.waiting_for_ack) text += ja ? "（応答待ち）" : " (waiting for the gate)";
  if (gate.faulty) text += ja ? "（故障）" : " (fault)";
  return text;
}

export const cm = (v: number | null | undefined) => (v == null ? "—" : `${v.toFixed(1)} cm`);

/** Where the level stands against the band: "ok", "low", "high", or null (no band now). */
export function standing(state: WaterState | null): "ok" | "low" | "high" | "none" | "unknown" {
  if (!state || state.depth_cm === null) return "unknown";
  const band = state.target.band_cm;
  if (!band) return "none";
  if (state.depth_cm < band[0]) return "low";
  if (state.depth_cm > band[1]) return "high";
  return "ok";
}

/** Silent for longer than the controller waits before calling the sensor stale (30 min). */
export const silent = (iso: string | null) => !iso || Date.now() - Date.parse(iso) > 30 * 60_000;
