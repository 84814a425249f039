// Japanese first (Kasai), English on request; times always in Asia/Tokyo.
import { signal } from "./state";

export type Lang = "ja" | "en";

const WORDS = {
  title: { ja: "Tanbo 農業・ドローン運用", en: "Tanbo farm and drone operations" },
  login: { ja: "マイナンバーカードでログイン", en: "Log in with the city identity (My Number card)" },
  loginWhy: {
    ja: "加西市の共通ID（マイナンバーカード）でログインします。",
    en: "You log in with the city's shared identity (My Number card).",
  },
  logout: { ja: "ログアウト", en: "Log out" },
  loginRefused: {
    ja: "このタブで始めたログインではないため、受け付けませんでした。もう一度ログインしてください。",
    en: "That login was not started in this tab, so it was not taken. Please log in again.",
  },
  language: { ja: "English", en: "日本語" },
  fields: { ja: "圃場", en: "Fields" },
  crops: { ja: "生育・施肥", en: "Crops" }, // the crop page's own words are in pages/crops.tsx
  missions: { ja: "ミッション", en: "Missions" },
  deliveries: { ja: "配送", en: "Deliveries" },
  bills: { ja: "マイページ", en: "My page" },
  noFields: { ja: "登録された圃場はありません。", en: "No fields are registered." },
  importTitle: { ja: "圃場ファイルの取り込み", en: "Import a field file" },
  dropHere: {
    ja: "GeoJSON・GeoPackage・Shapefile(zip)・KML をここにドロップ、または選択",
    en: "Drop a GeoJSON, GeoPackage, zipped Shapefile or KML here, or choose one",
  },
  imported: { ja: "取り込み結果", en: "Imported" },
  created: { ja: "新規", en: "new" },
  updated: { ja: "更新", en: "updated" },
  rejected: { ja: "取り込めなかった区画", en: "Rejected" },
  area: { ja: "面積", en: "Area" },
  requestMission: { ja: "散布・空撮を依頼", en: "Request spraying or a survey" },
  kind: { ja: "種類", en: "Kind" },
  spray: { ja: "散布", en: "Spraying" },
  survey: { ja: "空撮（生育調査）", en: "Survey (crop monitoring)" },
  firstDay: { ja: "開始日", en: "From" },
  lastDay: { ja: "終了日", en: "To" },
  swath: { ja: "散布幅 (m)", en: "Swath (m)" },
  rate: { ja: "散布量 (L/ha)", en: "Rate (L/ha)" },
  tank: { ja: "タンク容量 (L)", en: "Tank (L)" },
  gsd: { ja: "地上解像度 (cm)", en: "Ground resolution (cm)" },
  note: { ja: "メモ", en: "Note" },
  send: { ja: "依頼する", en: "Send the request" },
  chooseFields: { ja: "地図または一覧で圃場を選んでください。", en: "Choose fields on the map or in the list." },
  selected: { ja: "選択中", en: "selected" },
  status: { ja: "状態", en: "Status" },
  slot: { ja: "予定", en: "Booked" },
  noMissions: { ja: "ミッションはまだありません。", en: "No missions yet." },
  requestDelivery: { ja: "配送を依頼", en: "Request a delivery" },
  dropPoint: { ja: "受け取り場所", en: "Drop point" },
  item: { ja: "品名", en: "Item" },
  weight: { ja: "重さ (kg)", en: "Weight (kg)" },
  temperature: { ja: "温度帯", en: "Temperature" },
  ambient: { ja: "常温", en: "Ambient" },
  cool: { ja: "冷蔵 (2–8 °C)", en: "Cool (2–8 °C)" },
  frozen: { ja: "冷凍", en: "Frozen" },
  recipientId: { ja: "受取人の市民ID（わかれば）", en: "Recipient's city account (if known)" },
  recipientName: { ja: "受取人の氏名", en: "Recipient's name" },
  received: { ja: "受け取りました", en: "I have received it" },
  recipientPhone: { ja: "電話番号", en: "Phone" },
  noDeliveries: { ja: "配送はまだありません。", en: "No deliveries yet." },
  timeline: { ja: "経過", en: "Timeline" },
  fee: { ja: "料金", en: "Fee" },
  error: { ja: "エラー", en: "Error" },
  operations: { ja: "運航", en: "Operations" },
  city: { ja: "市の状況", en: "The city" },
  fromMonth: { ja: "開始月", en: "From" },
  toMonth: { ja: "終了月", en: "To" },
  show: { ja: "表示", en: "Show" },
  monthDistrict: { ja: "月・地区", en: "Month, district" },
  sprayedHa: { ja: "散布 (ha)", en: "Sprayed (ha)" },
  surveyedHa: { ja: "空撮 (ha)", en: "Surveyed (ha)" },
  flights: { ja: "飛行回数", en: "Flights" },
  flightHours: { ja: "飛行時間 (h)", en: "Flight hours" },
  deliveriesMade: { ja: "配送完了", en: "Deliveries made" },
  inletM3: { ja: "取水 (m³)", en: "Water let in (m³)" },
  savedM3: { ja: "節水 (m³)", en: "Water saved (m³)" },
  damM3: { ja: "田んぼダム貯留 (m³)", en: "Paddy-dam storage (m³)" },
  water: { ja: "水管理", en: "Paddy water" },
  alerts: { ja: "警報", en: "Alerts" },
  wholeCity: { ja: "市全体", en: "whole city" },
  openData: { ja: "オープンデータ", en: "Open data" },
  fleet: { ja: "機体の位置", en: "The fleet" },
  approve: { ja: "承認", en: "Approve" },
  reject: { ja: "却下", en: "Reject" },
  abort: { ja: "中止（帰還）", en: "Abort (return home)" },
  abortReason: { ja: "オペレーターが中止", en: "aborted by the operator" },
  mode: { ja: "モード", en: "Mode" },
  armed: { ja: "アーム中", en: "armed" },
  battery: { ja: "バッテリー", en: "Battery" },
  altitude: { ja: "高度", en: "Altitude" },
  speed: { ja: "対地速度", en: "Ground speed" },
  sortie: { ja: "ソーティ", en: "Sortie" },
  missionItem: { ja: "ミッション項目", en: "Mission item" },
  flightLogs: { ja: "飛行日誌", en: "Flight logs (飛行日誌)" },
  downloadCsv: { ja: "CSVでダウンロード", en: "Download as CSV" },
  vehicle: { ja: "機体", en: "Vehicle" },
  takeoff: { ja: "離陸", en: "Take-off" },
  flightTime: { ja: "飛行時間", en: "Flight time" },
  pilot: { ja: "操縦者", en: "Pilot" },
  loading: { ja: "読み込み中…", en: "Loading…" },
} as const;

export type Word = keyof typeof WORDS;

const stored = localStorage.getItem("tanbo.lang");
export const lang = signal<Lang>(stored === "en" ? "en" : "ja");

export function setLang(next: Lang): void {
  localStorage.setItem("tanbo.lang", next);
  document.documentElement.lang = next;
  lang.set(next);
}

export function t(word: Word): string {
  return WORDS[word][lang.get()];
}

const STATES: Record<string, [string, string]> = {
  requested: ["依頼済み", "requested"],
  approved: ["承認済み", "approved"],
  scheduled: ["予定確定", "scheduled"],
  dispatched: ["出動", "dispatched"],
  flying: ["飛行中", "flying"],
  completed: ["完了", "completed"],
  held: ["保留（天候）", "held (weather)"],
  rejected: ["却下", "rejected"],
  cancelled: ["取消", "cancelled"],
  failed: ["失敗", "failed"],
  aborted: ["中止", "aborted"],
  expired: ["期限切れ", "expired"],
  accepted: ["受付", "accepted"],
  loading: ["積込み中", "loading"],
  in_flight: ["飛行中", "in flight"],
  arrived: ["到着", "arrived"],
  released: ["投下済み", "released"],
  confirmed: ["受取確認", "confirmed"],
  vehicle_returned: ["機体帰還", "vehicle returned"],
  returned_to_pharmacy: ["薬局へ返送", "returned to the pharmacy"],
};

/** A mission's or delivery's state in the reader's language. */
export function stateName(state: string): string {
  const names = STATES[state];
  return names ? names[lang.get() === "ja" ? 0 : 1] : state;
}

/** A time in Japan, as a Kasai reader reads it. */
export function jst(iso: string | null): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(lang.get() === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo",
    dateStyle: "medium",
    timeStyle: "short",
  }).format(new Date(iso));
}

/** The day in Japan ``offsetDays`` from today, YYYY-MM-DD (a date input's value). */
export function jstDate(offsetDays = 0): string {
  const at = new Date(Date.now() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Tokyo" }).format(at);
}

/** A page's own words, kept beside the page: `const w = words({ gate: { ja: "水門", en:
 * "Gate" } })`, then `w("gate")` in the reader's language (shared words stay in WORDS). */
export function words<K extends string>(dict: Record<K, { ja: string; en: string }>): (word: K) => string {
  return (word: K) => dict[word][lang.get()];
}
