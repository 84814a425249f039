"""Zonal statistics of 10,000 fields on a Sentinel-2-sized tile: Tanbo beside rasterstats.

The tile is a 10,980 × 10,980 float32 index image at 10 m in EPSG:32653 (UTM 53N, over
Kasai), tiled 512 × 512 and deflate-compressed: a smooth pattern plus pixel noise, so it
compresses as badly as a real index does, with a few round cloud holes (NaN). It is
written block-row by block-row once and cached in ``.tanbo/bench/`` (ignored by git).
The fields are paddy-like rectangles 30–100 m a side, 40 % turned by a random angle, one
in ten centred on a block boundary, the rest spread over the tile; same seed, same fields.

Each tool runs in its own child process so that each one's peak memory is its own:
``ru_maxrss`` counts GDAL's block cache and every C allocation, which tracemalloc misses.
Tanbo gets the fields in WGS84 and reprojects them (inside the timing); rasterstats gets
the same rectangles in the tile's CRS, as it cannot reproject. Both mask NaN. They differ
on purpose at the edges: rasterstats takes a pixel whole when its centre is inside
(``all_touched=False``), Tanbo (exactextract) weighs it by the share inside, so their means
agree closely but not exactly; the table gives the median and 95th percentile of the
difference.

    .venv/bin/python bench/agronomy.py [--fields 10000] [--size 10980] [--repeat 1]
"""

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.warp import transform_geom
from rasterio.windows import Window

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from fields.agronomy.model import FieldShape  # noqa: E402
from fields.agronomy.zonal import FieldStats, zonal_stats  # noqa: E402

CACHE = ROOT / ".tanbo" / "bench"
CRS = "EPSG:32653"
WEST, NORTH = 399_960.0, 3_900_000.0  # a Sentinel-2 tile corner in UTM 53N
PIXEL_M = 10.0
BLOCK = 512
SEED = 20261207
RASTERSTATS_STATS = "mean median std count min max percentile_10 percentile_90"
RASTERSTATS_BUDGET_S = 300.0


def tile_path(size: int) -> Path:
    """The cached tile of ``size`` pixels a side, written on first use."""
    path = CACHE / f"index_{size}px_32653.tif"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        partial = path.with_suffix(".partial.tif")
        write_tile(partial, size)
        partial.rename(path)
        print(f"wrote {path.name} ({path.stat().st_size / 2**20:,.0f} MiB) in "
              f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    return path


def write_tile(path: Path, size: int) -> None:
    """A smooth index pattern plus noise and cloud holes, one block row at a time."""
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32",
        "crs": CRS, "transform": Affine(PIXEL_M, 0, WEST, 0, -PIXEL_M, NORTH), "nodata": math.nan,
        "tiled": True, "blockxsize": BLOCK, "blockysize": BLOCK, "compress": "deflate",
        "predictor": 3, "BIGTIFF": "IF_SAFER",
    }  # fmt: skip
    rng = np.random.default_rng(SEED)
    extent_m = size * PIXEL_M
    clouds = [(rng.uniform(0, extent_m), rng.uniform(0, extent_m), rng.uniform(500, 2500))
              for _ in range(12)]  # fmt: skip
    x = (np.arange(size) + 0.5) * PIXEL_M
    with rasterio.open(path, "w", **profile) as dst:
        for row0 in range(0, size, BLOCK):
            rows = min(BLOCK, size - row0)
            y = ((np.arange(rows) + row0 + 0.5) * PIXEL_M)[:, None]
            value = (0.55 + 0.2 * np.sin(2 * np.pi * x / 3700) * np.cos(2 * np.pi * y / 5300)
                     + 0.1 * np.sin(2 * np.pi * (x + 2 * y) / 900))  # fmt: skip
            value += np.random.default_rng([SEED, row0]).normal(0, 0.04, value.shape)
            for cx, cy, radius in clouds:
                value[(x - cx) ** 2 + (y - cy) ** 2 < radius**2] = np.nan
            dst.write(value.astype(np.float32), 1, window=Window(0, row0, size, rows))


def make_fields(n: int, size: int) -> list[shapely.Polygon]:
    """``n`` paddy-like rectangles in the tile's CRS, 30–100 m a side, some turned."""
    rng = np.random.default_rng(SEED + 1)
    extent_m, margin = size * PIXEL_M, 150.0
    cx = WEST + rng.uniform(margin, extent_m - margin, n)
    cy = NORTH - rng.uniform(margin, extent_m - margin, n)
    on_edge = rng.random(n) < 0.1  # centred on a block boundary, in x or in y
    block_m = BLOCK * PIXEL_M
    snap_x = rng.random(n) < 0.5
    edges_x = WEST + np.clip(np.round((cx - WEST) / block_m), 1, None) * block_m
    edges_y = NORTH - np.clip(np.round((NORTH - cy) / block_m), 1, None) * block_m
    cx = np.where(on_edge & snap_x & (edges_x < WEST + extent_m - margin), edges_x, cx)
    cy = np.where(on_edge & ~snap_x & (edges_y > NORTH - extent_m + margin), edges_y, cy)
    half_w, half_h = rng.uniform(15, 50, n), rng.uniform(15, 50, n)
    angle = np.where(rng.random(n) < 0.4, rng.uniform(0, np.pi / 2, n), 0.0)
    unit = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)], dtype=float)
    local = unit[None, :, :] * np.stack([half_w, half_h], axis=1)[:, None, :]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    xs = cx[:, None] + local[..., 0] * cos - local[..., 1] * sin
    ys = cy[:, None] + local[..., 0] * sin + local[..., 1] * cos
    return list(shapely.polygons(np.stack([xs, ys], axis=2)))


def as_wgs84(polygons: list[shapely.Polygon]) -> list[FieldShape]:
    mappings = transform_geom(CRS, "EPSG:4326", [p.__geo_interface__ for p in polygons])
    return [FieldShape(id=f"paddy-{i:05d}", geometry=shapely.geometry.shape(m))
            for i, m in enumerate(mappings)]  # fmt: skip


def run_tanbo(tile: Path, polygons: list[shapely.Polygon]) -> Callable[[], list[float]]:
    fields = as_wgs84(polygons)

    def run() -> list[float]:
        results = zonal_stats(tile, fields)
        return [r.stats.mean if isinstance(r, FieldStats) else math.nan for r in results]

    return run


def run_rasterstats(tile: Path, polygons: list[shapely.Polygon]) -> Callable[[], list[float]]:
    from rasterstats import zonal_stats as rasterstats_zonal_stats

    def run() -> list[float]:
        rows = rasterstats_zonal_stats(polygons, str(tile), stats=RASTERSTATS_STATS,
                                       all_touched=False)  # fmt: skip
        return [math.nan if row["mean"] is None else row["mean"] for row in rows]

    return run


def child(tool: str, fields: int, size: int, repeat: int, every: int, out: Path) -> None:
    """Time one tool in this process and print its figures as one JSON line."""
    tile = tile_path(size)
    polygons = make_fields(fields, size)[::every]
    run = (run_tanbo if tool == "tanbo" else run_rasterstats)(tile, polygons)
    rss_before = _rss_now_mb()
    seconds, means = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        means = run()
        seconds.append(time.perf_counter() - start)
    np.save(out, np.array(means, dtype=float))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "before_mb": rss_before,
                      "after_mb": _rss_now_mb(), "fields": len(polygons)}))  # fmt: skip


def _rss_now_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def spawn(tool: str, args: argparse.Namespace, every: int, out: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", tool, "--fields", str(args.fields),
               "--size", str(args.size), "--repeat", str(args.repeat), "--every", str(every),
               "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{tool} child failed:\n{done.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["median_s"] = float(np.median(figures.pop("seconds")))
    return figures


def rasterstats_every(args: argparse.Namespace, folder: Path) -> int:
    """1 (all fields) unless a probe on every 50th field says that would pass the budget."""
    if args.every:
        return int(args.every)
    probe_args = argparse.Namespace(**{**vars(args), "repeat": 1})
    probe = spawn("rasterstats", probe_args, 50, folder / "probe.npy")
    estimate_s = probe["median_s"] * 50
    if estimate_s <= RASTERSTATS_BUDGET_S:
        return 1
    every = math.ceil(estimate_s / RASTERSTATS_BUDGET_S)
    print(f"rasterstats on all {args.fields:,} fields would take about {estimate_s:.0f} s: "
          f"it runs on every {every}th field and its time is scaled by {every}")  # fmt: skip
    return every


def forecast_row() -> str:
    """The yield model's leave-one-season-out error beside AquaCrop alone, as a table.

    The history is the one ``tanbo agronomy forecast --history generated`` uses: 10 fields
    over aquacrop's 11 Hyderabad seasons, generated from AquaCrop with field effects and
    noise (no public per-field rice yield history is shipped by any package).
    """
    import numpy as np

    from fields.agronomy.generated_history import generate_history, hyderabad_process_runs
    from fields.agronomy.harvests import join_history
    from fields.agronomy.season_reference import REFERENCE_YEARS
    from fields.agronomy.yield_cv import cross_validated_error

    started = time.perf_counter()
    generated = generate_history(
        [f"G{i:02d}" for i in range(10)], REFERENCE_YEARS,
        rng=np.random.default_rng(7), process_runs=hyderabad_process_runs(),
    )  # fmt: skip
    history, _ = join_history(generated.records, generated.features)
    table = cross_validated_error(history).table()
    return (
        f"{table}\n(history generated from AquaCrop, seed 7; {time.perf_counter() - started:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=10_980, help="tile side in pixels")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per tool (median)")
    every_help = "run rasterstats on every k-th field (0: decide from a probe)"
    parser.add_argument("--every", type=int, default=0, help=every_help)
    parser.add_argument("--child", choices=("tanbo", "rasterstats"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.fields, args.size, args.repeat, args.every or 1, args.out)
        return
    report(args)


def report(args: argparse.Namespace) -> None:
    tile = tile_path(args.size)
    with rasterio.open(tile) as ds:
        size_mib = tile.stat().st_size / 2**20
        print(f"tile: {tile.name}, {ds.width:,} × {ds.height:,} px, {ds.crs}, "
              f"{size_mib:,.0f} MiB on disk; fields: {args.fields:,}")  # fmt: skip
    _print_machine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tanbo = spawn("tanbo", args, 1, folder / "tanbo.npy")
        every = rasterstats_every(args, folder)
        baseline = spawn("rasterstats", args, every, folder / "rasterstats.npy")
        ours = np.load(folder / "tanbo.npy")[::every]
        theirs = np.load(folder / "rasterstats.npy")
    both = np.isfinite(ours) & np.isfinite(theirs)
    delta = np.abs(ours[both] - theirs[both])
    agreement = f"{np.median(delta):.4f}/{np.percentile(delta, 95):.4f}"
    scaled_s = baseline["median_s"] * every
    header = ("tool", "fields", "seconds", "fields/s", "peak RSS MB", "RSS before MB",
              "RSS after MB", "|Δmean| med/p95")  # fmt: skip
    print("".join(f"{h:>16}" for h in header))
    for name, figures, seconds in (("Tanbo", tanbo, tanbo["median_s"]),
                                   ("rasterstats", baseline, scaled_s)):  # fmt: skip
        note = "" if name == "Tanbo" or every == 1 else f" (×{every})"
        cells = (name, f"{args.fields:,}", f"{seconds:.1f}{note}",
                 f"{args.fields / seconds:,.0f}", f"{figures['peak_mb']:,.0f}",
                 f"{figures['before_mb']:,.0f}", f"{figures['after_mb']:,.0f}",
                 agreement)  # fmt: skip
        print("".join(f"{c:>16}" for c in cells))
    goal = "met" if tanbo["peak_mb"] < 2048 else "NOT met"
    memory_ratio = tanbo["peak_mb"] / baseline["peak_mb"]
    print(f"Tanbo ÷ rasterstats: time {tanbo['median_s'] / scaled_s:.2f}, peak RSS "
          f"{memory_ratio:.2f}; fields compared: "
          f"{int(both.sum()):,} (both with a mean); memory goal < 2 GB: {goal} "
          f"({tanbo['peak_mb']:,.0f} MB)")  # fmt: skip
    print()
    print(forecast_row())


def _print_machine() -> None:
    import exactextract
    import rasterstats

    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB; "
          f"Python {sys.version.split()[0]}, exactextract {exactextract.__version__}, "
          f"rasterstats {rasterstats.__version__}, rasterio {rasterio.__version__}, "
          f"GDAL {rasterio.__gdal_version__}; load {os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
