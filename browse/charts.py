"""Server-rendered bar charts: pure geometry, so templates only print rectangles and text.

Horizontal bars read well on a phone and keep long labels legible; every chart also ships its
numbers as a table (the text alternative).
"""

from dataclasses import dataclass

# Small enough that 14px text stays readable when a phone scales the chart to ~340px.
WIDTH = 460
LABEL_WIDTH = 220
VALUE_WIDTH = 40
ROW = 30
BAR = 20


def short_label(name: str) -> str:
    """'Mesenchymal stem/stromal cells (MSC)' → 'MSC'; names without an abbreviation stay."""
    if name.endswith(")") and "(" in name:
        return name[name.rindex("(") + 1 : -1]
    return name


@dataclass
class Bar:
    label: str
    value: int
    url: str
    y: int
    width: int
    text_y: int


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    value_x: int = 0
    width: int = WIDTH


def bar_chart(slug: str, title: str, rows: list[tuple[str, int, str]]) -> Chart:
    """rows: (label, value, link). Zero rows are kept: 'none yet' is information too."""
    top = max((value for _label, value, _url in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [
        Bar(
            label=label,
            value=value,
            url=url,
            y=i * ROW + (ROW - BAR) // 2,
            width=max(round(span * value / top), 2 if value else 0),
            text_y=i * ROW + ROW // 2 + 5,
        )
        for i, (label, value, url) in enumerate(rows)
    ]
    summary = ", ".join(f"{label}: {value}" for label, value, _url in rows)
    return Chart(
        slug=slug,
        title=title,
        description=f"{title}. {summary}.",
        bars=bars,
        height=max(len(rows), 1) * ROW,
        value_x=WIDTH - VALUE_WIDTH + 8,
    )
