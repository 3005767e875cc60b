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
# About this many characters of 14px text fit in LABEL_WIDTH; longer labels are shortened in
# the drawing (the table beside it and the SVG description keep them whole).
LABEL_CHARS = 24


def short_label(name: str) -> str:
    """'Mesenchymal stem/stromal cells (MSC)' → 'MSC'; names without an abbreviation stay."""
    if name.endswith(")") and "(" in name:
        return name[name.rindex("(") + 1 : -1]
    return name


def fit_label(label: str, chars: int = LABEL_CHARS) -> str:
    """'Bone-marrow mononuclear cells' → 'Bone-marrow mononuclear…' so it fits its column
    (measured with 14px text: 29 characters overflowed the 220px label column). Cut at a word
    boundary when one is near."""
    if len(label) <= chars:
        return label
    cut = label[: chars - 1]
    ends_a_word = label[chars - 1] == " "
    if not ends_a_word and " " in cut and cut.rindex(" ") >= chars // 2:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" (/,-") + "…"


@dataclass
class Bar:
    label: str
    value: int
    url: str
    y: int
    width: int
    text_y: int

    @property
    def display(self) -> str:
        return fit_label(self.label)


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


# --- Stacked bars: one row per category (e.g. start year), one segment per series ---------------

LEGEND_ROW = 22
SERIES_CLASSES = 8  # static/css/site.css has .chart__seg--0 … --7 (colour-blind-safe palette)


@dataclass
class Segment:
    series: str  # the series label, e.g. "MSC"
    value: int
    x: int
    width: int
    css: str  # chart__seg--N


@dataclass
class StackedBar:
    label: str
    total: int
    url: str
    y: int
    text_y: int
    segments: list[Segment]
    values: list[int]  # one per series, in series order (for the table)
    total_x: int = 0

    @property
    def display(self) -> str:
        return fit_label(self.label)


@dataclass
class Series:
    label: str
    css: str
    total: int


@dataclass
class StackedChart:
    slug: str
    title: str
    description: str
    series: list[Series]
    bars: list[StackedBar]
    height: int
    row_label: str
    label_width: int = 70
    width: int = WIDTH

    @property
    def total(self) -> int:
        return sum(bar.total for bar in self.bars)


def stacked_bar_chart(
    slug: str,
    title: str,
    row_label: str,
    series: list[str],
    rows: list[tuple[str, str, list[int]]],
) -> StackedChart:
    """rows: (label, link, one value per series). Bars share one scale, the largest total.
    Rows whose total is zero are kept: a year with no trial is information too."""
    label_width = 70
    span = WIDTH - label_width - VALUE_WIDTH
    top = max((sum(values) for _label, _url, values in rows), default=0) or 1
    classes = [f"chart__seg--{i % SERIES_CLASSES}" for i in range(len(series))]
    bars = []
    for i, (label, url, values) in enumerate(rows):
        x = label_width
        segments = []
        for name, css, value in zip(series, classes, values, strict=True):
            if not value:
                continue
            width = max(round(span * value / top), 2)
            segments.append(Segment(name, value, x, width, css))
            x += width
        bars.append(
            StackedBar(
                label=label,
                total=sum(values),
                url=url,
                y=i * ROW + (ROW - BAR) // 2,
                text_y=i * ROW + ROW // 2 + 5,
                segments=segments,
                values=list(values),
                total_x=x + 6,
            )
        )
    totals = [sum(values[j] for _l, _u, values in rows) for j in range(len(series))]
    summary = "; ".join(
        f"{label}: {sum(values)} ("
        + ", ".join(f"{name} {v}" for name, v in zip(series, values, strict=True) if v)
        + ")"
        for label, _url, values in rows
        if sum(values)
    )
    return StackedChart(
        slug=slug,
        title=title,
        description=f"{title}. {summary}." if summary else f"{title}. No trials yet.",
        series=[Series(name, css, n) for name, css, n in zip(series, classes, totals, strict=True)],
        bars=bars,
        height=max(len(rows), 1) * ROW,
        row_label=row_label,
        label_width=label_width,
    )
