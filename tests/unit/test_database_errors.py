"""Which database errors are an outage (503, "tidak dapat dihubungi"), which are worth a retry
(503, "sibuk") and which are defects (500): records/errors.py (issue 19, item 4)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from records.errors import _transient, _unreachable


@pytest.mark.parametrize(("error", "unreachable", "transient"), [
    # the server refused the connection: no statement yet, no SQLSTATE
    (OperationalError(None, None, psycopg.OperationalError("connection failed: refused")), True, True),
    # the server shut down or is starting
    (OperationalError("SELECT 1", {}, pg.AdminShutdown("terminating connection")), True, True),
    (OperationalError("SELECT 1", {}, pg.CannotConnectNow("starting up")), True, True),
    # SQLAlchemy saw the connection die under a statement
    (DBAPIError("SELECT 1", {}, psycopg.InterfaceError("closed"), connection_invalidated=True), True, True),
    # lock conflicts and the connection limit: busy, worth a retry
    (OperationalError("UPDATE t", {}, pg.DeadlockDetected("deadlock")), False, True),
    (OperationalError("UPDATE t", {}, pg.SerializationFailure("serialize")), False, True),
    (OperationalError(None, None, pg.TooManyConnections("too many clients")), False, True),
    (OperationalError("COMMIT", None, sqlite3.OperationalError("database is locked")), False, True),
    (OperationalError(None, None, sqlite3.OperationalError("database is locked")), False, True),
    # defects: a client-side error on a live connection, constraint and syntax errors
    (OperationalError("SELECT …", {}, psycopg.OperationalError("number of parameters must be "
                                                              "between 0 and 65535")), False, False),
    (IntegrityError(None, None, pg.UniqueViolation("duplicate key")), False, False),
    (ProgrammingError("SELEC 1", {}, pg.SyntaxError("syntax error")), False, False),
    (OperationalError("SELECT x", {}, sqlite3.OperationalError("no such column: x")), False, False),
])
def test_database_errors_are_told_apart(error, unreachable, transient):
    assert (_unreachable(error), _transient(error)) == (unreachable, transient)
