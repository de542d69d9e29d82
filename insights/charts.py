"""The timeline chart, drawn on the server as SVG (no JavaScript, no build)."""

from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insights.selectors import Bin, Hotspot, video_url

WIDTH = 720
HEIGHT = 160
AXIS = 22  # room under the bars for the time labels
TOP = 8


def clock(seconds: float) -> str:
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def timeline_svg(
    *,
    title: str,
    youtube_id: str,
    duration: int,
    timeline: Sequence[Bin],
    hotspots: Sequence[Hotspot],
) -> SafeString:
    """Bars of questions per bin over the video's duration; a hotspot's bars are highlighted,
    and every bar is a link that opens the video at its first second.

    Time runs left to right in both languages, as on the video's own progress bar, so the
    chart is marked `direction: ltr` even inside a right-to-left page.
    """
    peak = max((b.questions for b in timeline), default=0)
    span = max(1, duration)
    plot = HEIGHT - AXIS - TOP
    hot = [(h.start, h.end) for h in hotspots]
    parts: list[str] = []
    for b in timeline:
        x = WIDTH * b.start / span
        w = max(1.0, WIDTH * (b.end - b.start) / span - 1)
        h = 0.0 if not peak else plot * b.questions / peak
        is_hot = any(start <= b.start < end for start, end in hot)
        label = ngettext(
            "%(start)s-%(end)s: %(count)d question",
            "%(start)s-%(end)s: %(count)d questions",
            b.questions,
        ) % {"start": clock(b.start), "end": clock(b.end), "count": b.questions}
        parts.append(
            format_html(
                '<a href="{}" target="_blank" rel="noopener"><title>{}</title>'
                '<rect class="bar{}" x="{}" y="{}" width="{}" height="{}"'
                ' fill="{}"/></a>',
                video_url(youtube_id, b.start),
                label,
                " hot" if is_hot else "",
                f"{x:.1f}",
                f"{TOP + plot - h:.1f}",
                f"{w:.1f}",
                f"{max(h, 1.0 if b.questions else 0.0):.1f}",
                "#d9480f" if is_hot else "#4263eb",
            )
        )
    ticks = 4
    for i in range(ticks + 1):
        second = span * i / ticks
        anchor = "start" if i == 0 else "end" if i == ticks else "middle"
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="{}" fill="#555">{}</text>',
                f"{WIDTH * i / ticks:.1f}",
                HEIGHT - 6,
                anchor,
                clock(second),
            )
        )
    baseline = TOP + plot
    caption = _("Questions over the timeline of %(title)s") % {"title": title}
    return mark_safe(  # noqa: S308  every interpolated value above went through format_html
        f'<svg class="insights-timeline" xmlns="http://www.w3.org/2000/svg" role="img"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" style="max-width:{WIDTH}px;direction:ltr"'
        f' aria-label="{escape(caption)}" data-peak="{peak}">'
        f"<title>{escape(caption)}</title>"
        f'<line x1="0" y1="{baseline}" x2="{WIDTH}" y2="{baseline}" stroke="#999"/>'
        + "".join(parts)
        + "</svg>"
    )
