"""Map geometry without a map library: Web Mercator projection of points into an SVG box, and (when a tile
server is configured) the tiles that cover the box. Web Mercator is what tile servers use, so points and
tiles line up."""

import math
from dataclasses import dataclass

TILE_SIZE = 256
MAX_LATITUDE = 85.05112878


@dataclass(frozen=True)
class Placed:
    key: object
    x: float
    y: float


@dataclass(frozen=True)
class Tile:
    url: str
    x: float
    y: float
    size: float


@dataclass(frozen=True)
class MapView:
    width: int
    height: int
    zoom: int
    points: list[Placed]
    tiles: list[Tile]
    origin: tuple[float, float]  # world pixel coordinates of the view's top-left corner at `zoom`


def world_pixel(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    scale = TILE_SIZE * 2**zoom
    x = (lon + 180.0) / 360.0 * scale
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def fit_view(
    points: list[tuple[object, float, float]],
    width: int = 800,
    height: int = 520,
    margin: int = 30,
    max_zoom: int = 16,
    tile_url: str = "",
) -> MapView:
    """Choose the largest zoom at which all points fit in the box, and place them (and tiles) in it."""
    if not points:
        return MapView(width, height, 0, [], [], (0.0, 0.0))
    zoom = max_zoom
    while zoom > 0:
        xs, ys = zip(*(world_pixel(lat, lon, zoom) for _, lat, lon in points), strict=True)
        if max(xs) - min(xs) <= width - 2 * margin and max(ys) - min(ys) <= height - 2 * margin:
            break
        zoom -= 1
    xs, ys = zip(*(world_pixel(lat, lon, zoom) for _, lat, lon in points), strict=True)
    origin = ((max(xs) + min(xs)) / 2 - width / 2, (max(ys) + min(ys)) / 2 - height / 2)
    placed = [
        Placed(key, x - origin[0], y - origin[1]) for (key, _, _), x, y in zip(points, xs, ys, strict=True)
    ]
    return MapView(width, height, zoom, placed, covering_tiles(origin, width, height, zoom, tile_url), origin)


def covering_tiles(origin, width: int, height: int, zoom: int, tile_url: str) -> list[Tile]:
    if not tile_url:
        return []
    first_x, first_y = int(origin[0] // TILE_SIZE), int(origin[1] // TILE_SIZE)
    last_x, last_y = int((origin[0] + width) // TILE_SIZE), int((origin[1] + height) // TILE_SIZE)
    limit = 2**zoom
    tiles = []
    for tile_x in range(first_x, last_x + 1):
        for tile_y in range(max(first_y, 0), min(last_y, limit - 1) + 1):
            url = tile_url.format(z=zoom, x=tile_x % limit, y=tile_y)
            tiles.append(Tile(url, tile_x * TILE_SIZE - origin[0], tile_y * TILE_SIZE - origin[1], TILE_SIZE))
    return tiles
