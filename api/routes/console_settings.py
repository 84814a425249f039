"""What the browser console needs to know of this server before anyone logs in: the map's
optional online basemap (``map_tiles_url``; none by default, so nothing is fetched from
outside)."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServicesDep
from api.routes.common import ProblemResponses

__all__ = ["ConsoleSettings", "router"]

router = APIRouter(tags=["console"], responses=ProblemResponses)


class ConsoleSettings(BaseModel):
    """The console's settings, for everyone (no token needed)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tiles_url": "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
                    "tiles_attribution": "地理院タイル",
                }
            ]
        }
    )

    tiles_url: str | None = Field(
        description="An XYZ raster tile template drawn under the map; null: the plain map."
    )
    tiles_attribution: str


@router.get("/console-settings", response_model=ConsoleSettings, summary="The console's settings")
def console_settings(services: ServicesDep) -> ConsoleSettings:
    """The map's online basemap, if this server has one configured."""
    s = services.settings
    return ConsoleSettings(tiles_url=s.map_tiles_url, tiles_attribution=s.map_tiles_attribution)
