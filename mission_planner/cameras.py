"""Survey cameras: sensor geometry, ground sampling distance (GSD) and image footprint.

A camera looks straight down (nadir) in landscape: the image width lies across the
flight line, the image height along it. For a pinhole camera at ``altitude_m`` above
flat ground, one pixel covers::

    gsd_cm = sensor_width_mm * altitude_m * 100 / (focal_length_mm * image_width_px)

>>> cam = camera_named("DJI Phantom 4 RTK")
>>> round(cam.gsd_cm(100.0), 3)                    # DJI publishes H/36.5 cm/px
2.741
>>> round(cam.altitude_m_for_gsd(cam.gsd_cm(100.0)), 6)
100.0
>>> [round(side, 1) for side in cam.footprint_m(100.0)]
[150.0, 100.0]
>>> camera_named("micasense rededge-mx").image_width_px
1280
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mission_planner.refusals import UnknownCamera

__all__ = [
    "ALTUM_PT",
    "CAMERAS",
    "MAVIC_3M_MS",
    "MAVIC_3M_RGB",
    "P4_MULTISPECTRAL",
    "PHANTOM_4_RTK",
    "REDEDGE_MX",
    "SEQUOIA_PLUS_MS",
    "SEQUOIA_PLUS_RGB",
    "SONY_RX1R_II",
    "Camera",
    "camera_named",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Camera:
    """A frame camera's geometry: sensor size, focal length and image size."""

    name: str
    sensor_width_mm: float
    sensor_height_mm: float
    focal_length_mm: float
    image_width_px: int
    image_height_px: int

    def __post_init__(self) -> None:
        sizes = (self.sensor_width_mm, self.sensor_height_mm, self.focal_length_mm)
        if not all(size > 0 for size in sizes):
            raise ValueError(f"camera {self.name!r}: sensor and focal length must be above 0 mm")
        if self.image_width_px < 1 or self.image_height_px < 1:
            raise ValueError(f"camera {self.name!r}: the image needs at least one pixel")

    def gsd_cm(self, altitude_m: float) -> float:
        """Ground sampling distance at an altitude.

        Parameters
        ----------
        altitude_m
            Height of the camera above the ground, in metres.

        Returns
        -------
        float
            Size of one pixel on the ground, in centimetres.
        """
        return (
            self.sensor_width_mm * altitude_m * 100.0 / (self.focal_length_mm * self.image_width_px)
        )

    def altitude_m_for_gsd(self, gsd_cm: float) -> float:
        """The altitude that gives a ground sampling distance (the inverse of :meth:`gsd_cm`).

        Parameters
        ----------
        gsd_cm
            Wanted size of one pixel on the ground, in centimetres.

        Returns
        -------
        float
            Height above the ground, in metres.
        """
        return gsd_cm * self.focal_length_mm * self.image_width_px / (self.sensor_width_mm * 100.0)

    def footprint_m(self, altitude_m: float) -> tuple[float, float]:
        """What one image covers on flat ground, in metres.

        Parameters
        ----------
        altitude_m
            Height of the camera above the ground, in metres.

        Returns
        -------
        tuple[float, float]
            (across track, along track): the image width and height on the ground.
        """
        scale = altitude_m / self.focal_length_mm
        return self.sensor_width_mm * scale, self.sensor_height_mm * scale


# Published figures; where a maker gives only a format ("1/2.8-inch") the sensor size is
# derived from the published field of view or GSD, which is all the GSD depends on.
MAVIC_3M_RGB = Camera(
    name="DJI Mavic 3M RGB",  # 4/3 CMOS 20 MP, 24 mm equivalent
    sensor_width_mm=17.3,
    sensor_height_mm=13.0,
    focal_length_mm=12.29,
    image_width_px=5280,
    image_height_px=3956,
)
MAVIC_3M_MS = Camera(
    name="DJI Mavic 3M MS",  # 1/2.8-inch 5 MP, HFOV 61.2°: 2.0 µm pixels, f from the FOV
    sensor_width_mm=5.184,
    sensor_height_mm=3.888,
    focal_length_mm=4.38,
    image_width_px=2592,
    image_height_px=1944,
)
PHANTOM_4_RTK = Camera(
    name="DJI Phantom 4 RTK",  # 1-inch CMOS 20 MP, 24 mm equivalent; GSD H/36.5 cm
    sensor_width_mm=13.2,
    sensor_height_mm=8.8,
    focal_length_mm=8.8,
    image_width_px=5472,
    image_height_px=3648,
)
P4_MULTISPECTRAL = Camera(
    name="DJI P4 Multispectral",  # 1/2.9-inch 2.08 MP per band; sensor from GSD H/18.9 cm
    sensor_width_mm=4.86,
    sensor_height_mm=3.95,
    focal_length_mm=5.74,
    image_width_px=1600,
    image_height_px=1300,
)
REDEDGE_MX = Camera(
    name="MicaSense RedEdge-MX",  # 3.75 µm pixels; 8 cm/px at 120 m
    sensor_width_mm=4.8,
    sensor_height_mm=3.6,
    focal_length_mm=5.5,
    image_width_px=1280,
    image_height_px=960,
)
ALTUM_PT = Camera(
    name="MicaSense Altum-PT",  # multispectral bands: 3.2 MP, 3.45 µm pixels
    sensor_width_mm=7.12,
    sensor_height_mm=5.33,
    focal_length_mm=8.0,
    image_width_px=2064,
    image_height_px=1544,
)
SONY_RX1R_II = Camera(
    name="Sony RX1R II",  # full frame 42 MP, 35 mm lens
    sensor_width_mm=35.9,
    sensor_height_mm=24.0,
    focal_length_mm=35.0,
    image_width_px=7952,
    image_height_px=5304,
)
SEQUOIA_PLUS_RGB = Camera(
    name="Parrot Sequoia+ RGB",  # 16 MP RGB
    sensor_width_mm=6.17,
    sensor_height_mm=4.63,
    focal_length_mm=4.88,
    image_width_px=4608,
    image_height_px=3456,
)
SEQUOIA_PLUS_MS = Camera(
    name="Parrot Sequoia+ MS",  # 1.2 MP per band, 3.75 µm pixels
    sensor_width_mm=4.8,
    sensor_height_mm=3.6,
    focal_length_mm=3.98,
    image_width_px=1280,
    image_height_px=960,
)

_BUILT_IN = (
    MAVIC_3M_RGB,
    MAVIC_3M_MS,
    PHANTOM_4_RTK,
    P4_MULTISPECTRAL,
    REDEDGE_MX,
    ALTUM_PT,
    SONY_RX1R_II,
    SEQUOIA_PLUS_RGB,
    SEQUOIA_PLUS_MS,
)

CAMERAS: Mapping[str, Camera] = MappingProxyType({cam.name: cam for cam in _BUILT_IN})
"""The built-in cameras by their display name."""


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z+]", "", name.casefold())


_ALIASES: Mapping[str, Camera] = {
    "mavic3m": MAVIC_3M_RGB,
    "m3m": MAVIC_3M_RGB,
    "m3mrgb": MAVIC_3M_RGB,
    "m3mms": MAVIC_3M_MS,
    "mavic3multispectralrgb": MAVIC_3M_RGB,
    "mavic3multispectralms": MAVIC_3M_MS,
    "p4rtk": PHANTOM_4_RTK,
    "p4m": P4_MULTISPECTRAL,
    "p4multispectral": P4_MULTISPECTRAL,
    "phantom4multispectral": P4_MULTISPECTRAL,
    "rededgemx": REDEDGE_MX,
    "altumpt": ALTUM_PT,
    "rx1rii": SONY_RX1R_II,
    "sonyrx1rm2": SONY_RX1R_II,
    "sequoia+": SEQUOIA_PLUS_MS,
    "parrotsequoia+": SEQUOIA_PLUS_MS,
    "sequoia+rgb": SEQUOIA_PLUS_RGB,
    "sequoia+ms": SEQUOIA_PLUS_MS,
}
_BY_KEY: Mapping[str, Camera] = {
    **{_key(cam.name): cam for cam in _BUILT_IN},
    **{_key(cam.name.removeprefix("DJI ")): cam for cam in _BUILT_IN},
    **_ALIASES,
}


def camera_named(name: str) -> Camera:
    """A built-in camera by name, ignoring case, spaces and punctuation.

    Parameters
    ----------
    name
        A display name from :data:`CAMERAS` (``"DJI Phantom 4 RTK"``) or a short form
        (``"phantom-4-rtk"``, ``"p4m"``, ``"rededge-mx"``, ``"m3m-ms"``).

    Returns
    -------
    Camera

    Raises
    ------
    UnknownCamera
        When no built-in camera has that name; the message lists them.
    """
    found = _BY_KEY.get(_key(name))
    if found is None:
        known = ", ".join(CAMERAS)
        raise UnknownCamera(f"no built-in camera is called {name!r}; known cameras: {known}")
    return found
