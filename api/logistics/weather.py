"""Weather holds for deliveries: the hours the forecast at a depot rules flying out.

Each hour over :data:`DELIVERY_WEATHER` (or with no forecast at all: flying blind is not
allowed) is a :class:`logistics.Hold` that dispatch flies round. The forecasts come through
the scheduler's :class:`api.scheduling.weather.WeatherProvider` (a recorded station file,
or a forecast service).
"""

from datetime import datetime

from api.scheduling.weather import WeatherHour, WeatherLimits, WeatherProvider
from logistics.feasibility import Places
from logistics.schedule import Hold

__all__ = ["DELIVERY_WEATHER", "weather_holds"]

DELIVERY_WEATHER = WeatherLimits(
    max_wind_m_s=10.0, max_gust_m_s=13.0, max_precipitation_mm=1.0,
    max_precipitation_probability_pct=None,
)  # fmt: skip
"""What a delivery drone flies in: the wind and gusts a 10 kg class delivery multicopter is
made for (makers give 10–12 m/s), and no more than light rain."""


def weather_holds(
    weather: WeatherProvider, limits: WeatherLimits, places: Places, start: datetime, end: datetime
) -> list[Hold]:
    """The hours in ``[start, end)`` the forecast at any depot is over ``limits``."""
    found = []
    for depot in places.depots.values():
        for hour in weather.forecast(depot.location, start, end):
            why = _over(hour, limits)
            if why is not None:
                found.append(Hold(start=hour.start, end=hour.end, reason=f"{why} at {depot.id}"))
    return found


def _over(hour: WeatherHour, limits: WeatherLimits) -> str | None:
    """Why an hour's weather holds deliveries, or None."""
    if hour.wind_m_s is None:
        return "no forecast"
    if hour.wind_m_s > limits.max_wind_m_s:
        return f"wind {hour.wind_m_s:g} m/s"
    if limits.max_gust_m_s is not None and (hour.gust_m_s or 0.0) > limits.max_gust_m_s:
        return f"gusts {hour.gust_m_s:g} m/s"
    if (hour.precipitation_mm or 0.0) > limits.max_precipitation_mm:
        return f"rain {hour.precipitation_mm:g} mm/h"
    return None
