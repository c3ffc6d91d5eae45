"""Platform badges: a small coloured label with the platform's name in front of each comment.

Text, not a logo: the name is translatable and readable at any size.  Each colour keeps white
text at a contrast of at least 4.5:1 (the legibility rule the covers follow), so a badge
stays legible on the dark panel and when its row is selected.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

# White text on each: contrast ≥ 4.5:1 (relative luminance per WCAG 2).
BADGE_COLOURS = {
    "youtube": QColor("#c4302b"),
    "twitch": QColor("#6441a5"),
    "facebook": QColor("#1659c7"),
    "tiktok": QColor("#111418"),
    "instagram": QColor("#b52a6b"),
    "shopee": QColor("#c33d1b"),
    "lazada": QColor("#1a237e"),
    "kick": QColor("#2c6e1f"),
}
OTHER_COLOUR = QColor("#4f5561")
BADGE_TEXT_COLOUR = QColor("#ffffff")
BADGE_PADDING_PX = 5
BADGE_GAP_PX = 6
BADGE_RADIUS_PX = 3
MAX_BADGE_CHARS = 16


def platform_label(platform: str) -> str:
    """The platform's name as people write it, in the UI's language ('youtube' → 'YouTube')."""
    names = {
        "youtube": QCoreApplication.translate("PlatformBadge", "YouTube"),
        "twitch": QCoreApplication.translate("PlatformBadge", "Twitch"),
        "facebook": QCoreApplication.translate("PlatformBadge", "Facebook"),
        "tiktok": QCoreApplication.translate("PlatformBadge", "TikTok"),
        "instagram": QCoreApplication.translate("PlatformBadge", "Instagram"),
        "shopee": QCoreApplication.translate("PlatformBadge", "Shopee"),
        "lazada": QCoreApplication.translate("PlatformBadge", "Lazada"),
        "kick": QCoreApplication.translate("PlatformBadge", "Kick"),
    }
    known = names.get(platform.lower())
    if known:
        return known
    name = platform[:MAX_BADGE_CHARS] + ("…" if len(platform) > MAX_BADGE_CHARS else "")
    return name[:1].upper() + name[1:]


def badge_colour(platform: str) -> QColor:
    return BADGE_COLOURS.get(platform.lower(), OTHER_COLOUR)


def contrast_ratio(foreground: QColor, background: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 … 21)."""
    def luminance(colour: QColor) -> float:
        def channel(value: float) -> float:
            return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


class PlatformBadgeDelegate(QStyledItemDelegate):
    """Paints the comment's platform badge, then the comment as usual beside it."""

    def __init__(self, platform_role: int, parent=None) -> None:
        super().__init__(parent)
        self.platform_role = platform_role

    def badge_rect(self, option: QStyleOptionViewItem, label: str) -> QRect:
        metrics = QFontMetrics(option.font)
        width = metrics.horizontalAdvance(label) + 2 * BADGE_PADDING_PX
        height = min(option.rect.height() - 2, metrics.height() + 2)
        top = option.rect.top() + (option.rect.height() - height) // 2
        if option.direction == Qt.LayoutDirection.RightToLeft:
            return QRect(option.rect.right() - 2 - width, top, width, height)
        return QRect(option.rect.left() + 2, top, width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        platform = index.data(self.platform_role)
        if not platform:
            super().paint(painter, option, index)
            return
        label = platform_label(platform)
        rest = QStyleOptionViewItem(option)
        self.initStyleOption(rest, index)
        badge = self.badge_rect(option, label)  # the view's font: every badge alike, bold row or not
        # The row's own background (selection, hover) under the badge too.
        style = rest.widget.style() if rest.widget is not None else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, rest, painter, rest.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(badge_colour(platform))
        painter.drawRoundedRect(badge, BADGE_RADIUS_PX, BADGE_RADIUS_PX)
        painter.setPen(BADGE_TEXT_COLOUR)
        painter.setFont(option.font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()
        shift = badge.width() + BADGE_GAP_PX
        if option.direction == Qt.LayoutDirection.RightToLeft:
            rest.rect.setRight(rest.rect.right() - shift)
        else:
            rest.rect.setLeft(rest.rect.left() + shift)
        super().paint(painter, rest, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        platform = index.data(self.platform_role)
        if platform:
            metrics = QFontMetrics(option.font)
            size.setWidth(size.width() + metrics.horizontalAdvance(platform_label(platform)) + 2 * BADGE_PADDING_PX + BADGE_GAP_PX)
            size.setHeight(max(size.height(), metrics.height() + 4))
        return size
