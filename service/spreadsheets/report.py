"""What an import answers: the report, each bad cell, and the progress it tells on the way."""

from collections.abc import Callable

from pydantic import BaseModel, Field, field_validator

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 500
MAX_VALUE_CHARS = 200  # a cell may hold 32 KiB: the report shows its start, enough to find it


class RowError(BaseModel):
    line: int = Field(description="line in the file, the header being line 1")
    column: str = Field(description="the column at fault; 'row' or 'file' when it is not one column")
    value: str | None = Field(description="the cell as read")
    message: str = Field(description="what is wrong and how to fix it")

    @field_validator("value")
    @classmethod
    def _short(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_VALUE_CHARS:
            return value[:MAX_VALUE_CHARS] + f"… ({len(value):,} characters)"
        return value


class ImportReport(BaseModel):
    rows: int = Field(description="data rows read")
    created: int = Field(description="rows written as new records (dry run: that would be)")
    updated: int
    unchanged: int
    errors: list[RowError] = Field(description="the problems found, in file order; the first ones only if truncated")
    total_errors: int = Field(description="how many problems were found in all")
    bad_rows: int = Field(description="how many data rows have at least one problem")
    truncated: bool = Field(
        description="true when 'errors' lists only the first problems (see ROSTER_IMPORT_MAX_ERRORS)"
    )
    dry_run: bool
    partial: bool

    @property
    def rejected(self) -> bool:
        """True when errors kept the whole file out (always, unless partial; partial: when no row was good)."""
        return bool(self.errors) and (not self.partial or self.created + self.updated + self.unchanged == 0)


def capped(errors: list[RowError], bad_rows: int, limit: int) -> dict:
    """The report's error fields: the first ``limit`` problems and the totals (a file of bad cells, a small answer)."""
    return {
        "errors": errors[:limit],
        "total_errors": len(errors),
        "bad_rows": bad_rows,
        "truncated": len(errors) > limit,
    }


class FileError(Exception):
    """The file as a whole cannot be read: not CSV or XLSX, no header, bad columns."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def file_error(message: str, column: str = "file", line: int = 1, value: str | None = None) -> FileError:
    return FileError([RowError(line=line, column=column, value=value, message=message)])


def tell(progress: Progress | None, phase: str, done: int, total: int) -> None:
    if progress is not None:
        progress(phase, done, total)
