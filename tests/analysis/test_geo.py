import math

from gvi.analysis.geo import TILE_SIZE, fit_view, world_pixel


def test_world_pixel_matches_the_web_mercator_tile_scheme():
    assert world_pixel(0, 0, 0) == (128.0, 128.0)
    x, y = world_pixel(59.3293, 18.0686, 10)  # Stockholm lies in tile 563/301 at zoom 10
    assert (int(x // TILE_SIZE), int(y // TILE_SIZE)) == (563, 301)


def test_fit_view_keeps_every_point_inside_with_the_largest_zoom():
    points = [("a", 59.27, 15.20), ("b", 59.30, 15.25), ("c", 59.25, 15.18)]
    view = fit_view(points, width=800, height=520, margin=30)
    assert all(30 - 1e-6 <= p.x <= 770 + 1e-6 and 30 - 1e-6 <= p.y <= 490 + 1e-6 for p in view.points)
    bigger = fit_view(points, width=800, height=520, margin=30, max_zoom=view.zoom + 1)
    assert bigger.zoom == view.zoom  # one level more would not fit
    assert view.tiles == []


def test_tiles_cover_the_view_and_align_with_the_points():
    view = fit_view([("a", 59.27, 15.20)], width=600, height=400, tile_url="https://t/{z}/{x}/{y}.png")
    covered_width = {t.x for t in view.tiles}
    assert min(covered_width) <= 0 and max(covered_width) + TILE_SIZE >= 600
    point = view.points[0]
    assert math.isclose(point.x, 300) and math.isclose(point.y, 200)
    assert all(t.url.startswith(f"https://t/{view.zoom}/") for t in view.tiles)


def test_no_points_gives_an_empty_view():
    assert fit_view([]).points == []
