// A mission's planned path on the map: spraying by sortie, transits dashed, with a legend
// of each sortie's sprayed and flown distance (from GET /missions/{id}/plan).
import { useState } from "preact/hooks";
import { ApiError, get } from "./api";
import { t, words } from "./i18n";
import { SORTIE_COLOURS } from "./map";

const w = words({
  plannedPath: { ja: "計画経路", en: "Planned path" },
  showPath: { ja: "経路", en: "Path" },
  sprayOn: { ja: "散布（実線）", en: "spraying (solid)" },
  surveyOn: { ja: "撮影（実線）", en: "surveying (solid)" },
  transit: { ja: "移動・散布停止（破線）", en: "transit, sprayer off (dashed)" },
  work: { ja: "作業", en: "work" },
  flown: { ja: "飛行", en: "flown" },
});

export { w as planWords };

/** The legs of mission ``id``'s plan, in flight order. */
async function missionPlan(id: number): Promise<GeoJSON.FeatureCollection> {
  const doc = await get<GeoJSON.FeatureCollection>(`/missions/${id}/plan`);
  return { type: "FeatureCollection", features: doc.features.filter((f) => f.properties?.kind === "leg") };
}

export interface ShownPlan {
  id: number;
  legs: GeoJSON.FeatureCollection;
}

/** The mission plan a page shows, and a toggle for a mission's row: its plan fetched and
 * shown, or hidden when it is the one shown; a refusal goes to ``onProblem``. */
export function useMissionPlan(onProblem: (message: string) => void): [ShownPlan | null, (id: number) => Promise<void>] {
  const [plan, setPlan] = useState<ShownPlan | null>(null);
  async function toggle(id: number): Promise<void> {
    if (plan?.id === id) return setPlan(null);
    try {
      setPlan({ id, legs: await missionPlan(id) });
    } catch (e) {
      onProblem(e instanceof ApiError ? `${e.title}: ${e.detail}` : String(e));
    }
  }
  return [plan, toggle];
}

function metres(line: GeoJSON.Geometry): number {
  if (line.type !== "LineString") return 0;
  let total = 0;
  for (let i = 1; i < line.coordinates.length; i++) {
    const [x0, y0] = line.coordinates[i - 1];
    const [x1, y1] = line.coordinates[i];
    const dy = (y1 - y0) * 111_320;
    const dx = (x1 - x0) * 111_320 * Math.cos(((y0 + y1) / 2) * (Math.PI / 180));
    total += Math.hypot(dx, dy);
  }
  return total;
}

/** What the map shows, in words: each sortie's colour, its work and all it flies. */
export function PlanLegend({ id, plan }: { id: number; plan: GeoJSON.FeatureCollection }) {
  const sorties = new Map<number, { work: number; flown: number }>();
  let surveys = false;
  for (const leg of plan.features) {
    const sortie = Number(leg.properties?.sortie ?? 1);
    const action = String(leg.properties?.action ?? "");
    const length = metres(leg.geometry);
    const now = sorties.get(sortie) ?? { work: 0, flown: 0 };
    if (action !== "transit") now.work += length;
    if (action === "survey") surveys = true;
    now.flown += length;
    sorties.set(sortie, now);
  }
  const km = (m: number) => `${(m / 1000).toFixed(2)} km`;
  return (
    <div class="card plan-legend" data-plan={id}>
      <h3>{w("plannedPath")} #{id}</h3>
      <p class="muted">
        ━ {surveys ? w("surveyOn") : w("sprayOn")} · ┅ {w("transit")}
      </p>
      <ul>
        {[...sorties.entries()].sort(([a], [b]) => a - b).map(([sortie, d]) => (
          <li key={sortie} data-sortie={sortie}>
            <span class="swatch" style={{ background: SORTIE_COLOURS[(sortie - 1) % SORTIE_COLOURS.length] }} />
            {t("sortie")} {sortie}: {w("work")} {km(d.work)}, {w("flown")} {km(d.flown)}
          </li>
        ))}
      </ul>
    </div>
  );
}
