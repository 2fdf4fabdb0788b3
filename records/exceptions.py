"""Domain errors raised by services; views, API and CLI map them in one place each."""


class RecordsError(Exception):
    """Base for every error a service may raise; the message is shown to the user."""

    http_status = 400


class NotFoundError(RecordsError):
    """The object does not exist, or lies outside what the user may see."""

    http_status = 404


class PermissionDeniedError(RecordsError):
    """The user lacks the permission for this action."""

    http_status = 403


class InvalidTransitionError(RecordsError):
    """The workflow does not allow this move from the current state for this user."""

    http_status = 409


class DocumentProductionError(RecordsError):
    """A letter could not be produced: its template failed (named with its line), the render
    worker ran out of time or memory, or signing failed. Nothing was issued."""

    http_status = 422


class ValidationError(RecordsError):
    """Input is invalid; `errors` maps field names to Indonesian messages."""

    http_status = 422

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class ImportRejectedError(ValidationError):
    """A registry import file was refused whole; `rows` lists (row, field, message)."""

    def __init__(self, message: str, rows: list[tuple[int, str, str]]) -> None:
        super().__init__(message)
        self.rows = rows


class SetupRequiredError(RecordsError):
    """Nothing may be printed yet: the office setup is incomplete (outside demo mode, the
    public address is still a loopback one, so its QR codes would reach nobody)."""

    http_status = 409
