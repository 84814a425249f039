// A pharmacy requests a delivery and follows it; a resident sees those for them.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, post, type Delivery, type DropPoint, type Page } from "../api";
import { jst, stateName, t } from "../i18n";

export function DeliveriesPage(props: { canRequest: boolean }) {
  const [drops, setDrops] = useState<DropPoint[]>([]);
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load(): Promise<void> {
    try {
      setDrops((await get<Page<DropPoint>>("/drop-points?limit=200")).data);
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

  return (
    <div class="single">
      {error ? <p class="problem" role="alert">{error}</p> : null}
      {props.canRequest ? <DeliveryForm drops={drops} onDone={load} /> : null}
      <h2>{t("deliveries")}</h2>
      {rows === null ? <p>{t("loading")}</p> : rows.length === 0 ? <p>{t("noDeliveries")}</p> : (
        <ul class="deliveries">
          {rows.map((d) => (
            <li key={d.id} class="card">
              <h3>
                {d.items.map((i) => i.name).join("、")} → {drops.find((p) => p.id === d.drop_point_id)?.name ?? d.drop_point_id}
                {" "}<span class={`state state-${d.state}`}>{stateName(d.state)}</span>
              </h3>
              <p class="muted">
                {t("fee")} {d.fee_yen !== null ? `¥${d.fee_yen.toLocaleString("ja-JP")}` : "—"}
                {d.trip ? ` · ${d.trip.vehicle_id} · ${jst(d.trip.drop_at)}` : ""}
              </p>
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
  const [answer, setAnswer] = useState<string | null>(null);

  async function send(e: Event): Promise<void> {
    e.preventDefault();
    const body = {
      items: [{ name: item, weight_kg: Number(weight), size_cm: [20, 15, 8], temperature }],
      recipient: { name, phone },
      drop_point_id: drop || props.drops[0]?.id,
    };
    try {
      const made = await post<Delivery>("/deliveries", body);
      setAnswer(`${stateName(made.state)} · ${t("fee")} ¥${(made.fee_yen ?? 0).toLocaleString("ja-JP")}`);
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
      <label>{t("recipientName")}<input type="text" required value={name} onInput={value(setName)} /></label>
      <label>{t("recipientPhone")}<input type="tel" required value={phone} onInput={value(setPhone)} /></label>
      <button type="submit">{t("send")}</button>
      {answer ? <p role="status" class="answer">{answer}</p> : null}
    </form>
  );
}
