"""Glue of the web views only: a page's service call with its flash message.

What the views share with the REST API (the current Actor, scope filter, NIK masking, service
interfaces) lives in `records.web_common`.
"""

from __future__ import annotations

from flask import flash

from records.exceptions import RecordsError
from records.extensions import db


def flash_outcome(action, success: str) -> None:
    """Run a page's service call: flash its refusal (a missing item stays a 404 page) or
    the success message. A refusal rolls the session back, so nothing half-done is kept."""
    try:
        action()
    except RecordsError as exc:
        db.session.rollback()
        if exc.http_status == 404:
            raise
        flash(str(exc), "danger")
    else:
        flash(success, "success")
