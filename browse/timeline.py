"""Geometry of two SVG charts drawn by templates without JavaScript or inline styles (the
strict CSP allows neither): a product's trials on a timeline (one bar per trial from start to
completion) and a condition's evidence map (start year × phase, circle size by participants,
colour by cell-type family). Pure: plain values in, plain values out; each chart also ships
its numbers as a table in the template (the text alternative)."""

import datetime
import math
from dataclasses import dataclass, field

WIDTH = 520
LABEL_WIDTH = 130
RIGHT = 16
TOP = 28
ROW = 40
PHASE_CLASSES = {
    "EARLY_PHASE1": 0,
    "PHASE1": 0,
    "PHASE1_PHASE2": 4,
    "PHASE2": 1,
    "PHASE2_PHASE3": 5,
    "PHASE3": 2,
    "PHASE4": 3,
}


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class TimelineBar:
    label: str
    url: str
    x: float
    width: float
    y: float
    text_y: float
    css: str
    open_ended: bool  # no completion date: the bar runs to today, dashed
    caption: str  # "Phase 3 · Completed"
    description: str  # the whole row in words, for <title>


@dataclass
class Timeline:
    title: str
    description: str
    width: int
    height: int
    label_width: int
    axis_y: float
    ticks: list[Tick]
    bars: list[TimelineBar]
    unplotted: list[str] = field(default_factory=list)


def _year_fraction(day: datetime.date) -> float:
    start = datetime.date(day.year, 1, 1)
    days = (datetime.date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / days


def _ticks(first: int, last: int, left: float, scale) -> list[Tick]:
    span = last - first
    step = 1 if span <= 8 else 2 if span <= 16 else 5
    return [Tick(scale(year), str(year)) for year in range(first, last + 1) if year % step == 0]


def product_timeline(title: str, rows: list[dict], today: datetime.date) -> Timeline:
    """rows: label, url, start, end (dates or None), phase (code), caption, description.
    A row without a start date is listed in `unplotted` (the table still shows it)."""
    plotted = [row for row in rows if row["start"]]
    unplotted = [row["label"] for row in rows if not row["start"]]
    if plotted:
        first = min(row["start"].year for row in plotted)
        ends = [row["end"] or today for row in plotted]
        last = max(max(end.year for end in ends), first) + 1
    else:
        first, last = today.year, today.year + 1
    inner = WIDTH - LABEL_WIDTH - RIGHT

    def scale(value) -> float:
        year = value if isinstance(value, int | float) else _year_fraction(value)
        return round(LABEL_WIDTH + (year - first) / (last - first) * inner, 1)

    bars = []
    for i, row in enumerate(plotted):
        end = row["end"] or today
        x = scale(row["start"])
        width = max(scale(max(end, row["start"])) - x, 3)
        y = TOP + i * ROW
        bars.append(
            TimelineBar(
                label=row["label"],
                url=row["url"],
                x=x,
                width=round(width, 1),
                y=y,
                text_y=y + 14,
                css=f"chart__seg--{PHASE_CLASSES.get(row['phase'], 7)}",
                open_ended=row["end"] is None,
                caption=row["caption"],
                description=row["description"],
            )
        )
    height = TOP + len(plotted) * ROW + 10
    description = (
        f"{len(plotted)} trial(s) drawn from start to completion, ordered by start date; "
        "a dashed bar has no completion date and runs to today. "
        + (f"Not drawn (no start date): {', '.join(unplotted)}." if unplotted else "")
    )
    return Timeline(
        title=title,
        description=description,
        width=WIDTH,
        height=height,
        label_width=LABEL_WIDTH,
        axis_y=TOP - 12,
        ticks=_ticks(first, last, LABEL_WIDTH, scale),
        bars=bars,
        unplotted=unplotted,
    )


# -- the evidence map --------------------------------------------------------------------

MAP_PHASES = [
    ("EARLY_PHASE1", "Early 1"),
    ("PHASE1", "1"),
    ("PHASE1_PHASE2", "1/2"),
    ("PHASE2", "2"),
    ("PHASE2_PHASE3", "2/3"),
    ("PHASE3", "3"),
    ("PHASE4", "4"),
    ("", "Not stated"),
]
MAP_ROW = 36
MAP_LABEL = 90
MAP_BOTTOM = 30
MAX_RADIUS = 16


@dataclass
class Dot:
    cx: float
    cy: float
    r: float
    css: str
    title: str
    url: str


@dataclass
class EvidenceMap:
    title: str
    description: str
    width: int
    height: int
    label_width: int
    rows: list[dict]  # phase label and y
    ticks: list[Tick]
    axis_y: float
    dots: list[Dot]
    legend: list[dict]


def evidence_map(title: str, points: list[dict], families: list[str]) -> EvidenceMap:
    """points: year, phase (code or ""), participants (int or None), family (a name in
    `families`), label, url. Circle area grows with participants (radius ∝ √n); a trial with
    no number of participants is a small hollow circle."""
    years = [p["year"] for p in points]
    first, last = (min(years), max(years) + 1) if years else (2000, 2001)
    inner = WIDTH - MAP_LABEL - RIGHT - MAX_RADIUS
    phase_row = {code: i for i, (code, _label) in enumerate(MAP_PHASES)}
    biggest = max([p["participants"] or 0 for p in points] + [1])

    def scale(year: float) -> float:
        return round(MAP_LABEL + MAX_RADIUS + (year - first) / (last - first) * inner, 1)

    crowd: dict[tuple, int] = {}
    dots = []
    for p in points:
        row = phase_row.get(p["phase"], len(MAP_PHASES) - 1)
        slot = crowd.get((p["year"], row), 0)
        crowd[(p["year"], row)] = slot + 1
        n = p["participants"]
        radius = 3 if not n else round(3 + (MAX_RADIUS - 3) * math.sqrt(n / biggest), 1)
        dots.append(
            Dot(
                cx=scale(p["year"] + 0.5) + (slot % 3 - 1) * 6,
                cy=10 + row * MAP_ROW + MAP_ROW / 2 + (slot // 3) * 5,
                r=radius,
                css=f"chart__seg--{families.index(p['family']) % 8}"
                + ("" if n else " evidence-map__dot--unknown"),
                title=p["label"],
                url=p["url"],
            )
        )
    rows = [
        {"label": label, "y": 10 + i * MAP_ROW + MAP_ROW / 2 + 5, "line": 10 + i * MAP_ROW}
        for i, (_code, label) in enumerate(MAP_PHASES)
    ]
    axis_y = 10 + len(MAP_PHASES) * MAP_ROW
    return EvidenceMap(
        title=title,
        description=(
            f"{len(points)} trial(s) by start year (across) and phase (down); circle size "
            "shows the number of participants, colour the cell-type family. The table "
            "beside the chart lists every trial."
        ),
        width=WIDTH,
        height=axis_y + MAP_BOTTOM,
        label_width=MAP_LABEL,
        rows=rows,
        ticks=_ticks(first, last - 1, MAP_LABEL, lambda year: scale(year + 0.5)),
        axis_y=axis_y,
        dots=dots,
        legend=[{"label": name, "css": f"chart__seg--{i % 8}"} for i, name in enumerate(families)],
    )
