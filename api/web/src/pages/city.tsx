// City staff: the city's figures by month and district (GET /city/dashboard), and where the
// anonymised open data is.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get } from "../api";
import { lang, t } from "../i18n";

interface Figures {
  month: string;
  district?: string;
  sprayed_ha: number;
  surveyed_ha: number;
  flights: number;
  flight_h: number;
  deliveries_made: number;
  inlet_water_m3: number;
  water_saved_m3: number | null;
  paddy_dam_storage_m3: number;
  alerts: number;
}

interface Dashboard {
  first_month: string | null;
  last_month: string | null;
  districts_source: string | null;
  cells: Figures[];
  totals: Figures[];
  notes: string[];
}

interface Catalogue {
  licence: string;
  datasets: { id: string; title: string; title_ja: string; csv_url: string; geojson_url: string }[];
}

function monthsAgo(n: number): string {
  const now = new Date();
  const then = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 1));
  return then.toISOString().slice(0, 7);
}

/** The catalogue's absolute URL (under the server's public_url), on this page's server. */
const here = (url: string) => new URL(url, location.href).pathname;

const number = (value: number | null, digits = 1) =>
  value === null ? "—" : value.toLocaleString("ja-JP", { maximumFractionDigits: digits });

export function CityPage() {
  const [first, setFirst] = useState(monthsAgo(11));
  const [last, setLast] = useState(monthsAgo(0));
  const [board, setBoard] = useState<Dashboard | null>(null);
  const [open, setOpen] = useState<Catalogue | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function load(): Promise<void> {
    try {
      setProblem(null);
      setBoard(await get<Dashboard>(`/city/dashboard?from=${first}&to=${last}`));
    } catch (e) {
      setProblem(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }
  useEffect(() => {
    void load();
    get<Catalogue>("/open-data").then(setOpen).catch(() => undefined);
  }, []);

  const row = (f: Figures, label: string) => (
    <tr key={label}>
      <th scope="row">{label}</th>
      <td>{number(f.sprayed_ha, 2)}</td>
      <td>{number(f.surveyed_ha, 2)}</td>
      <td>{f.flights}</td>
      <td>{number(f.flight_h)}</td>
      <td>{f.deliveries_made}</td>
      <td>{number(f.inlet_water_m3, 0)}</td>
      <td>{number(f.water_saved_m3, 0)}</td>
      <td>{number(f.paddy_dam_storage_m3, 0)}</td>
      <td>{f.alerts}</td>
    </tr>
  );

  return (
    <div class="single wide">
      <h2>{t("city")}</h2>
      <form class="inline" onSubmit={(e) => { e.preventDefault(); void load(); }}>
        <label>{t("fromMonth")}<input type="month" value={first} onInput={(e) => setFirst((e.currentTarget as HTMLInputElement).value)} /></label>
        <label>{t("toMonth")}<input type="month" value={last} onInput={(e) => setLast((e.currentTarget as HTMLInputElement).value)} /></label>
        <button type="submit">{t("show")}</button>
      </form>
      {problem ? <p class="problem" role="alert">{problem}</p> : null}
      {board === null ? <p>{t("loading")}</p> : (
        <>
          <table class="table city">
            <thead>
              <tr>
                <th scope="col">{t("monthDistrict")}</th><th scope="col">{t("sprayedHa")}</th><th scope="col">{t("surveyedHa")}</th>
                <th scope="col">{t("flights")}</th><th scope="col">{t("flightHours")}</th><th scope="col">{t("deliveriesMade")}</th>
                <th scope="col">{t("inletM3")}</th><th scope="col">{t("savedM3")}</th><th scope="col">{t("damM3")}</th><th scope="col">{t("alerts")}</th>
              </tr>
            </thead>
            <tbody>
              {board.totals.map((total) => [
                row(total, `${total.month} ${t("wholeCity")}`),
                ...board.cells.filter((c) => c.month === total.month).map((c) => row(c, `　${c.district ?? ""}`)),
              ])}
            </tbody>
          </table>
          <ul class="notes muted">{board.notes.map((n) => <li key={n}>{n}</li>)}</ul>
        </>
      )}
      {open ? (
        <>
          <h2>{t("openData")}</h2>
          <ul>
            {open.datasets.map((d) => (
              <li key={d.id}>{lang.get() === "ja" ? d.title_ja : d.title} ({open.licence}): <a href={here(d.csv_url)}>CSV</a> · <a href={here(d.geojson_url)}>GeoJSON</a></li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
