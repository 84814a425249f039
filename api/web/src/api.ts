// Every call the console makes goes through here, to Tanbo's own API (same origin) with
// the signed-in person's bearer token; an RFC 9457 problem document becomes an ApiError.

const TOKEN_KEY = "tanbo.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail || title);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

const LOGIN_STATE_KEY = "tanbo.login-state";

/** Where the login button goes: the city identity, then back here with the token and the
 * random state kept in this tab (a token that comes back with another state is refused, so
 * nobody can slip their own login into this tab by a link). */
export function loginUrl(): string {
  const state = crypto.randomUUID().replaceAll("-", "");
  sessionStorage.setItem(LOGIN_STATE_KEY, state);
  return `/auth/login?return_to=/console/&console_state=${state}`;
}

/** Take the token the login left in the address's fragment, if this tab began that login;
 * clear it from the address either way. False: a token was there and was refused. */
export function adoptTokenFromFragment(): boolean {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const access = fragment.get("access_token");
  if (!access) return true;
  const expected = sessionStorage.getItem(LOGIN_STATE_KEY);
  sessionStorage.removeItem(LOGIN_STATE_KEY);
  history.replaceState(null, "", location.pathname + "#/");
  if (!expected || fragment.get("state") !== expected) return false;
  sessionStorage.setItem(TOKEN_KEY, access);
  return true;
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  ifMatch?: string,
  extra?: Record<string, string>,
): Promise<T> {
  return (await exchange<T>(method, path, body, ifMatch, extra)).data;
}

/** A call's answer with its ETag (what a later change names in If-Match). */
export async function exchange<T>(
  method: string,
  path: string,
  body?: unknown,
  ifMatch?: string,
  extra?: Record<string, string>,
): Promise<{ data: T; etag: string | null }> {
  const headers: Record<string, string> = { Accept: "application/json", ...extra };
  if (ifMatch) headers["If-Match"] = ifMatch;
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const answer = await fetch(path, { method, headers, body: payload });
  const etag = answer.headers.get("ETag");
  if (answer.status === 204) return { data: undefined as T, etag };
  const text = await answer.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!answer.ok) {
    const problem = (parsed ?? {}) as { title?: string; detail?: string };
    throw new ApiError(answer.status, problem.title ?? answer.statusText, problem.detail ?? "");
  }
  return { data: parsed as T, etag };
}

/** A file the API answers (a CSV), saved by the browser under ``name``. */
export async function download(path: string, name: string): Promise<void> {
  const bearer = token();
  const answer = await fetch(path, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
  if (!answer.ok) throw new ApiError(answer.status, answer.statusText, await answer.text());
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await answer.blob());
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

/** The live stream of a flying mission (WebSocket, the token as a query parameter). */
export function liveStream(missionId: number, onMessage: (message: LiveMessage) => void): () => void {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(
    `${scheme}://${location.host}/missions/${missionId}/live?access_token=${encodeURIComponent(token() ?? "")}`,
  );
  socket.onmessage = (event) => onMessage(JSON.parse(String(event.data)) as LiveMessage);
  return () => socket.close();
}

/** The whole fleet, twice a second, for the crew (``GET /fleet/status`` as a stream). */
export function fleetStream(onMessage: (message: FleetStatus) => void): () => void {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(
    `${scheme}://${location.host}/fleet/live?access_token=${encodeURIComponent(token() ?? "")}`,
  );
  socket.onmessage = (event) => onMessage(JSON.parse(String(event.data)) as FleetStatus);
  return () => socket.close();
}

export interface FleetVehicle {
  registration: string;
  model: string;
  tank_l: number;
  linked: boolean;
  connected: boolean;
  why: string | null;
  mode?: string | null;
  armed?: boolean | null;
  lat_deg?: number | null;
  lon_deg?: number | null;
  alt_rel_m?: number | null;
  heading_deg?: number | null;
  groundspeed_m_s?: number | null;
  battery_pct?: number | null;
  mission_id: number | null;
  sortie: number | null;
  sorties: number | null;
  tank_left_l: number | null;
  delivery_id: string | null;
}

export interface FleetStatus {
  at: string;
  watching: boolean;
  vehicles: FleetVehicle[];
}

export interface LiveVehicle {
  registration: string;
  sortie: number;
  sorties: number;
  connected: boolean;
  mode: string | null;
  armed: boolean;
  lat_deg: number | null;
  lon_deg: number | null;
  alt_rel_m: number | null;
  groundspeed_m_s: number | null;
  battery_pct: number | null;
  mission_seq: number | null;
  mission_total: number | null;
}

export interface LiveMessage {
  mission: { id: number; status: string };
  vehicle: LiveVehicle | null;
}

/** A notice to the signed-in person (GET /notifications), in both languages. */
export interface Notice {
  id: number;
  kind: string;
  text_ja: string;
  text_en: string;
  created_at: string;
  read_at: string | null;
}

export interface FlightLogRow {
  flight_id: string;
  registration: string;
  pilot: string;
  purpose: string;
  takeoff_at: string | null;
  landing_at: string | null;
  flight_time_s: number | null;
}

export const get = <T,>(path: string) => call<T>("GET", path);

/** Every item of a paged listing (``path`` without limit or offset), 500 a page. */
export async function getAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  const join = path.includes("?") ? "&" : "?";
  for (;;) {
    const page = await get<Page<T>>(`${path}${join}limit=500&offset=${items.length}`);
    items.push(...page.data);
    if (page.data.length === 0 || items.length >= page.count) return items;
  }
}
export const post = <T,>(path: string, body?: unknown) => call<T>("POST", path, body);

export interface Page<T> {
  data: T[];
  count: number;
  limit: number;
  offset: number;
}

export interface Me {
  id: string;
  display_name: string;
  roles: string[];
}

export interface Field {
  id: string;
  owner: string;
  name: string | null;
  crop: string | null;
  area_ha: number;
  geometry: GeoJSON.Geometry;
}

export interface Zone {
  id: string;
  kind: string;
  name: string | null;
  geometry: GeoJSON.Geometry;
}

export interface ImportResult {
  source: string;
  features: number;
  created: string[];
  updated: string[];
  rejected: { feature: string; reason: string }[];
  repaired: { feature: string; reason: string }[];
}

export interface Mission {
  id: number;
  owner: string;
  version: number;
  kind: "spray" | "survey";
  field_ids: string[];
  status: string;
  reason: string | null;
  window_start: string;
  window_end: string;
  vehicle: string | null;
  slot_start: string | null;
  area_ha: number;
  sorties: number;
  created_at: string;
}

export interface DropPoint {
  id: string;
  name: string;
  lat_deg: number;
  lon_deg: number;
  kind: string;
}

export interface TimelineEntry {
  at: string;
  from_state: string | null;
  to_state: string;
  by: string;
  note: string;
}

export interface Depot {
  id: string;
  name: string;
  lat_deg: number;
  lon_deg: number;
}

export interface Delivery {
  id: string;
  state: string;
  recipient: { resident_id: string | null; name: string | null };
  drop_point_id: string;
  items: { name: string; weight_kg: number }[];
  fee_yen: number | null;
  charge_status: string | null;
  trip: { vehicle_id: string; depot_id: string; takeoff_at: string; drop_at: string } | null;
  timeline: TimelineEntry[];
  created_at: string;
}
