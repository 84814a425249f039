// The season's yield forecast on the crop page: the field's, and each management zone's,
// without and with the prescription shown (GET /fields/{id}/forecast), and what the figure
// rests on.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get } from "../api";
import { jstDate, t, words } from "../i18n";
import { day, num, type Forecast, type Prescription, type SurveyImage } from "./crops-data";

const w = words({
  title: { ja: "収量予測", en: "Yield forecast" },
  transplanted: { ja: "田植え日", en: "Transplanted" },
  transplantedNote: { ja: "空欄なら圃場の水田の田植え日", en: "Blank: the field's paddy's date" },
  baseN: { ja: "基肥などの窒素 (kg N/ha)", en: "N given anyway (kg N/ha)" },
  water: { ja: "水管理", en: "Water" },
  ponded: { ja: "湛水（中干し・落水）", en: "Ponded (mid-season drainage)" },
  rainfed: { ja: "天水", en: "Rain-fed" },
  withRx: { ja: "表示中の処方で比べる", en: "Compare with the prescription shown" },
  run: { ja: "予測する", en: "Forecast" },
  running: { ja: "生育モデルを計算中（数十秒かかることがあります）…", en: "Running the crop model (may take tens of seconds)…" },
  field: { ja: "圃場", en: "Field" },
  without: { ja: "処方なし", en: "Without" },
  with: { ja: "処方あり", en: "With the prescription" },
  gain: { ja: "増収", en: "Gain" },
  production: { ja: "圃場の収穫量", en: "The field's grain" },
  heading: { ja: "出穂", en: "Heading" },
  harvest: { ja: "収穫", en: "Harvest" },
  imagesUsed: { ja: "補正に使った画像", en: "Images used" },
  zone: { ja: "ゾーン", en: "Zone" },
  area: { ja: "面積 (a)", en: "Area (a)" },
  extraN: { ja: "追加窒素 (kg N/10a)", en: "Added N (kg N/10a)" },
  basis: { ja: "根拠", en: "Basis" },
  zonesFrom: { ja: "ゾーンの出どころ", en: "Zones from" },
  unit: { ja: "籾の収量（水分15%換算。玄米ではありません）", en: "Rough rice (paddy, not brown rice) at 15 % moisture" },
});

export function ForecastCard(props: { fieldId: string; image: SurveyImage | null; zones: number; minZoneM2: number; prescription: Prescription | null }) {
  const season = (props.image?.image_date ?? jstDate()).slice(0, 4);
  const [transplanted, setTransplanted] = useState(`${season}-05-10`);
  const [baseN, setBaseN] = useState("60");
  const [water, setWater] = useState("ponded");
  const [useRx, setUseRx] = useState(true);
  const [forecast, setForecast] = useState<Forecast | null>(null);
  const [running, setRunning] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => { setForecast(null); setProblem(null); }, [props.fieldId]);

  async function run(e: Event): Promise<void> {
    e.preventDefault();
    const query = new URLSearchParams({ base_n_kg_ha: baseN || "0", water });
    if (transplanted) query.set("transplanted", transplanted);
    if (useRx && props.prescription) query.set("prescription", props.prescription.id);
    else if (props.image) {
      query.set("image_id", props.image.id);
      query.set("zones", String(props.zones));
      query.set("min_zone_area_m2", String(props.minZoneM2));
    }
    setRunning(true);
    setProblem(null);
    try {
      setForecast(await get<Forecast>(`/fields/${encodeURIComponent(props.fieldId)}/forecast?${query.toString()}`));
    } catch (error) {
      setForecast(null);
      setProblem(`${t("error")}: ${error instanceof ApiError ? error.detail || error.title : String(error)}`);
    } finally {
      setRunning(false);
    }
  }

  return (
    <form class="card forecast" onSubmit={run} aria-labelledby="forecast-title" aria-busy={running}>
      <h2 id="forecast-title">{w("title")}</h2>
      <div class="row">
        <label>{w("transplanted")}
          <input type="date" value={transplanted} onInput={(e) => setTransplanted((e.currentTarget as HTMLInputElement).value)} aria-describedby="transplanted-note" />
          <span id="transplanted-note" class="muted">{w("transplantedNote")}</span>
        </label>
        <label>{w("baseN")}
          <input type="number" min="0" max="1000" step="1" value={baseN} onInput={(e) => setBaseN((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>{w("water")}
          <select value={water} onChange={(e) => setWater((e.currentTarget as HTMLSelectElement).value)}>
            <option value="ponded">{w("ponded")}</option>
            <option value="rainfed">{w("rainfed")}</option>
          </select>
        </label>
      </div>
      <label class="check">
        <input type="checkbox" checked={useRx && props.prescription !== null} disabled={!props.prescription} onChange={(e) => setUseRx((e.currentTarget as HTMLInputElement).checked)} />
        {w("withRx")}
      </label>
      <button type="submit" disabled={running}>{w("run")}</button>
      {running ? <p role="status" class="muted">{w("running")}</p> : null}
      {problem ? <p class="problem" role="alert">{problem}</p> : null}
      {forecast ? <Outlook forecast={forecast} /> : null}
    </form>
  );
}

function Outlook({ forecast: f }: { forecast: Forecast }) {
  const withRx = f.with_prescription_kg_10a;
  const best = Math.max(f.yield_kg_10a, withRx ?? 0, ...f.zones.map((z) => Math.max(z.yield_kg_10a, z.with_prescription_kg_10a ?? 0)));
  return (
    <div class="outlook" role="region" aria-label={w("title")}>
      <dl class="figures">
        <dt>{w("field")} — {w("without")}</dt>
        <dd data-figure="without">{num(f.yield_kg_10a, 0)} kg/10a <span class="muted">({num(f.yield_t_ha, 2)} t/ha)</span></dd>
        {withRx !== null ? (
          <>
            <dt>{w("field")} — {w("with")}</dt>
            <dd data-figure="with">{num(withRx, 0)} kg/10a <span class="muted">({num(f.with_prescription_t_ha, 2)} t/ha)</span></dd>
            <dt>{w("gain")}</dt>
            <dd data-figure="gain">{num(withRx - f.yield_kg_10a, 1)} kg/10a ({num((100 * (withRx - f.yield_kg_10a)) / f.yield_kg_10a, 1)} %)</dd>
          </>
        ) : null}
        <dt>{w("production")}</dt><dd>{num(f.production_t, 2)} t</dd>
        <dt>{w("heading")}</dt><dd>{day(f.heading)}</dd>
        <dt>{w("harvest")}</dt><dd>{day(f.harvest)}</dd>
        <dt>{w("imagesUsed")}</dt><dd>{f.images_used}</dd>
      </dl>
      <p class="muted">{w("unit")}</p>
      {f.zones.length ? (
        <div class="scroll-x">
          <table class="table numbers forecast-table">
            <thead>
              <tr>
                <th>{w("zone")}</th><th>{w("area")}</th><th>{w("without")} (kg/10a)</th>
                {withRx !== null ? <><th>{w("extraN")}</th><th>{w("with")} (kg/10a)</th><th>{w("gain")}</th></> : null}
              </tr>
            </thead>
            <tbody>
              {f.zones.map((z) => (
                <tr key={z.zone} data-zone={z.zone}>
                  <td>{z.zone}</td>
                  <td>{num(z.area_ha * 100, 1)}</td>
                  <td data-figure="without"><Bar value={z.yield_kg_10a} best={best} />{num(z.yield_kg_10a, 0)}</td>
                  {withRx !== null ? (
                    <>
                      <td>{num((z.extra_n_kg_ha ?? 0) / 10, 2)}</td>
                      <td data-figure="with"><Bar value={z.with_prescription_kg_10a ?? 0} best={best} strong />{num(z.with_prescription_kg_10a, 0)}</td>
                      <td>{num((z.with_prescription_kg_10a ?? 0) - z.yield_kg_10a, 1)}</td>
                    </>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <details>
        <summary>{w("basis")}</summary>
        <ul class="notes">
          {f.zones_from ? <li>{w("zonesFrom")}: {f.zones_from}</li> : null}
          <li>{f.basis}</li>
          {f.prescription_basis ? <li>{f.prescription_basis}</li> : null}
          <li>{f.weather}</li>
          <li>{f.water}</li>
        </ul>
      </details>
    </div>
  );
}

function Bar(props: { value: number; best: number; strong?: boolean }) {
  const share = props.best > 0 ? Math.max(0, Math.min(1, props.value / props.best)) : 0;
  return <span class={props.strong ? "bar strong" : "bar"} style={{ width: `${(share * 4).toFixed(2)}rem` }} aria-hidden="true" />;
}
