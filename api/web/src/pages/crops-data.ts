// What the crop page reads from the agronomy API (images, indices, zones, prescriptions,
// forecasts), and how it draws figures: colour ramps, numbers in the reader's language.
import { lang } from "../i18n";

export interface SurveyImage {
  id: string;
  name: string;
  sensor: string;
  image_date: string | null;
  bands: string[];
  pixel_size: number;
  crs: string;
  created_at: string;
}

export interface IndexStats {
  mean: number | null;
  median: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  p10: number | null;
  p25: number | null;
  p75: number | null;
  p90: number | null;
  pixels: number;
  valid_fraction: number;
}

export interface FieldIndices {
  field_id: string;
  image_id: string;
  image_date: string | null;
  indices: Record<string, IndexStats>;
}

export interface ZoneProperties {
  field_id: string;
  zone: number;
  index: string;
  area_m2: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  valid_fraction: number;
}

export interface ZoneMap {
  type: "FeatureCollection";
  index: string;
  image_date: string | null;
  features: GeoJSON.Feature<GeoJSON.Polygon | GeoJSON.MultiPolygon, ZoneProperties>[];
}

export interface ZoneRate {
  zone: number;
  area_m2: number;
  index_mean: number;
  n_kg_ha: number;
  rate: number;
}

export interface Prescription {
  id: string;
  field_id: string;
  image_id: string | null;
  image_date: string | null;
  index: string;
  product: string;
  unit: string;
  rule: {
    name: string;
    index: string;
    target_index: number;
    base_n_kg_ha: number;
    response_kg_ha_per_unit: number;
    min_n_kg_ha: number;
    max_n_kg_ha: number;
  };
  rate_step: number;
  budget_bound: boolean;
  area_m2: number;
  total_n_kg: number;
  total_product: number;
  amount_unit: string;
  mean_rate: number;
  zones: ZoneRate[];
  created_at: string;
}

export interface ZoneForecast {
  zone: number;
  area_ha: number;
  yield_t_ha: number;
  yield_kg_10a: number;
  extra_n_kg_ha: number | null;
  with_prescription_t_ha: number | null;
  with_prescription_kg_10a: number | null;
  basis: string;
}

export interface Forecast {
  field_id: string;
  yield_t_ha: number;
  yield_kg_10a: number;
  production_t: number;
  heading: string;
  harvest: string;
  images_used: number;
  basis: string;
  weather: string;
  water: string;
  zones: ZoneForecast[];
  zones_from: string | null;
  with_prescription_t_ha: number | null;
  with_prescription_kg_10a: number | null;
  prescription_basis: string | null;
}

/** The indices the API computes and the bands each needs (fields/agronomy/indices.py). */
export const INDEX_BANDS: Record<string, string[]> = {
  NDVI: ["R", "N"],
  NDRE: ["RE1", "N"],
  GNDVI: ["G", "N"],
  SAVI: ["R", "N"],
  OSAVI: ["R", "N"],
  MSAVI2: ["R", "N"],
};

export const PRODUCTS = ["硫安", "尿素", "NK化成17-0-17", "UAN32", "液肥N10"];
export const RULES = ["rice_panicle", "wheat_topdress", "generic"];
export const FORMATS: { format: string; label: string; suffix: string }[] = [
  { format: "isoxml", label: "ISOXML (TASKDATA)", suffix: "_TASKDATA.zip" },
  { format: "shp", label: "Shapefile", suffix: "_rx_shp.zip" },
  { format: "geojson", label: "GeoJSON", suffix: "_rx.geojson" },
  { format: "gpkg", label: "GeoPackage", suffix: "_rx.gpkg" },
  { format: "tif", label: "GeoTIFF", suffix: "_rx.tif" },
];

type Rgb = [number, number, number];
/** Low index red, high green (ColorBrewer RdYlGn); rates light to dark blue (YlGnBu). */
const VIGOUR: Rgb[] = [[215, 25, 28], [253, 174, 97], [255, 255, 191], [166, 217, 106], [26, 150, 65]];
const DOSE: Rgb[] = [[255, 255, 204], [161, 218, 180], [65, 182, 196], [44, 127, 184], [37, 52, 148]];
export type Ramp = "vigour" | "dose";

/** The red, green and blue of ``value`` on a ramp from ``low`` to ``high`` (clamped). */
export function rgbOf(ramp: Ramp, value: number, low: number, high: number): Rgb {
  const stops = ramp === "vigour" ? VIGOUR : DOSE;
  const share = high > low ? Math.min(1, Math.max(0, (value - low) / (high - low))) : 0.5;
  const at = share * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(at));
  const mix = at - i;
  const [r, g, b] = stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * mix));
  return [r, g, b];
}

/** The CSS colour of ``value`` on a ramp from ``low`` to ``high`` (clamped). */
export function colour(ramp: Ramp, value: number, low: number, high: number): string {
  return `rgb(${rgbOf(ramp, value, low, high).join(", ")})`;
}

export interface IndexGrid {
  field_id: string;
  image_id: string;
  image_date: string | null;
  index: string;
  bounds_wgs84: [number, number, number, number];
  width_px: number;
  height_px: number;
  pixel_m: number;
  values: (number | null)[][];
}

/** The grid drawn as an image (PNG data URL) on the vigour ramp, clear where it has no
 * value, and the corners a map lays it over. */
export function gridImage(grid: IndexGrid, low: number, high: number): { url: string; corners: [number, number][] } {
  const canvas = document.createElement("canvas");
  canvas.width = grid.width_px;
  canvas.height = grid.height_px;
  const context = canvas.getContext("2d");
  if (!context) throw new Error("no 2D canvas");
  const pixels = context.createImageData(grid.width_px, grid.height_px);
  grid.values.forEach((row, y) =>
    row.forEach((value, x) => {
      if (value === null) return;
      const at = 4 * (y * grid.width_px + x);
      pixels.data.set([...rgbOf("vigour", value, low, high), 255], at);
    }),
  );
  context.putImageData(pixels, 0, 0);
  const [west, south, east, north] = grid.bounds_wgs84;
  return { url: canvas.toDataURL("image/png"), corners: [[west, north], [east, north], [east, south], [west, south]] };
}

export function gradient(ramp: Ramp): string {
  const stops = ramp === "vigour" ? VIGOUR : DOSE;
  return `linear-gradient(to right, ${stops.map((c) => `rgb(${c.join(", ")})`).join(", ")})`;
}

/** A number in the reader's language with ``digits`` decimals ("—" for none). */
export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return new Intl.NumberFormat(lang.get() === "ja" ? "ja-JP" : "en-GB", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** A calendar date (YYYY-MM-DD, a day in Japan) as a reader in Kasai reads it. */
export function day(iso: string | null): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(lang.get() === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo",
    dateStyle: "medium",
  }).format(new Date(`${iso}T12:00:00+09:00`));
}
