// The farmer's fields: the map, the list, a file dropped in to import, and a spraying or
// survey request for the fields picked.
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, call, get, getAll, post, type Field, type ImportResult, type Page, type Zone } from "../api";
import { jst, jstDate, stateName, t } from "../i18n";
import { FieldMap, shapes } from "../map";
import type { Mission } from "../api";
import { PlanLegend, planWords, useMissionPlan } from "../plan";

export function FieldsPage() {
  const [fields, setFields] = useState<Field[] | null>(null);
  const [zones, setZones] = useState<Zone[]>([]);
  const [selected, setSelected] = useState<string[]>([]);
  const [report, setReport] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [missions, setMissions] = useState<Mission[]>([]);
  const [plan, showPlan] = useMissionPlan((message) => setError(message));

  async function load(): Promise<void> {
    try {
      setFields(await getAll<Field>("/fields"));
      setZones(await getAll<Zone>("/zones"));
      setMissions((await get<Page<Mission>>("/missions?limit=50")).data);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }
  useEffect(() => void load(), []);

  const fieldData = useMemo(() => shapes(fields ?? []), [fields]);
  const zoneData = useMemo(() => shapes(zones), [zones]);
  const toggle = (id: string) =>
    setSelected((now) => (now.includes(id) ? now.filter((x) => x !== id) : [...now, id]));

  async function upload(file: File): Promise<void> {
    const form = new FormData();
    form.append("file", file, file.name);
    setError(null);
    try {
      setReport(await call<ImportResult>("POST", "/fields/import", form));
      await load();
    } catch (e) {
      setReport(null);
      setError(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }

  return (
    <div class="split">
      <section class="pane-map">
        <FieldMap label={t("fields")} fields={fieldData} zones={zoneData} selected={selected} onPick={toggle} loaded={fields !== null} plan={plan?.legs ?? null} />
      </section>
      <section class="pane-side">
        <Importer onFile={upload} />
        {error ? <p class="problem" role="alert">{error}</p> : null}
        {report ? <ImportReport report={report} /> : null}
        <h2>{t("fields")}</h2>
        {fields === null ? <p>{t("loading")}</p> : fields.length === 0 ? <p>{t("noFields")}</p> : (
          <ul class="field-list">
            {fields.map((f) => (
              <li key={f.id}>
                <label>
                  <input type="checkbox" checked={selected.includes(f.id)} onChange={() => toggle(f.id)} />
                  <span class="field-id">{f.id}</span> {f.name ?? ""} <span class="muted">{f.area_ha.toFixed(2)} ha</span>
                </label>
              </li>
            ))}
          </ul>
        )}
        <MissionForm fieldIds={selected} onDone={load} />
        {plan ? <PlanLegend id={plan.id} plan={plan.legs} /> : null}
        <MissionList missions={missions} shown={plan?.id ?? null} onShow={showPlan} />
      </section>
    </div>
  );
}

function Importer(props: { onFile: (file: File) => void }) {
  const [over, setOver] = useState(false);
  return (
    <div
      class={over ? "drop over" : "drop"}
      onDragOver={(e) => { e.preventDefault(); setOver(true); }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const file = e.dataTransfer?.files?.[0];
        if (file) props.onFile(file);
      }}
    >
      <h2>{t("importTitle")}</h2>
      <label class="file">
        {t("dropHere")}
        <input
          type="file"
          accept=".geojson,.json,.gpkg,.zip,.kml,.fgb,.parquet"
          onChange={(e) => {
            const file = (e.currentTarget as HTMLInputElement).files?.[0];
            if (file) props.onFile(file);
          }}
        />
      </label>
    </div>
  );
}

function ImportReport({ report }: { report: ImportResult }) {
  return (
    <div class="report" role="status">
      <p>
        {t("imported")} {report.source}: {report.created.length} {t("created")}, {report.updated.length} {t("updated")}
      </p>
      {report.rejected.length ? (
        <>
          <h3>{t("rejected")}</h3>
          <ul class="rejected">
            {report.rejected.map((r) => (
              <li key={r.feature}><b>{r.feature}</b>: {r.reason}</li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

function MissionForm(props: { fieldIds: string[]; onDone: () => Promise<void> }) {
  const [kind, setKind] = useState<"spray" | "survey">("spray");
  const [first, setFirst] = useState(jstDate(1));
  const [last, setLast] = useState(jstDate(3));
  const [swath, setSwath] = useState("5");
  const [rate, setRate] = useState("10");
  const [tank, setTank] = useState("10");
  const [gsd, setGsd] = useState("3");
  const [note, setNote] = useState("");
  const [answer, setAnswer] = useState<string | null>(null);

  async function send(e: Event): Promise<void> {
    e.preventDefault();
    const body: Record<string, unknown> = { field_ids: props.fieldIds, first_day: first, last_day: last, note };
    if (kind === "spray") body.spray = { swath_m: Number(swath), rate_l_ha: Number(rate), tank_l: Number(tank) };
    else body.survey = { camera: "DJI Mavic 3M MS", gsd_cm: Number(gsd) };
    try {
      const made = await post<Mission>("/missions", body);
      setAnswer(`#${made.id}: ${stateName(made.status)}`);
      await props.onDone();
    } catch (error) {
      setAnswer(error instanceof ApiError ? `${t("error")}: ${error.detail || error.title}` : String(error));
    }
  }

  return (
    <form class="card" onSubmit={send} aria-labelledby="mission-form-title">
      <h2 id="mission-form-title">{t("requestMission")}</h2>
      <p class="muted">
        {props.fieldIds.length ? `${props.fieldIds.join(", ")} ${t("selected")}` : t("chooseFields")}
      </p>
      <label>{t("kind")}
        <select value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as "spray" | "survey")}>
          <option value="spray">{t("spray")}</option>
          <option value="survey">{t("survey")}</option>
        </select>
      </label>
      <label>{t("firstDay")}<input type="date" required value={first} onInput={(e) => setFirst((e.currentTarget as HTMLInputElement).value)} /></label>
      <label>{t("lastDay")}<input type="date" required value={last} onInput={(e) => setLast((e.currentTarget as HTMLInputElement).value)} /></label>
      {kind === "spray" ? (
        <>
          <label>{t("swath")}<input type="number" min="1" step="0.5" value={swath} onInput={(e) => setSwath((e.currentTarget as HTMLInputElement).value)} /></label>
          <label>{t("rate")}<input type="number" min="0" step="1" value={rate} onInput={(e) => setRate((e.currentTarget as HTMLInputElement).value)} /></label>
          <label>{t("tank")}<input type="number" min="1" step="1" value={tank} onInput={(e) => setTank((e.currentTarget as HTMLInputElement).value)} /></label>
        </>
      ) : (
        <label>{t("gsd")}<input type="number" min="0.5" step="0.5" value={gsd} onInput={(e) => setGsd((e.currentTarget as HTMLInputElement).value)} /></label>
      )}
      <label>{t("note")}<input type="text" value={note} maxLength={500} onInput={(e) => setNote((e.currentTarget as HTMLInputElement).value)} /></label>
      <button type="submit" disabled={props.fieldIds.length === 0}>{t("send")}</button>
      {answer ? <p role="status" class="answer">{answer}</p> : null}
    </form>
  );
}

function MissionList(props: { missions: Mission[]; shown: number | null; onShow: (id: number) => void }) {
  const { missions } = props;
  return (
    <>
      <h2>{t("missions")}</h2>
      {missions.length === 0 ? <p>{t("noMissions")}</p> : (
        <table class="table">
          <thead><tr><th>#</th><th>{t("kind")}</th><th>{t("fields")}</th><th>{t("status")}</th><th>{t("slot")}</th><th /></tr></thead>
          <tbody>
            {missions.map((m) => (
              <tr key={m.id}>
                <td>{m.id}</td>
                <td>{m.kind === "spray" ? t("spray") : t("survey")}</td>
                <td>{m.field_ids.join(", ")}</td>
                <td class={`state state-${m.status}`}>{stateName(m.status)}{m.reason ? ` — ${m.reason}` : ""}</td>
                <td>{jst(m.slot_start)}</td>
                <td>
                  <button type="button" class="secondary" aria-pressed={props.shown === m.id} onClick={() => props.onShow(m.id)}>
                    {planWords("showPath")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
