#!/usr/bin/env python3
"""Draw the Khum app icons (stdlib only) and write them next to this file.

Design: a white stylised house (roof, walls, door) on deep green #0b5d3b.

- icon-192.png, icon-512.png: rounded green square (transparent corners).
- icon-512-maskable.png: full-bleed green square; the house stays inside
  the maskable safe zone (a centred circle with a radius of 40 % of the size).

Edges are anti-aliased by supersampling only the pixels that straddle an edge,
so the script stays fast in pure Python. Output is 8-bit RGBA, no palette,
compressed with zlib level 9: a flat design like this is a few KB.

Run:  python3 pwa/static/icons/make_icons.py
"""

import math
import os
import struct
import zlib

GREEN = (0x0B, 0x5D, 0x3B)
WHITE = (0xFF, 0xFF, 0xFF)

# The house in unit coordinates (0..1, y down), centred on (0.5, 0.5).
# Every point lies within 0.38 of the centre, i.e. inside the 0.40 safe circle.
ROOF = ((0.50, 0.20), (0.83, 0.47), (0.17, 0.47))  # triangle
WALLS = (0.27, 0.51, 0.73, 0.80)  # x0, y0, x1, y1 (green gap under the roof)
DOOR = (0.44, 0.62, 0.56, 0.80)  # green cut-out in the walls

SUB = 4  # supersampling grid per edge pixel (SUB x SUB samples)


def _in_triangle(x, y, tri):
    (ax, ay), (bx, by), (cx, cy) = tri

    def side(px, py, qx, qy):
        return (qx - px) * (y - py) - (qy - py) * (x - px)

    d1 = side(ax, ay, bx, by)
    d2 = side(bx, by, cx, cy)
    d3 = side(cx, cy, ax, ay)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


def _in_rect(x, y, rect):
    x0, y0, x1, y1 = rect
    return x0 <= x < x1 and y0 <= y < y1


def _scale(u, v, k):
    """Map an icon point to house coordinates when the house is scaled by k."""
    return 0.5 + (u - 0.5) / k, 0.5 + (v - 0.5) / k


def _in_rounded_square(u, v, radius):
    # Rounded square covering the whole icon, corner radius in unit coords.
    cu = min(max(u, radius), 1 - radius)
    cv = min(max(v, radius), 1 - radius)
    return (u - cu) ** 2 + (v - cv) ** 2 <= radius * radius


def _sample(u, v, k, radius):
    """Colour (r, g, b, a) of the point (u, v) of the icon."""
    if radius and not _in_rounded_square(u, v, radius):
        return (0, 0, 0, 0)
    x, y = _scale(u, v, k)
    white = (_in_triangle(x, y, ROOF) or _in_rect(x, y, WALLS)) and not _in_rect(x, y, DOOR)
    return (WHITE if white else GREEN) + (255,)


def render(size, k=1.0, radius=0.0):
    """Return RGBA rows (bytes) for a size x size icon."""
    rows = []
    inv = 1.0 / size
    for py in range(size):
        row = bytearray()
        for px in range(size):
            corners = (
                _sample(px * inv, py * inv, k, radius),
                _sample((px + 1) * inv, py * inv, k, radius),
                _sample(px * inv, (py + 1) * inv, k, radius),
                _sample((px + 1) * inv, (py + 1) * inv, k, radius),
                _sample((px + 0.5) * inv, (py + 0.5) * inv, k, radius),
            )
            if all(c == corners[0] for c in corners):
                row.extend(corners[0])
                continue
            # Edge pixel: average SUB x SUB samples (premultiplied alpha).
            acc = [0, 0, 0, 0]
            for sy in range(SUB):
                for sx in range(SUB):
                    r, g, b, a = _sample(
                        (px + (sx + 0.5) / SUB) * inv, (py + (sy + 0.5) / SUB) * inv, k, radius
                    )
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            n = SUB * SUB
            alpha = acc[3] / n
            if alpha == 0:
                row.extend((0, 0, 0, 0))
            else:
                row.extend(
                    (
                        round(acc[0] / acc[3]),
                        round(acc[1] / acc[3]),
                        round(acc[2] / acc[3]),
                        round(alpha),
                    )
                )
        rows.append(bytes(row))
    return rows


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter_rows(rows, bpp=4):
    """Pick, per row, the PNG filter giving the smallest sum of |bytes| (standard heuristic)."""
    out = bytearray()
    prev = bytes(len(rows[0]))
    for row in rows:
        candidates = []
        # 0 None
        candidates.append((0, row))
        # 1 Sub
        candidates.append(
            (1, bytes((row[i] - (row[i - bpp] if i >= bpp else 0)) & 0xFF for i in range(len(row))))
        )
        # 2 Up
        candidates.append((2, bytes((row[i] - prev[i]) & 0xFF for i in range(len(row)))))
        # 4 Paeth
        candidates.append(
            (
                4,
                bytes(
                    (
                        row[i]
                        - _paeth(
                            row[i - bpp] if i >= bpp else 0,
                            prev[i],
                            prev[i - bpp] if i >= bpp else 0,
                        )
                    )
                    & 0xFF
                    for i in range(len(row))
                ),
            )
        )
        ftype, data = min(candidates, key=lambda c: sum(v if v < 128 else 256 - v for v in c[1]))
        out.append(ftype)
        out.extend(data)
        prev = row
    return bytes(out)


def write_png(path, rows):
    height = len(rows)
    width = len(rows[0]) // 4
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    idat = zlib.compress(_filter_rows(rows), 9)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(_chunk(b"IHDR", ihdr))
        f.write(_chunk(b"IDAT", idat))
        f.write(_chunk(b"IEND", b""))


def main():
    # The maskable house must fit inside the safe circle (radius 0.4 of the size).
    corners = (*ROOF, (WALLS[0], WALLS[3]), (WALLS[2], WALLS[3]))
    reach = max(math.hypot(x - 0.5, y - 0.5) for x, y in corners)
    assert reach <= 0.40, reach
    here = os.path.dirname(os.path.abspath(__file__))
    targets = (
        # name, size, house scale, corner radius
        ("icon-192.png", 192, 1.12, 0.18),
        ("icon-512.png", 512, 1.12, 0.18),
        ("icon-512-maskable.png", 512, 1.0, 0.0),
    )
    for name, size, k, radius in targets:
        path = os.path.join(here, name)
        write_png(path, render(size, k, radius))
        print(f"{name}: {size}x{size}, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
