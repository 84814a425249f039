"""Which band of an image is which: sensor profiles, band maps and sensor detection.

An index formula speaks of bands by symbol — the Awesome Spectral Indices (spyndex) symbols
``B`` blue, ``G`` green, ``R`` red, ``RE1``–``RE3`` red edge, ``N`` and ``N2`` near infrared,
``S1`` ``S2`` short-wave infrared — while files speak of them by band description
("nir", "Red edge", "B08"), by file name (``T53SNU_20240715T015659_B04_10m.jp2``,
``result_NIR.tif``) or only by position. A :class:`SensorProfile` says, for one kind of
camera or satellite product, which names mean which symbol, the band order to assume when
a file names nothing, how raw values become reflectance (``DN * scale + offset``), and which
classes of a mask band (Sentinel-2's scene classification, SCL) to drop. A user band map
(``--band N=4 --band RE1=rededge``) overrides any of it.

Names are matched as whole words, case-insensitively, spaces, ``_`` and ``-`` alike, and
the longest match wins, so "Red edge" is red edge, not red.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from types import MappingProxyType

from fields.agronomy.errors import BandProblem
from fields.agronomy.sentinel2 import SCL_MASKED

__all__ = [
    "PROFILES",
    "SYMBOLS",
    "BandMap",
    "SensorProfile",
    "band_map_matches",
    "detect_sensor",
    "get_profile",
    "parse_band_map",
]

SYMBOLS: Mapping[str, str] = MappingProxyType(
    {
        "B": "blue",
        "G": "green",
        "R": "red",
        "RE1": "red edge 1",
        "RE2": "red edge 2",
        "RE3": "red edge 3",
        "N": "near infrared",
        "N2": "near infrared 2 (narrow)",
        "S1": "short-wave infrared 1",
        "S2": "short-wave infrared 2",
    }
)
"""The band symbols Tanbo knows, in wavelength order, with what each means (spyndex's)."""

BandMap = Mapping[str, int | str]
"""A user's band map: symbol -> 1-based band number, or a name / file-name glob to look for."""

_DEFAULT_BAND = re.compile(r"^\s*(band|layer)?\s*_?\d+\s*$", re.IGNORECASE)
"""Descriptions GDAL and GIS tools invent ("Band 4", "4"): they say nothing."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SensorProfile:
    """How one kind of camera or product names its bands and scales its values.

    ``aliases`` maps a symbol to the names that mean it in band descriptions and file
    names; ``band_order`` gives the symbols of bands 1..n of a multiband file whose
    descriptions name nothing. Reflectance is ``DN * scale + offset``; ``nodata`` is used
    when a file declares none; pixels of the ``mask_aliases`` band whose class is in
    ``mask_classes`` are dropped.
    """

    name: str
    aliases: Mapping[str, tuple[str, ...]]
    band_order: tuple[str, ...] = ()
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    mask_aliases: tuple[str, ...] = ()
    mask_classes: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "aliases", MappingProxyType(dict(self.aliases)))
        unknown = [s for s in (*self.aliases, *self.band_order) if s not in SYMBOLS]
        if unknown:
            raise ValueError(f"sensor {self.name}: unknown band symbols {unknown}")
        if len(set(self.band_order)) != len(self.band_order):
            raise ValueError(f"sensor {self.name}: a symbol twice in {self.band_order}")
        if not (self.scale > 0 and abs(self.offset) < 1.0):
            raise ValueError(f"sensor {self.name}: scale {self.scale}, offset {self.offset}")
        if bool(self.mask_aliases) != bool(self.mask_classes):
            raise ValueError(f"sensor {self.name}: a mask band needs the classes to drop")

    def symbol_for(self, name: str) -> str | None:
        """The symbol a band description or file name means, or None if none or several."""
        return _match(name, self.aliases)

    def is_mask(self, name: str) -> bool:
        """Whether a band description or file name is this profile's mask band."""
        return bool(self.mask_aliases) and _match(name, {"": self.mask_aliases}) == ""


def _pattern(alias: str) -> str:
    words = re.split(r"[\s_\-]+", alias.strip().lower())
    return r"(?<![a-z0-9])" + r"[\s_\-]*".join(map(re.escape, words)) + r"(?![a-z0-9])"


def _match(name: str, aliases: Mapping[str, tuple[str, ...]]) -> str | None:
    """The one symbol whose alias occurs in ``name``; the longest occurrence wins."""
    text = name.lower()
    if not text or _DEFAULT_BAND.match(text):
        return None
    hits: list[tuple[int, int, str]] = []
    for symbol, names in aliases.items():
        for alias in names:
            hits += [(m.start(), m.end(), symbol) for m in re.finditer(_pattern(alias), text)]
    kept = {
        s
        for a, b, s in hits
        if not any(a2 <= a and b <= b2 and b2 - a2 > b - a for a2, b2, _ in hits)
    }
    return kept.pop() if len(kept) == 1 else None


_DRONE_NAMES: dict[str, tuple[str, ...]] = {
    "B": ("blue",),
    "G": ("green",),
    "R": ("red",),
    "RE1": ("red edge", "rededge", "re", "red edge 1", "re1"),
    "RE2": ("red edge 2", "re2"),
    "RE3": ("red edge 3", "re3"),
    "N": ("nir", "near infrared", "near ir", "nir1"),
    "N2": ("nir2", "nir narrow", "narrow nir"),
    "S1": ("swir1", "swir 1", "swir16"),
    "S2": ("swir2", "swir 2", "swir22"),
}
_S2_NAMES: dict[str, tuple[str, ...]] = {
    "B": ("B02", "B2"),
    "G": ("B03", "B3"),
    "R": ("B04", "B4"),
    "RE1": ("B05", "B5"),
    "RE2": ("B06", "B6"),
    "RE3": ("B07", "B7"),
    "N": ("B08", "B8"),
    "N2": ("B8A",),
    "S1": ("B11",),
    "S2": ("B12",),
}

PROFILES: Mapping[str, SensorProfile] = MappingProxyType(
    {
        p.name: p
        for p in (
            SensorProfile(
                name="sentinel-2-l2a",
                aliases=_S2_NAMES,
                scale=1e-4,
                nodata=0.0,
                mask_aliases=("SCL",),
                mask_classes=SCL_MASKED,
            ),
            SensorProfile(
                name="dji-mavic-3m",
                aliases=_DRONE_NAMES,
                band_order=("G", "R", "RE1", "N"),
            ),
            SensorProfile(
                name="dji-p4-multispectral",
                aliases=_DRONE_NAMES,
                band_order=("B", "G", "R", "RE1", "N"),
            ),
            SensorProfile(
                name="micasense-rededge",
                aliases=_DRONE_NAMES,
                band_order=("B", "G", "R", "N", "RE1"),
            ),
            SensorProfile(name="generic", aliases=_DRONE_NAMES),
        )
    }
)
"""The built-in sensors. Sentinel-2 L2A is DN/10000 (the BOA_ADD_OFFSET of processing
baseline 04.00 and later is found per product, see ``fields.agronomy.sentinel2``); drone
orthomosaics from OpenDroneMap or DJI Terra are already reflectance 0–1. The drone band
orders are the cameras' capture orders, used only when a file's descriptions name nothing."""


def get_profile(name: str) -> SensorProfile:
    """The built-in profile called ``name``.

    Raises
    ------
    BandProblem
        No built-in sensor has that name; the message lists those that do.
    """
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        known = ", ".join(PROFILES)
        raise BandProblem(f"unknown sensor {name!r}; Tanbo knows {known}") from None


def _symbol_key(text: str) -> str:
    key = text.strip()
    by_case = {s.lower(): s for s in SYMBOLS}
    symbol = by_case.get(key.lower()) or _match(key, _DRONE_NAMES)
    if symbol is None:
        known = ", ".join(f"{s} ({m})" for s, m in SYMBOLS.items())
        raise BandProblem(f"band map: {text!r} is no band symbol; use one of {known}")
    return symbol


def parse_band_map(items: Iterable[str] | BandMap) -> dict[str, int | str]:
    """Read a band map from ``["N=4", "R=3", "RE1=rededge"]`` or a mapping.

    Keys are symbols (any case) or plain names such as ``nir`` or ``red``; values are
    1-based band numbers, or names or file-name globs (``*_B8A_20m.jp2``) to look for.

    Returns
    -------
    dict
        Symbol -> band number or name.

    Raises
    ------
    BandProblem
        An item is not ``SYMBOL=VALUE``, names an unknown symbol or band number 0, gives a
        symbol twice, or gives one band to two symbols.
    """
    pairs: list[tuple[str, str | int]] = []
    if isinstance(items, str):
        items = [items]
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for item in items:
            name, sep, text = item.partition("=")
            if not sep or not name.strip() or not text.strip():
                raise BandProblem(f"band map: {item!r} is not SYMBOL=BAND, as in N=4")
            pairs.append((name, text.strip()))
    result: dict[str, int | str] = {}
    for key, value in pairs:
        symbol = _symbol_key(key)
        band: int | str = int(value) if isinstance(value, str) and value.isdigit() else value
        if isinstance(band, int) and band < 1:
            raise BandProblem(f"band map: {key}={value}: bands are numbered from 1")
        if symbol in result:
            raise BandProblem(f"band map: {symbol} is given twice")
        twice = [s for s, b in result.items() if str(b).lower() == str(band).lower()]
        if twice:
            raise BandProblem(f"band map: band {band} is given to both {twice[0]} and {symbol}")
        result[symbol] = band
    return result


def band_map_matches(value: int | str, name: str, *, exact: bool = False) -> bool:
    """Whether a band map's name or glob ``value`` picks out ``name`` (a description or file).

    A glob matches the whole name; a plain name matches as words within it, or, with
    ``exact``, only the whole name (in any case, spaces, ``_`` and ``-`` ignored).
    """
    text = str(value)
    if any(c in text for c in "*?["):
        return fnmatch(name.lower(), text.lower())
    if exact:
        return _words(text) == _words(name)
    return _match(name, {"": (text,)}) == ""


def _words(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.lower())


_S2_WORD = re.compile(r"(?<![a-z0-9])(b0?\d|b1[0-2]|b8a|scl|msil2a)(?![a-z0-9])", re.IGNORECASE)
_CAMERA_HINTS: tuple[tuple[str, str], ...] = (
    ("dji-mavic-3m", r"\bm3m\b|mavic\s*3\s*m(ultispectral)?\b"),
    ("dji-p4-multispectral", r"\bp4m\b|p4\s*multispectral|phantom\s*4\s*multispectral|fc6360"),
    ("micasense-rededge", r"micasense|rededge-?(m|mx|p)\b|\baltum\b"),
)


def detect_sensor(names: Sequence[str], tags: Sequence[str]) -> tuple[SensorProfile, str]:
    """Choose a profile from the band descriptions and file names, and the camera tags.

    Sentinel-2 is recognised by its band names (B04, B8A, SCL) or product name (MSIL2A);
    a drone camera by its model in the file's tags (Make, Model, Software); anything else
    is ``generic``, which maps bands by their descriptions or file names.

    Returns
    -------
    tuple
        The profile, and a sentence saying why it was chosen.

    Raises
    ------
    BandProblem
        The image is a Sentinel-2 Level-1C product, top-of-atmosphere reflectance.
    """
    s2 = PROFILES["sentinel-2-l2a"]
    if any(re.search(r"msil1c", n, re.IGNORECASE) for n in names):
        raise BandProblem(
            "this is a Sentinel-2 Level-1C product (top of atmosphere); use the L2A product"
        )
    s2_names = sorted({m for n in names if (m := s2.symbol_for(n)) is not None})
    if any(re.search(r"msil2a", n, re.IGNORECASE) for n in names) or s2_names:
        words = {w.upper() for n in names for w in _S2_WORD.findall(n)}
        return s2, f"sentinel-2-l2a, detected from the names {', '.join(sorted(words))}"
    for profile_name, pattern in _CAMERA_HINTS:
        hit = next((t for t in tags if re.search(pattern, t, re.IGNORECASE)), None)
        if hit is not None:
            return PROFILES[profile_name], f"{profile_name}, detected from the tag {hit!r}"
    return PROFILES["generic"], "generic: no sensor given or recognised"
