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
class Shape:
    """An area on the map: its outline as an SVG points list (empty without one) and where its name goes."""

    key: object
    points: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class MapView:
    width: int
    height: int
    zoom: int
    points: list[Placed]
    tiles: list[Tile]
    origin: tuple[float, float]  # world pixel coordinates of the view's top-left corner at `zoom`
    shapes: list[Shape] = ()


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
    shapes: list[tuple[object, list[tuple[float, float]]]] = (),
) -> MapView:
    """Choose the largest zoom at which all points (and the corners of every shape) fit in the box, and
    place them (and tiles) in it.

    `shapes` are (key, [(lat, lon), ...]): an outline of three or more corners is drawn as a polygon with
    its key's name at its centre; with fewer corners (an area without an outline, placed at its incidents)
    only the name is drawn, at the corners' mean."""
    corners = [(lat, lon) for _, lat, lon in points] + [corner for _, outline in shapes for corner in outline]
    if not corners:
        return MapView(width, height, 0, [], [], (0.0, 0.0))
    zoom = max_zoom
    while zoom > 0:
        xs, ys = zip(*(world_pixel(lat, lon, zoom) for lat, lon in corners), strict=True)
        if max(xs) - min(xs) <= width - 2 * margin and max(ys) - min(ys) <= height - 2 * margin:
            break
        zoom -= 1
    xs, ys = zip(*(world_pixel(lat, lon, zoom) for lat, lon in corners), strict=True)
    origin = ((max(xs) + min(xs)) / 2 - width / 2, (max(ys) + min(ys)) / 2 - height / 2)

    def place(lat: float, lon: float) -> tuple[float, float]:
        x, y = world_pixel(lat, lon, zoom)
        return x - origin[0], y - origin[1]

    placed = [Placed(key, *place(lat, lon)) for key, lat, lon in points]
    drawn = []
    for key, outline in shapes:
        if not outline:
            continue
        corners_xy = [place(lat, lon) for lat, lon in outline]
        label_x = sum(x for x, _ in corners_xy) / len(corners_xy)
        label_y = sum(y for _, y in corners_xy) / len(corners_xy)
        polygon = " ".join(f"{x:.1f},{y:.1f}" for x, y in corners_xy) if len(corners_xy) >= 3 else ""
        drawn.append(Shape(key, polygon, label_x, label_y))
    tiles = covering_tiles(origin, width, height, zoom, tile_url)
    return MapView(width, height, zoom, placed, tiles, origin, drawn)


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
