"""A QR code widget: black modules on an explicit white background, never the theme's colours."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from secconsole.core.qr import full_block_lines, half_block_lines, qr_matrix

QR_STYLE = "#000000 on #ffffff"


class QrCode(Widget):
    DEFAULT_CSS = "QrCode { width: auto; height: auto; }"

    def __init__(self, data: str, *, large: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self._matrix = qr_matrix(data)
        self.large = large

    @property
    def lines(self) -> list[str]:
        return full_block_lines(self._matrix) if self.large else half_block_lines(self._matrix)

    def cells(self, *, large: bool | None = None) -> tuple[int, int]:
        """Columns and rows the code needs (in the given mode)."""
        use_large = self.large if large is None else large
        lines = full_block_lines(self._matrix) if use_large else half_block_lines(self._matrix)
        return len(lines[0]), len(lines)

    def set_large(self, large: bool) -> None:
        self.large = large
        self.refresh(layout=True)

    def render(self) -> Content:
        return Content("\n").join(Content.styled(line, QR_STYLE) for line in self.lines)

    def get_content_width(self, container, viewport) -> int:
        return self.cells()[0]

    def get_content_height(self, container, viewport, width: int) -> int:
        return self.cells()[1]
