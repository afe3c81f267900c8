"""The validation report: problems a person can act on, each naming file, sheet, column, rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass
class Problem:
    level: str  # "error" refuses the load; "warning" loads but is reported; "info" is a note
    code: str  # stable machine name, e.g. "missing_column", "non_numeric"
    message: str  # plain words, already naming where the problem is
    file: str | None = None
    sheet: str | None = None
    column: str | None = None
    rows: list[int] = field(default_factory=list)  # spreadsheet row numbers (first few)
    count: int = 0  # how many rows are affected (0 when not row-based)
    examples: list[str] = field(default_factory=list)  # a few offending values
    # up to 1000 whole offending rows (source columns + row number), for a downloadable copy;
    # not part of to_dict() (the manifest keeps the report small)
    offending: list[dict] = field(default_factory=list, repr=False)

    def where(self) -> str:
        return where(self.file, self.sheet, self.column, self.rows, self.count)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("offending")
        return d


def where(
    file: str | None,
    sheet: str | None = None,
    column: str | None = None,
    rows: list[int] | None = None,
    count: int = 0,
) -> str:
    """'file "x.xlsx", sheet "Revenue", column "Amount", rows 4, 9 (and 3 more)'."""
    parts = []
    if file:
        parts.append(f'file "{file}"')
    if sheet:
        parts.append(f'sheet "{sheet}"')
    if column:
        parts.append(f'column "{column}"')
    if rows:
        shown = ", ".join(str(r) for r in rows[:10])
        more = count - min(len(rows), 10) if count else len(rows) - min(len(rows), 10)
        parts.append(("row " if len(rows) == 1 and more <= 0 else "rows ") + shown)
        if more > 0:
            parts[-1] += f" (and {more} more)"
    return ", ".join(parts)


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    def add(self, level: str, code: str, message: str, **kw) -> Problem:
        p = Problem(level, code, message, **kw)
        self.problems.append(p)
        return p

    def error(self, code: str, message: str, **kw) -> Problem:
        return self.add(ERROR, code, message, **kw)

    def warning(self, code: str, message: str, **kw) -> Problem:
        return self.add(WARNING, code, message, **kw)

    def info(self, code: str, message: str, **kw) -> Problem:
        return self.add(INFO, code, message, **kw)

    def extend(self, other: Report) -> None:
        self.problems.extend(other.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"ok": self.ok, "problems": [p.to_dict() for p in self.problems]}

    def text(self) -> str:
        """Errors first, then warnings, then notes; one line each."""
        order = {ERROR: 0, WARNING: 1, INFO: 2}
        lines = []
        for p in sorted(self.problems, key=lambda p: order.get(p.level, 3)):
            line = f"{p.level.upper()}: {p.message}"
            if p.examples:
                line += " e.g. " + ", ".join(repr(e) for e in p.examples[:3])
            lines.append(line)
        return "\n".join(lines) if lines else "No problems found."


class ExtractError(Exception):
    """A file cannot be read at all. Carries the problems that say why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))
