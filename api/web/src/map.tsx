// The map: MapLibre GL with a plain style of its own (no tiles, no fonts, nothing from the
// internet), showing fields, zones and flight paths from GeoJSON the API gives; an online
// raster basemap under them only when the server's settings name one (map_tiles_url).
import * as maplibregl from "maplibre-gl";
import type { Coordinates, GeoJSONSource, LngLatBoundsLike, MapLayerMouseEvent } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
// MapLibre 6 loads its worker from a file of its own: Vite bundles it (with the chunk it
// shares with the library) and hands back its URL.
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url";
import { useEffect, useRef, useState } from "preact/hooks";
import { get } from "./api";

export interface MapData {
  fields: GeoJSON.FeatureCollection;
  zones?: GeoJSON.FeatureCollection;
  vehicles?: GeoJSON.FeatureCollection;
  paths?: GeoJSON.FeatureCollection;
  /** A mission's planned legs (the planner's GeoJSON: ``action`` spray / transit / survey,
   * ``sortie``): spraying drawn solid in its sortie's colour, transits dashed; the map
   * moves to it when it comes. */
  plan?: GeoJSON.FeatureCollection | null;
  places?: GeoJSON.FeatureCollection;
  /** Polygons filled with their own ``color`` property (management zones by index or rate),
   * keyed by their ``id`` property; ``picked`` is outlined. */
  areas?: GeoJSON.FeatureCollection;
  picked?: string | null;
  /** An image laid over four corners (west-north, east-north, east-south, west-south),
   * under the areas: an index drawn pixel by pixel. */
  overlay?: { url: string; corners: [number, number][] } | null;
  selected?: string[];
  /** The data has come (an empty collection then means none): once the map has drawn it,
   * the page marks ``tanbo:map-rendered``, and ``tanbo:vehicles-rendered`` once it has
   * drawn the first vehicles (bench/console.py reads them). */
  loaded?: boolean;
}

maplibregl.setWorkerUrl(workerUrl);

interface ConsoleSettings {
  tiles_url: string | null;
  tiles_attribution: string;
}

let settings: Promise<ConsoleSettings> | null = null;

/** The server's console settings, asked once: an online basemap only if it names one. */
function consoleSettings(): Promise<ConsoleSettings> {
  settings ??= get<ConsoleSettings>("/console-settings").catch(() => ({ tiles_url: null, tiles_attribution: "" }));
  return settings;
}

/** Each sortie's colour on the map, in turn (sortie 1 the first). */
export const SORTIE_COLOURS = ["#1565c0", "#e65100", "#6a1b9a", "#00838f", "#ad1457", "#2e7d32"];

const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

const STYLE: maplibregl.StyleSpecification = {
  version: 8,
  sources: {
    fields: { type: "geojson", data: EMPTY, promoteId: "id" },
    zones: { type: "geojson", data: EMPTY },
    vehicles: { type: "geojson", data: EMPTY },
    paths: { type: "geojson", data: EMPTY },
    plan: { type: "geojson", data: EMPTY },
    places: { type: "geojson", data: EMPTY },
    areas: { type: "geojson", data: EMPTY },
  },
  layers: [
    { id: "land", type: "background", paint: { "background-color": "#eef2e6" } },
    { id: "zones", type: "fill", source: "zones", paint: { "fill-color": "#d9534f", "fill-opacity": 0.25 } },
    { id: "zones-edge", type: "line", source: "zones", paint: { "line-color": "#b52b27", "line-width": 1 } },
    {
      id: "fields",
      type: "fill",
      source: "fields",
      paint: {
        "fill-color": ["case", ["boolean", ["feature-state", "selected"], false], "#f0ad4e", "#7cb342"],
        "fill-opacity": 0.6,
      },
    },
    { id: "fields-edge", type: "line", source: "fields", paint: { "line-color": "#33691e", "line-width": 1.2 } },
    { id: "areas", type: "fill", source: "areas", paint: { "fill-color": ["get", "color"], "fill-opacity": 0.85 } },
    {
      id: "areas-edge",
      type: "line",
      source: "areas",
      paint: {
        "line-color": ["case", ["boolean", ["get", "picked"], false], "#000000", "#ffffff"],
        "line-width": ["case", ["boolean", ["get", "picked"], false], 3, 1],
      },
    },
    {
      id: "places",
      type: "circle",
      source: "places",
      paint: {
        "circle-radius": ["case", ["boolean", ["get", "chosen"], false], 9, 6],
        "circle-color": ["match", ["get", "kind"], "depot", "#6d4c41", "#8e24aa"],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2,
      },
    },
    {
      id: "plan-transit",
      type: "line",
      source: "plan",
      filter: ["==", ["get", "action"], "transit"],
      paint: { "line-color": "#546e7a", "line-width": 1.5, "line-dasharray": [2, 2] },
    },
    {
      id: "plan-work",
      type: "line",
      source: "plan",
      filter: ["!=", ["get", "action"], "transit"],
      paint: {
        // The sortie's colour, in turn: SORTIE_COLOURS[(sortie - 1) % its length].
        "line-color": [
          "to-color",
          ["at", ["%", ["-", ["to-number", ["get", "sortie"], 1], 1], SORTIE_COLOURS.length], ["literal", SORTIE_COLOURS]],
        ] as maplibregl.ExpressionSpecification,
        "line-width": 2.5,
      },
    },
    { id: "paths", type: "line", source: "paths", paint: { "line-color": "#1565c0", "line-width": 2, "line-opacity": 0.8 } },
    {
      id: "vehicles",
      type: "circle",
      source: "vehicles",
      paint: {
        "circle-radius": 7,
        "circle-color": ["case", ["boolean", ["get", "armed"], false], "#1565c0", "#78909c"],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2,
      },
    },
  ],
};

/** Fields or zones as the map's GeoJSON: each feature keyed by its id (for selection). */
export function shapes(items: { id: string; geometry: GeoJSON.Geometry }[]): GeoJSON.FeatureCollection {
  return {
    type: "FeatureCollection",
    features: items.map((item) => ({
      type: "Feature", id: item.id, geometry: item.geometry, properties: { id: item.id },
    })),
  };
}

/** The bounds of every coordinate in ``collections`` (None when they hold nothing). */
export function boundsOf(...collections: (GeoJSON.FeatureCollection | undefined)[]): LngLatBoundsLike | null {
  let west = Infinity, south = Infinity, east = -Infinity, north = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number") {
      west = Math.min(west, c[0]); east = Math.max(east, c[0]);
      south = Math.min(south, c[1]); north = Math.max(north, c[1]);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  for (const fc of collections) {
    for (const f of fc?.features ?? []) {
      if (f.geometry && "coordinates" in f.geometry) visit(f.geometry.coordinates);
    }
  }
  return Number.isFinite(west) ? [[west, south], [east, north]] : null;
}

export function FieldMap(
  props: MapData & { onPick?: (fieldId: string) => void; onPickArea?: (id: string) => void; label: string },
) {
  const holder = useRef<HTMLDivElement>(null);
  const map = useRef<maplibregl.Map | null>(null);
  const [ready, setReady] = useState(false);
  const [broken, setBroken] = useState<string | null>(null);
  const pick = useRef(props.onPick);
  pick.current = props.onPick;
  const pickArea = useRef(props.onPickArea);
  pickArea.current = props.onPickArea;

  useEffect(() => {
    if (!holder.current) return;
    let m: maplibregl.Map;
    try {
      m = new maplibregl.Map({
        container: holder.current,
        style: STYLE,
        center: [134.8414, 34.9283], // Kasai city hall until the data says where to look
        zoom: 13,
        attributionControl: false,
      });
    } catch (error) {
      setBroken(String(error));
      return;
    }
    m.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    m.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
    m.on("load", () => {
      setReady(true);
      void consoleSettings().then((cs) => {
        if (!cs.tiles_url || m.getSource("basemap")) return;
        m.addSource("basemap", { type: "raster", tiles: [cs.tiles_url], tileSize: 256, attribution: cs.tiles_attribution });
        m.addLayer({ id: "basemap", type: "raster", source: "basemap" }, "zones");
        m.addControl(new maplibregl.AttributionControl({ compact: false }), "bottom-right");
      });
    });
    m.on("idle", () => {
      // What the map has drawn, for tests and readers of the page: the areas on the canvas.
      const drawn = new Set(m.queryRenderedFeatures({ layers: ["areas"] }).map((f) => String(f.properties.id)));
      if (holder.current) holder.current.dataset.areasDrawn = [...drawn].sort().join(" ");
      if (holder.current) holder.current.dataset.overlay = m.getLayer("overlay") && m.isSourceLoaded("overlay") ? "drawn" : "none";
    });
    m.on("click", "fields", (event: MapLayerMouseEvent) => {
      const id = event.features?.[0]?.properties?.id;
      if (typeof id === "string") pick.current?.(id);
    });
    m.on("click", "areas", (event: MapLayerMouseEvent) => {
      const id = event.features?.[0]?.properties?.id;
      if (id !== undefined) pickArea.current?.(String(id));
    });
    for (const layer of ["fields", "areas"]) {
      m.on("mouseenter", layer, () => (m.getCanvas().style.cursor = "pointer"));
      m.on("mouseleave", layer, () => (m.getCanvas().style.cursor = ""));
    }
    map.current = m;
    return () => m.remove();
  }, []);

  useEffect(() => {
    const m = map.current;
    if (!m || !ready) return;
    (m.getSource("fields") as GeoJSONSource).setData(props.fields);
    (m.getSource("zones") as GeoJSONSource).setData(props.zones ?? EMPTY);
    (m.getSource("places") as GeoJSONSource).setData(props.places ?? EMPTY);
    const bounds = boundsOf(props.fields, props.zones, props.places);
    if (bounds) m.fitBounds(bounds, { padding: 40, duration: 0, maxZoom: 18 });
    if (props.loaded && performance.getEntriesByName("tanbo:map-rendered").length === 0) {
      // Drawn: the first frame after the fields' tiles are in (not the map's first idle,
      // which a live fleet updating twice a second would put off).
      const tiled = (e: maplibregl.MapSourceDataEvent) => {
        if (e.sourceId !== "fields" || !e.tile || !m.isSourceLoaded("fields")) return;
        m.off("sourcedata", tiled);
        m.once("render", () => {
          if (performance.getEntriesByName("tanbo:map-rendered").length === 0) performance.mark("tanbo:map-rendered");
        });
      };
      if (props.fields.features.length) m.on("sourcedata", tiled);
      else m.once("idle", () => performance.mark("tanbo:map-rendered"));
    }
  }, [ready, props.fields, props.zones, props.places, props.loaded]);

  useEffect(() => {
    const m = map.current;
    if (!m || !ready) return;
    (m.getSource("vehicles") as GeoJSONSource).setData(props.vehicles ?? EMPTY);
    (m.getSource("paths") as GeoJSONSource).setData(props.paths ?? EMPTY);
    if (props.vehicles?.features.length && performance.getEntriesByName("tanbo:vehicles-rendered").length === 0) {
      m.once("idle", () => performance.mark("tanbo:vehicles-rendered"));
    }
  }, [ready, props.vehicles, props.paths]);

  useEffect(() => {
    const m = map.current;
    if (!m || !ready) return;
    (m.getSource("plan") as GeoJSONSource).setData(props.plan ?? EMPTY);
    if (holder.current) holder.current.dataset.planLegs = String(props.plan?.features.length ?? 0);
    const bounds = props.plan ? boundsOf(props.plan) : null;
    if (bounds) m.fitBounds(bounds, { padding: 40, duration: 0, maxZoom: 18 });
  }, [ready, props.plan]);

  useEffect(() => {
    const m = map.current;
    if (!m || !ready) return;
    const picked = props.picked ?? null;
    const areas = props.areas ?? EMPTY;
    (m.getSource("areas") as GeoJSONSource).setData({
      ...areas,
      features: areas.features.map((f) => ({ ...f, properties: { ...f.properties, picked: String(f.properties?.id) === picked } })),
    });
  }, [ready, props.areas, props.picked]);

  useEffect(() => {
    const m = map.current;
    if (!m || !ready) return;
    if (m.getLayer("overlay")) m.removeLayer("overlay");
    if (m.getSource("overlay")) m.removeSource("overlay");
    if (!props.overlay) return;
    m.addSource("overlay", { type: "image", url: props.overlay.url, coordinates: props.overlay.corners as Coordinates });
    m.addLayer(
      { id: "overlay", type: "raster", source: "overlay", paint: { "raster-resampling": "nearest", "raster-fade-duration": 0 } },
      "areas",
    );
  }, [ready, props.overlay]);

  useEffect(() => {
    const m = map.current;
    if (!m || !ready) return;
    m.removeFeatureState({ source: "fields" });
    for (const id of props.selected ?? []) m.setFeatureState({ source: "fields", id }, { selected: true });
  }, [ready, props.fields, props.selected]);

  return (
    <div class="map" role="region" aria-label={props.label}>
      {broken ? <p class="map-broken">地図を表示できません (WebGL): {broken}</p> : null}
      <div ref={holder} class="map-canvas" data-ready={ready ? "yes" : "no"} />
    </div>
  );
}
