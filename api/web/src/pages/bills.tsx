// The signed-in person's own page: bills and points in the city currency (ねっぴ〜Pay),
// month by month as the ledger keeps them (GET /billing/entries), and their consent to the
// city data platform publishing their personal data (PUT/DELETE /me/city-data-consent).
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, call, get, getAll, post, type Notice } from "../api";
import { jst, lang, t, words } from "../i18n";

const w = words({
  title: { ja: "請求・ポイント（ねっぴ〜Pay）", en: "Bills and points (ねっぴ〜Pay)" },
  month: { ja: "月", en: "Month" },
  charged: { ja: "お支払い", en: "Paid" },
  refunded: { ja: "返金", en: "Refunded" },
  points: { ja: "ポイント", en: "Points" },
  when: { ja: "日時", en: "When" },
  what: { ja: "内容", en: "What" },
  kind: { ja: "種別", en: "Kind" },
  amount: { ja: "金額", en: "Amount" },
  state: { ja: "状態", en: "Status" },
  none: { ja: "まだ請求もポイントもありません。", en: "No bills or points yet." },
  noPlatform: {
    ja: "市の地域通貨基盤につながっていません（管理者にお問い合わせください）。",
    en: "The city currency platform is not connected (ask city staff).",
  },
  charge: { ja: "請求", en: "charge" },
  refund: { ja: "返金", en: "refund" },
  grant: { ja: "ポイント付与", en: "points" },
  succeeded: { ja: "完了", en: "done" },
  pending: { ja: "処理中", en: "pending" },
  failed: { ja: "失敗", en: "failed" },
  total: { ja: "合計", en: "Total" },
  consentTitle: { ja: "市のデータ連携基盤への提供", en: "Sharing with the city data platform" },
  consentWhy: {
    ja: "同意すると、あなたの圃場・水田の記録・配送の記録（氏名・電話番号は含みません）が市のデータ連携基盤に提供され、まちの見える化に使われます。いつでも取り消せます。取り消すと次の提供時に削除されます。",
    en: "With your consent, your fields, paddy records and deliveries (never your name or phone) are shared with the city data platform, for the city's view of itself. You can withdraw at any time: they are deleted at the next publication.",
  },
  consentGiven: { ja: "同意しています（{at} から）", en: "You consent (since {at})" },
  consentNone: { ja: "同意していません", en: "You do not consent" },
  consentGrant: { ja: "提供に同意する", en: "I consent" },
  consentWithdraw: { ja: "同意を取り消す", en: "Withdraw my consent" },
  notices: { ja: "お知らせ", en: "Notices" },
  noNotices: { ja: "お知らせはありません。", en: "No notices." },
  markRead: { ja: "既読にする", en: "Mark read" },
});

/** Every notice to the person (missions, deliveries, paddy water, bills), newest first. */
function Notices() {
  const [notices, setNotices] = useState<Notice[] | null>(null);
  const load = () =>
    get<{ data: Notice[] }>("/notifications?limit=50").then((page) => setNotices(page.data)).catch(() => setNotices([]));
  useEffect(() => void load(), []);
  async function read(n: Notice): Promise<void> {
    await post<Notice>(`/notifications/${n.id}/read`).catch(() => undefined);
    await load();
  }
  const unread = (notices ?? []).filter((n) => !n.read_at).length;
  return (
    <section class="card notices" aria-labelledby="notices-title">
      <h3 id="notices-title">{w("notices")} {unread ? <span class="badge">{unread}</span> : null}</h3>
      {notices === null ? <p>{t("loading")}</p> : notices.length === 0 ? <p class="muted">{w("noNotices")}</p> : (
        <ul class="notice-list">
          {notices.map((n) => (
            <li key={n.id} data-notice={n.id} data-kind={n.kind} class={n.read_at ? "muted" : "unread"}>
              <span class="when">{jst(n.created_at)}</span> {lang.get() === "ja" ? n.text_ja : n.text_en}{" "}
              {n.read_at ? null : (
                <button type="button" class="link" onClick={() => void read(n)}>{w("markRead")}</button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface Account {
  city_data_consent_at: string | null;
}

function Consent() {
  const [account, setAccount] = useState<Account | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    get<Account>("/me").then(setAccount).catch((e) => setProblem(String(e)));
  }, []);
  async function change(method: "PUT" | "DELETE"): Promise<void> {
    try {
      setAccount(await call<Account>(method, "/me/city-data-consent"));
    } catch (e) {
      setProblem(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }
  const since = account?.city_data_consent_at ?? null;
  return (
    <section class="card consent" aria-labelledby="consent-title">
      <h3 id="consent-title">{w("consentTitle")}</h3>
      <p class="muted">{w("consentWhy")}</p>
      {problem ? <p class="problem" role="alert">{problem}</p> : null}
      {account ? (
        <p>
          <span class="consent-state" aria-live="polite">
            {since ? w("consentGiven").replace("{at}", jst(since)) : w("consentNone")}
          </span>{" "}
          {since ? (
            <button type="button" class="secondary" onClick={() => void change("DELETE")}>{w("consentWithdraw")}</button>
          ) : (
            <button type="button" class="primary" onClick={() => void change("PUT")}>{w("consentGrant")}</button>
          )}
        </p>
      ) : null}
    </section>
  );
}

interface Entry {
  id: string;
  kind: "charge" | "refund" | "points";
  amount_yen: number;
  points: number;
  status: "succeeded" | "pending" | "failed";
  reference: string | null;
  description: string;
  created_at: string;
}

const yen = (n: number) => `¥${n.toLocaleString("ja-JP")}`;

/** The month an entry falls in, in Japan time (2026-06). */
function monthOf(iso: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit" })
    .formatToParts(new Date(iso));
  return `${parts.find((p) => p.type === "year")?.value}-${parts.find((p) => p.type === "month")?.value}`;
}

function kindWord(kind: string): string {
  if (kind === "charge") return w("charge");
  if (kind === "refund") return w("refund");
  return w("grant");
}

function statusWord(status: string): string {
  if (status === "succeeded" || status === "pending" || status === "failed") return w(status);
  return status;
}

export function BillsPage() {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    getAll<Entry>("/billing/entries")
      .then(setEntries)
      .catch((e) => setProblem(e instanceof ApiError && e.status === 404 ? w("noPlatform") : String(e)));
  }, []);

  // Month by month: what was paid (settled charges less refunds) and the points granted.
  const months = useMemo(() => {
    const by = new Map<string, { charged: number; refunded: number; points: number }>();
    for (const e of entries ?? []) {
      if (e.status !== "succeeded") continue;
      const month = monthOf(e.created_at);
      const m = by.get(month) ?? { charged: 0, refunded: 0, points: 0 };
      if (e.kind === "charge") m.charged += e.amount_yen;
      else if (e.kind === "refund") m.refunded += e.amount_yen;
      m.points += e.points;
      by.set(month, m);
    }
    return [...by.entries()].sort(([a], [b]) => b.localeCompare(a));
  }, [entries, lang.get()]);

  return (
    <section class="single bills">
      <Notices />
      <Consent />
      <h2>{w("title")}</h2>
      {problem ? <p class="problem" role="alert">{problem}</p> : null}
      {entries === null && !problem ? <p>{t("loading")}</p> : null}
      {entries !== null && entries.length === 0 ? <p>{w("none")}</p> : null}
      {months.length > 0 ? (
        <table class="table months">
          <thead><tr><th>{w("month")}</th><th>{w("charged")}</th><th>{w("refunded")}</th><th>{w("points")}</th></tr></thead>
          <tbody>
            {months.map(([month, m]) => (
              <tr key={month} data-month={month}>
                <td>{month}</td>
                <td class="charged">{yen(m.charged - m.refunded)}</td>
                <td class="refunded">{m.refunded ? yen(m.refunded) : "—"}</td>
                <td class="points">{m.points ? `${m.points.toLocaleString("ja-JP")} pt` : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {entries && entries.length > 0 ? (
        <table class="table entries">
          <thead>
            <tr><th>{w("when")}</th><th>{w("what")}</th><th>{w("kind")}</th><th>{w("amount")}</th><th>{w("points")}</th><th>{w("state")}</th></tr>
          </thead>
          <tbody>
            {[...entries].reverse().map((e) => (
              <tr key={e.id} data-entry={e.id} data-reference={e.reference ?? ""}>
                <td>{jst(e.created_at)}</td>
                <td>{e.description || e.reference || "—"}</td>
                <td>{kindWord(e.kind)}</td>
                <td>{e.amount_yen ? `${e.kind === "refund" ? "−" : ""}${yen(e.amount_yen)}` : "—"}</td>
                <td>{e.points ? `+${e.points}` : "—"}</td>
                <td class={`state state-${e.status}`}>{statusWord(e.status)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
