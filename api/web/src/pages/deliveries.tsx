// A pharmacy requests a delivery and follows it; a resident sees those for them.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, call, get, post, type Delivery, type Depot, type DropPoint, type Page } from "../api";
import { jst, stateName, t, words } from "../i18n";
import { FieldMap } from "../map";

const NOTHING = { type: "FeatureCollection" as const, features: [] };
const CARRIED = new Set(["loading", "in_flight", "arrived", "released", "confirmed"]);

const w = words({
  droneNow: { ja: "ドローンの現在地", en: "The drone now" },
});

interface DronePosition {
  vehicle: string;
  lat_deg: number;
  lon_deg: number;
  alt_rel_m: number | null;
  groundspeed_m_s: number | null;
}

export function DeliveriesPage(props: { canRequest: boolean; me: string }) {
  const [drops, setDrops] = useState<DropPoint[]>([]);
  const [depots, setDepots] = useState<Depot[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load(): Promise<void> {
    try {
      setDrops((await get<Page<DropPoint>>("/drop-points?limit=200")).data);
      setDepots((await get<Page<Depot>>("/depots?limit=50")).data);
      setRows((await get<Page<Delivery>>("/deliveries?limit=50")).data);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }
  useEffect(() => {
    void load();
    const every = window.setInterval(() => void load(), 5000); // follow the flights
    return () => window.clearInterval(every);
  }, []);

  async function confirm(d: Delivery): Promise<void> {
    try {
      await post<Delivery>(`/deliveries/${d.id}/confirm`, {});
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }

  // The map: depots and drop points; the chosen delivery's drop point larger, its route
  // from the depot drawn once it is booked.
  const followed = rows?.find((d) => d.id === chosen) ?? rows?.[0];
  const places = useMemo(() => ({
    type: "FeatureCollection" as const,
    features: [
      ...depots.map((p) => ({ type: "Feature" as const, geometry: { type: "Point" as const, coordinates: [p.lon_deg, p.lat_deg] }, properties: { id: p.id, kind: "depot", chosen: false } })),
      ...drops.map((p) => ({ type: "Feature" as const, geometry: { type: "Point" as const, coordinates: [p.lon_deg, p.lat_deg] }, properties: { id: p.id, kind: "drop", chosen: p.id === followed?.drop_point_id } })),
    ],
  }), [depots, drops, followed?.drop_point_id]);
  // The drone carrying the followed parcel, once a second while it does.
  const [drone, setDrone] = useState<DronePosition | null>(null);
  const carried = followed && CARRIED.has(followed.state) ? followed.id : null;
  useEffect(() => {
    setDrone(null);
    if (!carried) return;
    const look = () =>
      get<DronePosition>(`/deliveries/${carried}/position`).then(setDrone).catch(() => setDrone(null));
    void look();
    const every = window.setInterval(look, 1000);
    return () => window.clearInterval(every);
  }, [carried]);
  const drones = useMemo(() => drone ? {
    type: "FeatureCollection" as const,
    features: [{ type: "Feature" as const, geometry: { type: "Point" as const, coordinates: [drone.lon_deg, drone.lat_deg] }, properties: { registration: drone.vehicle, armed: true } }],
  } : NOTHING, [drone]);

  const route = useMemo(() => {
    const depot = depots.find((p) => p.id === followed?.trip?.depot_id);
    const drop = drops.find((p) => p.id === followed?.drop_point_id);
    if (!depot || !drop) return NOTHING;
    return {
      type: "FeatureCollection" as const,
      features: [{ type: "Feature" as const, properties: {}, geometry: { type: "LineString" as const, coordinates: [[depot.lon_deg, depot.lat_deg], [drop.lon_deg, drop.lat_deg]] } }],
    };
  }, [depots, drops, followed?.trip?.depot_id, followed?.drop_point_id]);

  return (
    <div class="split">
      <section class="pane-map">
        <FieldMap label={t("deliveries")} fields={NOTHING} places={places} paths={route} vehicles={drones} />
      </section>
      <section class="pane-side">
      {error ? <p class="problem" role="alert">{error}</p> : null}
      {drone ? (
        <p class="card drone-now" aria-live="polite" data-vehicle={drone.vehicle}>
          {w("droneNow")}: {drone.vehicle} · {t("altitude")} {drone.alt_rel_m != null ? `${drone.alt_rel_m.toFixed(0)} m` : "—"}
          {" "}· {t("speed")} {drone.groundspeed_m_s != null ? `${drone.groundspeed_m_s.toFixed(1)} m/s` : "—"}
        </p>
      ) : null}
      {props.canRequest ? <DeliveryForm drops={drops} onDone={load} /> : null}
      <h2>{t("deliveries")}</h2>
      {rows === null ? <p>{t("loading")}</p> : rows.length === 0 ? <p>{t("noDeliveries")}</p> : (
        <ul class="deliveries">
          {rows.map((d) => (
            <li key={d.id} class={d.id === followed?.id ? "card followed" : "card"} data-delivery={d.id} onClick={() => setChosen(d.id)}>
              <h3>
                {d.items.map((i) => i.name).join("、")} → {drops.find((p) => p.id === d.drop_point_id)?.name ?? d.drop_point_id}
                {" "}<span class={`state state-${d.state}`}>{stateName(d.state)}</span>
              </h3>
              <p class="muted">
                {t("fee")} {d.fee_yen !== null ? `¥${d.fee_yen.toLocaleString("ja-JP")}` : "—"}
                {d.trip ? ` · ${d.trip.vehicle_id} · ${jst(d.trip.drop_at)}` : ""}
              </p>
              {d.state === "released" && d.recipient.resident_id === props.me ? (
                <button type="button" class="primary" onClick={() => void confirm(d)}>{t("received")}</button>
              ) : null}
              <details>
                <summary>{t("timeline")}</summary>
                <ol class="timeline">
                  {d.timeline.map((e, n) => (
                    <li key={n}>
                      <time>{jst(e.at)}</time> {stateName(e.to_state)} <span class="muted">{e.by}{e.note ? ` — ${e.note}` : ""}</span>
                    </li>
                  ))}
                </ol>
              </details>
            </li>
          ))}
        </ul>
      )}
      </section>
    </div>
  );
}

function DeliveryForm(props: { drops: DropPoint[]; onDone: () => Promise<void> }) {
  const [drop, setDrop] = useState("");
  const [item, setItem] = useState("");
  const [weight, setWeight] = useState("0.3");
  const [temperature, setTemperature] = useState("ambient");
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [resident, setResident] = useState("");
  const [answer, setAnswer] = useState<string | null>(null);
  const [key, setKey] = useState(() => crypto.randomUUID());

  async function send(e: Event): Promise<void> {
    e.preventDefault();
    const body = {
      items: [{ name: item, weight_kg: Number(weight), size_cm: [20, 15, 8], temperature }],
      recipient: resident ? { resident_id: resident } : { name, phone },
      drop_point_id: drop || props.drops[0]?.id,
    };
    try {
      // One key per filled-in form: a double click or a retry makes one delivery, not two.
      const made = await call<Delivery>("POST", "/deliveries", body, undefined, { "Idempotency-Key": key });
      setAnswer(`${stateName(made.state)} · ${t("fee")} ¥${(made.fee_yen ?? 0).toLocaleString("ja-JP")}`);
      setKey(crypto.randomUUID()); // the next request is another delivery
      await props.onDone();
    } catch (error) {
      setAnswer(error instanceof ApiError ? `${t("error")}: ${error.detail || error.title}` : String(error));
    }
  }

  const value = (set: (v: string) => void) => (e: Event) => set((e.currentTarget as HTMLInputElement).value);
  return (
    <form class="card" onSubmit={send} aria-labelledby="delivery-form-title">
      <h2 id="delivery-form-title">{t("requestDelivery")}</h2>
      <label>{t("dropPoint")}
        <select value={drop} onChange={value(setDrop)} required>
          {props.drops.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.id})</option>)}
        </select>
      </label>
      <label>{t("item")}<input type="text" required maxLength={200} value={item} onInput={value(setItem)} /></label>
      <label>{t("weight")}<input type="number" min="0.01" step="0.01" required value={weight} onInput={value(setWeight)} /></label>
      <label>{t("temperature")}
        <select value={temperature} onChange={value(setTemperature)}>
          <option value="ambient">{t("ambient")}</option>
          <option value="cool">{t("cool")}</option>
          <option value="frozen">{t("frozen")}</option>
        </select>
      </label>
      <label>{t("recipientId")}<input type="text" value={resident} onInput={value(setResident)} /></label>
      <label>{t("recipientName")}<input type="text" required={!resident} disabled={!!resident} value={name} onInput={value(setName)} /></label>
      <label>{t("recipientPhone")}<input type="tel" required={!resident} disabled={!!resident} value={phone} onInput={value(setPhone)} /></label>
      <button type="submit">{t("send")}</button>
      {answer ? <p role="status" class="answer">{answer}</p> : null}
    </form>
  );
}
