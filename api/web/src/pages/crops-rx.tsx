// A field's nitrogen prescriptions on the crop page: make one from the management zones
// (POST /prescriptions), read each zone's rate, and download the files a spreader, a drone
// or a GIS loads.
import { useState } from "preact/hooks";
import { ApiError, download, post } from "../api";
import { jst, t, words } from "../i18n";
import { FORMATS, PRODUCTS, RULES, colour, day, num, type Prescription, type SurveyImage } from "./crops-data";

const w = words({
  make: { ja: "ゾーンから施肥処方を作る", en: "Make a prescription from the zones" },
  product: { ja: "肥料", en: "Product" },
  rule: { ja: "基準（プリセット）", en: "Rule (preset)" },
  rice_panicle: { ja: "水稲 穂肥（NDVI 0.75 で 2 kg N/10a）", en: "Rice panicle (2 kg N/10a at NDVI 0.75)" },
  wheat_topdress: { ja: "麦 追肥（NDVI 0.70 で 3 kg N/10a）", en: "Wheat top-dressing (3 kg N/10a at NDVI 0.70)" },
  generic: { ja: "汎用 追肥", en: "Generic top-dressing" },
  tune: { ja: "基準の数値を変える（空欄はプリセットのまま）", en: "Adjust the rule (blank keeps the preset's)" },
  target: { ja: "目標指数", en: "Target index" },
  baseN: { ja: "基準量 (kg N/ha)", en: "Base (kg N/ha)" },
  response: { ja: "指数 1 あたりの増減 (kg N/ha)", en: "Response per index unit (kg N/ha)" },
  minN: { ja: "下限 (kg N/ha)", en: "Least (kg N/ha)" },
  maxN: { ja: "上限 (kg N/ha)", en: "Most (kg N/ha)" },
  budget: { ja: "圃場全体の窒素上限 (kg N)", en: "Nitrogen budget for the field (kg N)" },
  step: { ja: "散布機の設定刻み", en: "Machine rate step" },
  makeButton: { ja: "処方を作成", en: "Make the prescription" },
  needImage: { ja: "処方には空撮画像が必要です。", en: "A prescription needs a survey image." },
  madeOk: { ja: "処方を作成しました", en: "Prescription made" },
  list: { ja: "施肥処方", en: "Prescriptions" },
  none: { ja: "この圃場の処方はまだありません。", en: "No prescription for this field yet." },
  chosen: { ja: "表示する処方", en: "Prescription shown" },
  zone: { ja: "ゾーン", en: "Zone" },
  area: { ja: "面積 (a)", en: "Area (a)" },
  indexMean: { ja: "指数平均", en: "Index mean" },
  nitrogen: { ja: "窒素 kg N/10a (kg/ha)", en: "N kg/10a (kg/ha)" },
  rate: { ja: "施用量", en: "Rate" },
  amount: { ja: "必要量", en: "Amount" },
  total: { ja: "合計", en: "Total" },
  budgetBound: { ja: "上限に合わせて縮小済み", en: "scaled down to the budget" },
  exports: { ja: "ファイル出力（散布機・ドローン・GIS）", en: "Files (spreader, drone, GIS)" },
  ruleUsed: { ja: "使った基準", en: "Rule used" },
  ruleFormula: { ja: "kg N/ha = 基準量 + 増減 ×（目標 − ゾーン平均）", en: "kg N/ha = base + response × (target − zone mean)" },
});

function optional(text: string): number | undefined {
  return text.trim() === "" ? undefined : Number(text);
}

function NumberInput(props: { label: string; value: string; set: (v: string) => void; step?: string; min?: string; max?: string }) {
  return (
    <label>{props.label}
      <input type="number" inputMode="decimal" step={props.step ?? "any"} min={props.min} max={props.max} value={props.value}
        onInput={(e) => props.set((e.currentTarget as HTMLInputElement).value)} />
    </label>
  );
}

export function PrescriptionCards(props: {
  fieldId: string;
  image: SurveyImage | null;
  index: string;
  zones: number;
  minZoneM2: number;
  prescriptions: Prescription[];
  chosen: string;
  onChoose: (id: string) => void;
  onMade: (p: Prescription) => Promise<void>;
  picked: string | null;
  onPick: (id: string | null) => void;
}) {
  const chosen = props.prescriptions.find((p) => p.id === props.chosen) ?? null;
  return (
    <>
      <MakeForm {...props} />
      <div class="card prescriptions">
        <h2>{w("list")}</h2>
        {props.prescriptions.length === 0 ? <p>{w("none")}</p> : (
          <label>{w("chosen")}
            <select value={props.chosen} onChange={(e) => props.onChoose((e.currentTarget as HTMLSelectElement).value)}>
              {props.prescriptions.map((p) => (
                <option key={p.id} value={p.id}>{jst(p.created_at)} — {p.product}, {p.zones.length} {w("zone")}, {num(p.total_n_kg, 2)} kg N</option>
              ))}
            </select>
          </label>
        )}
        {chosen ? <Rates rx={chosen} picked={props.picked} onPick={props.onPick} /> : null}
      </div>
    </>
  );
}

function MakeForm(props: { fieldId: string; image: SurveyImage | null; index: string; zones: number; minZoneM2: number; onMade: (p: Prescription) => Promise<void> }) {
  const [product, setProduct] = useState(PRODUCTS[0]);
  const [rule, setRule] = useState(RULES[0]);
  const [target, setTarget] = useState("");
  const [baseN, setBaseN] = useState("");
  const [response, setResponse] = useState("");
  const [minN, setMinN] = useState("");
  const [maxN, setMaxN] = useState("");
  const [budget, setBudget] = useState("");
  const [step, setStep] = useState("0.1");
  const [answer, setAnswer] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function send(e: Event): Promise<void> {
    e.preventDefault();
    if (!props.image) return;
    const body = {
      field_id: props.fieldId,
      image_id: props.image.id,
      index: props.index,
      zones: props.zones,
      min_zone_area_m2: props.minZoneM2,
      product,
      rule,
      target_index: optional(target),
      base_n_kg_ha: optional(baseN),
      response_kg_ha_per_unit: optional(response),
      min_n_kg_ha: optional(minN),
      max_n_kg_ha: optional(maxN),
      budget_n_kg: optional(budget),
      rate_step: optional(step) ?? 0.1,
    };
    setSending(true);
    setAnswer(null);
    try {
      const made = await post<Prescription>("/prescriptions", body);
      setAnswer(`${w("madeOk")}: ${made.product} ${num(made.total_product, 1)} ${made.amount_unit}, ${num(made.total_n_kg, 2)} kg N`);
      await props.onMade(made);
    } catch (error) {
      setAnswer(`${t("error")}: ${error instanceof ApiError ? error.detail || error.title : String(error)}`);
    } finally {
      setSending(false);
    }
  }

  return (
    <form class="card make-rx" onSubmit={send} aria-labelledby="make-rx-title">
      <h2 id="make-rx-title">{w("make")}</h2>
      {props.image ? (
        <p class="muted">{props.index}, {props.zones} {w("zone")}, {day(props.image.image_date)} — {props.image.name}</p>
      ) : <p class="muted">{w("needImage")}</p>}
      <div class="row">
        <label>{w("product")}
          <select value={product} onChange={(e) => setProduct((e.currentTarget as HTMLSelectElement).value)}>
            {PRODUCTS.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <label>{w("rule")}
          <select value={rule} onChange={(e) => setRule((e.currentTarget as HTMLSelectElement).value)}>
            {RULES.map((r) => <option key={r} value={r}>{w(r as "rice_panicle" | "wheat_topdress" | "generic")}</option>)}
          </select>
        </label>
      </div>
      <details>
        <summary>{w("tune")}</summary>
        <p class="muted">{w("ruleFormula")}</p>
        <div class="row">
          <NumberInput label={w("target")} value={target} set={setTarget} min="-1" max="1" />
          <NumberInput label={w("baseN")} value={baseN} set={setBaseN} min="0" />
          <NumberInput label={w("response")} value={response} set={setResponse} />
          <NumberInput label={w("minN")} value={minN} set={setMinN} min="0" />
          <NumberInput label={w("maxN")} value={maxN} set={setMaxN} min="0" />
          <NumberInput label={w("budget")} value={budget} set={setBudget} min="0" />
          <NumberInput label={w("step")} value={step} set={setStep} min="0.001" />
        </div>
      </details>
      <button type="submit" disabled={sending || !props.image}>{w("makeButton")}</button>
      {answer ? <p role="status" class="answer">{answer}</p> : null}
    </form>
  );
}

function Rates(props: { rx: Prescription; picked: string | null; onPick: (id: string | null) => void }) {
  const rx = props.rx;
  const ns = rx.zones.map((z) => z.n_kg_ha);
  const [low, high] = [Math.min(...ns), Math.max(...ns)];
  const perZone = rx.amount_unit; // kg or L
  const r = rx.rule;
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div class="rates">
      <p class="muted">
        {rx.product} ({rx.unit}), {rx.index} {day(rx.image_date)}
        {rx.budget_bound ? ` — ${w("budgetBound")}` : ""}
      </p>
      <div class="scroll-x">
        <table class="table numbers rates-table">
          <thead>
            <tr><th>{w("zone")}</th><th>{w("area")}</th><th>{w("indexMean")}</th><th>{w("nitrogen")}</th><th>{w("rate")} ({rx.unit})</th><th>{w("amount")} ({perZone})</th></tr>
          </thead>
          <tbody>
            {rx.zones.map((z) => {
              const id = String(z.zone);
              return (
                <tr key={id} data-zone={id} class={props.picked === id ? "picked" : undefined}>
                  <td>
                    <button type="button" class="zone-key" aria-pressed={props.picked === id} onClick={() => props.onPick(props.picked === id ? null : id)}>
                      <span class="swatch" style={{ background: colour("dose", z.n_kg_ha, low, high) }} />{id}
                    </button>
                  </td>
                  <td>{num(z.area_m2 / 100, 1)}</td>
                  <td>{num(z.index_mean, 3)}</td>
                  <td data-figure="n">{num(z.n_kg_ha / 10, 2)} ({num(z.n_kg_ha, 1)})</td>
                  <td data-figure="rate">{num(z.rate, 1)}</td>
                  <td>{num((z.rate * z.area_m2) / 10_000, 2)}</td>
                </tr>
              );
            })}
          </tbody>
          <tfoot>
            <tr>
              <th>{w("total")}</th><td>{num(rx.area_m2 / 100, 1)}</td><td />
              <td data-figure="total-n">{num(rx.total_n_kg, 2)} kg N</td>
              <td>{num(rx.mean_rate, 1)}</td>
              <td data-figure="total-product">{num(rx.total_product, 2)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
      <p class="muted">
        {w("ruleUsed")}: {r.name} — {r.index} {num(r.target_index, 2)}, {num(r.base_n_kg_ha, 1)} + {num(r.response_kg_ha_per_unit, 0)} × Δ,{" "}
        {num(r.min_n_kg_ha, 0)}–{num(r.max_n_kg_ha, 0)} kg N/ha
      </p>
      <h3>{w("exports")}</h3>
      <ul class="exports">
        {FORMATS.map((f) => (
          <li key={f.format}>
            <button type="button" class="secondary"
              onClick={() => download(`/prescriptions/${encodeURIComponent(rx.id)}/file?format=${f.format}`, `${rx.field_id}${f.suffix}`)
                .catch((e) => setProblem(String(e)))}>
              {f.label}
            </button>
          </li>
        ))}
      </ul>
      {problem ? <p class="problem" role="alert">{problem}</p> : null}
    </div>
  );
}
