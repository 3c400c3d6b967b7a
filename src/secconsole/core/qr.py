"""QR codes as terminal text: dark modules drawn as blocks (the caller paints them black on
white, so the code scans whatever the terminal's theme)."""

from __future__ import annotations

QUIET_ZONE = 2


def qr_matrix(data: str, *, quiet: int = QUIET_ZONE) -> list[list[bool]]:
    """Modules (True = dark) with a quiet zone, error correction L, the smallest version."""
    import segno

    code = segno.make(data, error="l", boost_error=False, micro=False)
    size = len(code.matrix)
    light = [False] * (size + 2 * quiet)
    rows = [list(light) for _ in range(quiet)]
    rows += [[False] * quiet + [bool(m) for m in row] + [False] * quiet for row in code.matrix]
    rows += [list(light) for _ in range(quiet)]
    return rows


def half_block_lines(matrix: list[list[bool]]) -> list[str]:
    """Two modules per character cell, top and bottom: fits 80x24 up to version 6."""
    rows = matrix + ([[False] * len(matrix[0])] if len(matrix) % 2 else [])
    glyph = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    return ["".join(glyph[t, b] for t, b in zip(top, bottom)) for top, bottom in zip(rows[::2], rows[1::2])]


def full_block_lines(matrix: list[list[bool]]) -> list[str]:
    """One module per two characters and one line: for terminals whose line spacing breaks half
    blocks; needs a large window."""
    return ["".join("██" if dark else "  " for dark in row) for row in matrix]


def rasterize(lines: list[str], *, large: bool, scale: int = 6) -> list[list[int]]:
    """Pixels (0 = black, 255 = white) of rendered lines, as a camera would see the cells:
    used to decode what we draw with a real QR reader in the tests."""
    pixels: list[list[int]] = []
    for line in lines:
        if large:
            row = [0 if ch == "█" else 255 for ch in line[::2]]
            pixels += [[v for v in row for _ in range(scale)] for _ in range(scale)]
        else:
            top = [0 if ch in "█▀" else 255 for ch in line]
            bottom = [0 if ch in "█▄" else 255 for ch in line]
            for half in (top, bottom):
                pixels += [[v for v in half for _ in range(scale)] for _ in range(scale)]
    return pixels
