// The farmer's crop page: one field, a survey image of it, the vegetation index over it and
// its management zones on the map, a nitrogen prescription made from the zones (rates per
// zone, the files spreaders and drones load), and the season's yield forecast with and
// without it.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, call, get, getAll, type Field, type Page } from "../api";
import { jst, t, words } from "../i18n";
import { FieldMap, shapes } from "../map";
import { ForecastCard } from "./crops-forecast";
import { PrescriptionCards } from "./crops-rx";
import {
  INDEX_BANDS, colour, day, gradient, gridImage, num,
  type FieldIndices, type IndexGrid, type Prescription, type Ramp, type SurveyImage, type ZoneMap,
} from "./crops-data";

const w = words({
  title: { ja: "生育・施肥", en: "Crops" },
  field: { ja: "圃場", en: "Field" },
  image: { ja: "空撮画像", en: "Survey image" },
  noImages: {
    ja: "この圃場にかかる画像はまだありません。ドローンのマルチスペクトル画像（GeoTIFF）を取り込んでください。",
    en: "No image covers this field yet. Upload the drone's multispectral image (GeoTIFF).",
  },
  upload: { ja: "画像を取り込む", en: "Upload an image" },
  uploadFile: { ja: "マルチスペクトル画像（GeoTIFF、バンドごとなら複数）", en: "Multispectral image (GeoTIFF; one per band is fine)" },
  imageDate: { ja: "撮影日（ファイルにない場合）", en: "Date taken (if the file does not say)" },
  uploaded: { ja: "取り込みました", en: "Uploaded" },
  index: { ja: "指数", en: "Index" },
  zoneCount: { ja: "ゾーン数", en: "Zones" },
  minZone: { ja: "最小ゾーン面積 (m²)", en: "Smallest zone (m²)" },
  show: { ja: "地図の表示", en: "Map shows" },
  showPixels: { ja: "生育（画素ごとの指数）", en: "Vigour (index, pixel by pixel)" },
  showIndex: { ja: "生育（ゾーン平均）", en: "Vigour (zone means)" },
  showRate: { ja: "施肥量（処方）", en: "Rate (prescription)" },
  overField: { ja: "圃場全体", en: "Whole field" },
  mean: { ja: "平均", en: "Mean" },
  median: { ja: "中央値", en: "Median" },
  spread: { ja: "p10–p90", en: "p10–p90" },
  valid: { ja: "有効画素", en: "Valid pixels" },
  zones: { ja: "管理ゾーン", en: "Management zones" },
  zone: { ja: "ゾーン", en: "Zone" },
  area: { ja: "面積", en: "Area" },
  legendIndex: { ja: "ゾーン平均（色は圃場の p10–p90）", en: "Zone mean (colours span the field's p10–p90)" },
  legendPixels: { ja: "画素（色は圃場の p10–p90）", en: "Pixels (colours span the field's p10–p90)" },
  legendRate: { ja: "窒素 kg N/ha", en: "Nitrogen, kg N/ha" },
  zonesNote: {
    ja: "ゾーン1が最も指数の低い区画です。行を選ぶと地図で強調します。",
    en: "Zone 1 has the lowest index. Pick a row to outline it on the map.",
  },
  working: { ja: "計算中…", en: "Working…" },
});

function problemText(e: unknown): string {
  return e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e);
}

export function CropsPage() {
  const [fields, setFields] = useState<Field[] | null>(null);
  const [fieldId, setFieldId] = useState<string>("");
  const [images, setImages] = useState<SurveyImage[] | null>(null);
  const [imageId, setImageId] = useState<string>("");
  const [index, setIndex] = useState("NDVI");
  const [zoneCount, setZoneCount] = useState(3);
  const [minZone, setMinZone] = useState(200);
  const [stats, setStats] = useState<FieldIndices | null>(null);
  const [zoneMap, setZoneMap] = useState<ZoneMap | null>(null);
  const [grid, setGrid] = useState<IndexGrid | null>(null);
  const [prescriptions, setPrescriptions] = useState<Prescription[]>([]);
  const [rxId, setRxId] = useState<string>("");
  const [rxMap, setRxMap] = useState<GeoJSON.FeatureCollection | null>(null);
  const [mode, setMode] = useState<"pixels" | "index" | "rate">("pixels");
  const [picked, setPicked] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    getAll<Field>("/fields")
      .then((all) => {
        setFields(all);
        const asked = new URLSearchParams(location.hash.split("?")[1] ?? "").get("field");
        setFieldId(all.find((f) => f.id === asked)?.id ?? all[0]?.id ?? "");
      })
      .catch((e) => setError(problemText(e)));
  }, []);

  async function loadImages(keep?: string): Promise<void> {
    if (!fieldId) return;
    const page = await get<Page<SurveyImage>>(`/images?field_id=${encodeURIComponent(fieldId)}&limit=100`);
    setImages(page.data);
    setImageId(keep ?? page.data[0]?.id ?? "");
  }

  async function loadPrescriptions(choose?: string): Promise<void> {
    if (!fieldId) return;
    const page = await get<Page<Prescription>>(`/prescriptions?field_id=${encodeURIComponent(fieldId)}&limit=100`);
    setPrescriptions(page.data);
    setRxId(choose ?? page.data[0]?.id ?? "");
  }

  useEffect(() => {
    setImages(null); setStats(null); setZoneMap(null); setGrid(null); setPicked(null); setError(null);
    loadImages().catch((e) => setError(problemText(e)));
    loadPrescriptions().catch((e) => setError(problemText(e)));
    if (fieldId) history.replaceState(null, "", `#/crops?field=${encodeURIComponent(fieldId)}`);
  }, [fieldId]);

  const image = images?.find((i) => i.id === imageId) ?? null;
  const offered = Object.keys(INDEX_BANDS).filter((name) => !image || INDEX_BANDS[name].every((b) => image.bands.includes(b)));

  useEffect(() => {
    if (!fieldId || !imageId) return;
    const field = encodeURIComponent(fieldId);
    const img = encodeURIComponent(imageId);
    setBusy(true); setError(null);
    Promise.all([
      get<FieldIndices>(`/fields/${field}/indices?image_id=${img}&index=${index}`),
      get<ZoneMap>(`/fields/${field}/zones?image_id=${img}&index=${index}&zones=${zoneCount}&min_zone_area_m2=${minZone}`),
      get<IndexGrid>(`/fields/${field}/indices/grid?image_id=${img}&index=${index}`),
    ])
      .then(([s, z, g]) => { setStats(s); setZoneMap(z); setGrid(g); })
      .catch((e) => { setStats(null); setZoneMap(null); setGrid(null); setError(problemText(e)); })
      .finally(() => setBusy(false));
  }, [fieldId, imageId, index, zoneCount, minZone]);

  useEffect(() => {
    setRxMap(null);
    if (!rxId) return;
    get<GeoJSON.FeatureCollection>(`/prescriptions/${encodeURIComponent(rxId)}/file?format=geojson`)
      .then(setRxMap)
      .catch((e) => setError(problemText(e)));
  }, [rxId]);

  const field = fields?.find((f) => f.id === fieldId) ?? null;
  const fieldData = useMemo(() => shapes(field ? [field] : []), [field]);
  const whole = stats?.indices[index] ?? null;
  const prescription = prescriptions.find((p) => p.id === rxId) ?? null;
  const rateRange = useMemo((): [number, number] => {
    const rates = prescription?.zones.map((z) => z.n_kg_ha) ?? [];
    return rates.length ? [Math.min(...rates), Math.max(...rates)] : [0, 1];
  }, [prescription]);
  const indexRange: [number, number] = [whole?.p10 ?? 0, whole?.p90 ?? 1];
  const overlay = useMemo(
    () => (mode === "pixels" && grid ? gridImage(grid, indexRange[0], indexRange[1]) : null),
    [mode, grid, indexRange[0], indexRange[1]],
  );
  const areas = useMemo((): GeoJSON.FeatureCollection => {
    if (mode === "rate" && rxMap) {
      return {
        type: "FeatureCollection",
        features: rxMap.features.map((f) => ({
          ...f,
          properties: { ...f.properties, id: String(f.properties?.zone), color: colour("dose", Number(f.properties?.n_kg_ha), ...rateRange) },
        })),
      };
    }
    return {
      type: "FeatureCollection",
      features: (zoneMap?.features ?? []).map((f) => ({
        ...f,
        properties: {
          ...f.properties,
          id: String(f.properties.zone),
          // Over the pixels only the zones' borders show.
          color: mode === "pixels" ? "rgba(0, 0, 0, 0)" : colour("vigour", f.properties.mean ?? Number.NaN, ...indexRange),
        },
      })),
    };
  }, [mode, rxMap, zoneMap, rateRange, indexRange[0], indexRange[1]]);

  async function made(p: Prescription): Promise<void> {
    await loadPrescriptions(p.id);
    setMode("rate");
  }

  return (
    <div class="split crops">
      <section class="pane-map">
        <FieldMap
          label={`${w("title")}: ${fieldId}`}
          fields={fieldData}
          areas={areas}
          picked={picked}
          overlay={overlay}
          onPickArea={(id) => setPicked((now) => (now === id ? null : id))}
          loaded={fields !== null}
        />
        {areas.features.length ? <Legend
          ramp={mode === "rate" && rxMap ? "dose" : "vigour"}
          title={mode === "rate" && rxMap ? w("legendRate") : `${index} — ${w(mode === "pixels" ? "legendPixels" : "legendIndex")}`}
          range={mode === "rate" && rxMap ? rateRange : indexRange}
          digits={mode === "rate" && rxMap ? 1 : 2}
        /> : null}
      </section>
      <section class="pane-side">
        <h1>{w("title")}</h1>
        {error ? <p class="problem" role="alert">{error}</p> : null}
        <div class="card crop-pick">
          <label for="crop-field">{w("field")}</label>
            <select id="crop-field" value={fieldId} onChange={(e) => setFieldId((e.currentTarget as HTMLSelectElement).value)}>
              {(fields ?? []).map((f) => (
                <option key={f.id} value={f.id}>{f.id}{f.name ? ` ${f.name}` : ""} ({num(f.area_ha)} ha)</option>
              ))}
            </select>
          {fields?.length === 0 ? <p>{t("noFields")}</p> : null}
          <label for="crop-image">{w("image")}</label>
            <select id="crop-image" value={imageId} disabled={!images?.length} onChange={(e) => setImageId((e.currentTarget as HTMLSelectElement).value)}>
              {(images ?? []).map((i) => (
                <option key={i.id} value={i.id}>{day(i.image_date)} — {i.name} ({i.sensor}, {i.bands.join(" ")})</option>
              ))}
            </select>
          {images?.length === 0 ? <p class="muted">{w("noImages")}</p> : null}
          <div class="row">
            <label>{w("index")}
              <select value={index} onChange={(e) => setIndex((e.currentTarget as HTMLSelectElement).value)}>
                {offered.map((name) => <option key={name} value={name}>{name}</option>)}
              </select>
            </label>
            <label>{w("zoneCount")}
              <input type="number" min="1" max="10" step="1" value={zoneCount}
                onChange={(e) => setZoneCount(Math.min(10, Math.max(1, Number((e.currentTarget as HTMLInputElement).value) || 3)))} />
            </label>
            <label>{w("minZone")}
              <input type="number" min="0" step="50" value={minZone}
                onChange={(e) => setMinZone(Math.max(0, Number((e.currentTarget as HTMLInputElement).value) || 0))} />
            </label>
          </div>
          <fieldset class="modes">
            <legend>{w("show")}</legend>
            <label><input type="radio" name="map-mode" checked={mode === "pixels"} onChange={() => setMode("pixels")} /> {w("showPixels")}</label>
            <label><input type="radio" name="map-mode" checked={mode === "index"} onChange={() => setMode("index")} /> {w("showIndex")}</label>
            <label><input type="radio" name="map-mode" checked={mode === "rate"} disabled={!prescription} onChange={() => setMode("rate")} /> {w("showRate")}</label>
          </fieldset>
        </div>
        {busy ? <p role="status" class="muted">{w("working")}</p> : null}
        {whole ? <WholeField stats={whole} index={index} date={stats?.image_date ?? null} /> : null}
        {zoneMap ? <ZoneTable zoneMap={zoneMap} range={indexRange} picked={picked} onPick={setPicked} /> : null}
        <Uploader fieldId={fieldId} onDone={(id) => loadImages(id)} />
        {fieldId ? (
          <PrescriptionCards
            fieldId={fieldId}
            image={image}
            index={index}
            zones={zoneCount}
            minZoneM2={minZone}
            prescriptions={prescriptions}
            chosen={rxId}
            onChoose={(id) => { setRxId(id); setMode("rate"); }}
            onMade={made}
            picked={picked}
            onPick={setPicked}
          />
        ) : null}
        {fieldId ? (
          <ForecastCard fieldId={fieldId} image={image} zones={zoneCount} minZoneM2={minZone} prescription={prescription} />
        ) : null}
      </section>
    </div>
  );
}

function Legend(props: { ramp: Ramp; title: string; range: [number, number]; digits: number }) {
  const [low, high] = props.range;
  return (
    <figure class="legend" aria-label={props.title}>
      <figcaption>{props.title}</figcaption>
      <div class="legend-bar" style={{ background: gradient(props.ramp) }} />
      <div class="legend-ticks"><span>{num(low, props.digits)}</span><span>{num((low + high) / 2, props.digits)}</span><span>{num(high, props.digits)}</span></div>
    </figure>
  );
}

function WholeField(props: { stats: NonNullable<FieldIndices["indices"][string]>; index: string; date: string | null }) {
  const s = props.stats;
  return (
    <div class="card whole-field">
      <h2>{w("overField")}: {props.index} <span class="muted">{day(props.date)}</span></h2>
      <dl class="figures">
        <dt>{w("mean")}</dt><dd data-figure="mean">{num(s.mean, 3)}</dd>
        <dt>{w("median")}</dt><dd>{num(s.median, 3)}</dd>
        <dt>{w("spread")}</dt><dd>{num(s.p10, 3)} – {num(s.p90, 3)}</dd>
        <dt>{w("valid")}</dt><dd>{num(100 * s.valid_fraction, 0)} %</dd>
      </dl>
    </div>
  );
}

function ZoneTable(props: { zoneMap: ZoneMap; range: [number, number]; picked: string | null; onPick: (id: string | null) => void }) {
  const total = props.zoneMap.features.reduce((sum, f) => sum + f.properties.area_m2, 0);
  return (
    <div class="card">
      <h2>{w("zones")} <span class="muted">{props.zoneMap.index}</span></h2>
      <p class="muted">{w("zonesNote")}</p>
      <div class="scroll-x">
        <table class="table numbers zones-table">
          <thead>
            <tr><th>{w("zone")}</th><th>{w("area")} (a)</th><th>%</th><th>{w("mean")}</th><th>min–max</th></tr>
          </thead>
          <tbody>
            {props.zoneMap.features.map((f) => {
              const id = String(f.properties.zone);
              return (
                <tr key={id} data-zone={id} class={props.picked === id ? "picked" : undefined}>
                  <td>
                    <button type="button" class="zone-key" aria-pressed={props.picked === id}
                      onClick={() => props.onPick(props.picked === id ? null : id)}>
                      <span class="swatch" style={{ background: colour("vigour", f.properties.mean ?? Number.NaN, ...props.range) }} />
                      {id}
                    </button>
                  </td>
                  <td data-figure="area">{num(f.properties.area_m2 / 100, 1)}</td>
                  <td>{num((100 * f.properties.area_m2) / total, 0)}</td>
                  <td data-figure="mean">{num(f.properties.mean, 3)}</td>
                  <td>{num(f.properties.min, 2)}–{num(f.properties.max, 2)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Uploader(props: { fieldId: string; onDone: (imageId: string) => Promise<void> }) {
  const [files, setFiles] = useState<File[]>([]);
  const [date, setDate] = useState("");
  const [answer, setAnswer] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function send(e: Event): Promise<void> {
    e.preventDefault();
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    if (date) form.append("image_date", date);
    setSending(true);
    try {
      const stored = await call<SurveyImage>("POST", "/images", form);
      setAnswer(`${w("uploaded")}: ${stored.name} (${day(stored.image_date)}, ${stored.bands.join(" ")}) ${jst(stored.created_at)}`);
      await props.onDone(stored.id);
    } catch (error) {
      setAnswer(`${t("error")}: ${problemText(error)}`);
    } finally {
      setSending(false);
    }
  }

  return (
    <details class="card upload">
      <summary>{w("upload")}</summary>
      <form onSubmit={send}>
        <label>{w("uploadFile")}
          <input type="file" multiple required accept=".tif,.tiff,.jp2"
            onChange={(e) => setFiles([...((e.currentTarget as HTMLInputElement).files ?? [])])} />
        </label>
        <label>{w("imageDate")}
          <input type="date" value={date} onInput={(e) => setDate((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={sending || files.length === 0 || !props.fieldId}>{w("upload")}</button>
        {answer ? <p role="status" class="answer">{answer}</p> : null}
      </form>
    </details>
  );
}
