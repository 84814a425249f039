// The console's frame: who is signed in, what their roles let them see, the language.
import { useEffect, useState } from "preact/hooks";
import { ApiError, forgetToken, get, loginUrl, post, token, type Me } from "./api";
import { lang, setLang, t, type Word } from "./i18n";
import { BillsPage } from "./pages/bills";
import { CityPage } from "./pages/city";
import { CropsPage } from "./pages/crops";
import { DeliveriesPage } from "./pages/deliveries";
import { FieldsPage } from "./pages/fields";
import { OperationsPage } from "./pages/operations";
import { WaterPage } from "./pages/water";
import { useSignal } from "./state";

interface Route {
  path: string;
  word: Word;
  roles: string[];
}

const ROUTES: Route[] = [
  { path: "#/fields", word: "fields", roles: ["farmer", "city_admin"] },
  { path: "#/water", word: "water", roles: ["farmer", "city_admin"] },
  { path: "#/crops", word: "crops", roles: ["farmer", "city_admin"] },
  { path: "#/operations", word: "operations", roles: ["operator", "city_admin"] },
  { path: "#/deliveries", word: "deliveries", roles: [] }, // anyone may be a recipient
  { path: "#/bills", word: "bills", roles: [] }, // anyone may pay or earn points
  { path: "#/city", word: "city", roles: ["city_admin"] },
];

function useHash(): string {
  const [hash, setHash] = useState(location.hash || "#/");
  useEffect(() => {
    const changed = () => setHash(location.hash || "#/");
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

export function App(props: { refused?: boolean }) {
  useSignal(lang); // re-render everything in the new language
  const [me, setMe] = useState<Me | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const hash = useHash();

  useEffect(() => {
    if (!token()) return;
    get<Me>("/me")
      .then(setMe)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) forgetToken();
        setProblem(e instanceof ApiError ? e.detail || e.title : String(e));
      });
  }, []);

  if (!token() || (!me && problem)) {
    return <Login problem={problem ?? (props.refused ? t("loginRefused") : null)} />;
  }
  if (!me) return <p class="loading">{t("loading")}</p>;

  const mine = ROUTES.filter((r) => r.roles.length === 0 || r.roles.some((role) => me.roles.includes(role)));
  const current = mine.find((r) => hash.startsWith(r.path)) ?? mine[0];
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">Tanbo</a>
        <nav aria-label="main">
          {mine.map((r) => (
            <a key={r.path} href={r.path} aria-current={r === current ? "page" : undefined}>{t(r.word)}</a>
          ))}
        </nav>
        <span class="who">{me.display_name} <span class="muted">({me.roles.join(", ") || "—"})</span></span>
        <button type="button" class="link" onClick={() => setLang(lang.get() === "ja" ? "en" : "ja")}>{t("language")}</button>
        <button
          type="button"
          class="link"
          onClick={async () => {
            await post("/auth/logout").catch(() => undefined);
            forgetToken();
            location.hash = "#/";
            location.reload();
          }}
        >
          {t("logout")}
        </button>
      </header>
      <main>
        {current?.word === "fields" ? <FieldsPage /> : null}
        {current?.word === "water" ? <WaterPage /> : null}
        {current?.word === "crops" ? <CropsPage /> : null}
        {current?.word === "operations" ? <OperationsPage /> : null}
        {current?.word === "city" ? <CityPage /> : null}
        {current?.word === "bills" ? <BillsPage /> : null}
        {current?.word === "deliveries" ? <DeliveriesPage canRequest={me.roles.includes("pharmacy")} me={me.id} /> : null}
      </main>
    </>
  );
}

function Login({ problem }: { problem: string | null }) {
  return (
    <main class="login">
      <h1>{t("title")}</h1>
      <p>{t("loginWhy")}</p>
      {problem ? <p class="problem" role="alert">{problem}</p> : null}
      <a class="button" href="/auth/login" onClick={(e) => { e.preventDefault(); location.href = loginUrl(); }}>{t("login")}</a>
      <p>
        <button type="button" class="link" onClick={() => setLang(lang.get() === "ja" ? "en" : "ja")}>{t("language")}</button>
      </p>
    </main>
  );
}
