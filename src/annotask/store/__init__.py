"""The store layer: schema, migrations, engine set-up and every SQL statement annotask issues.

Nothing outside this package talks SQL; the domain layers call the query functions of its
modules with a connection from :meth:`Store.write` or :meth:`Store.read`, so that one
transaction can span several of them.
"""

from annotask.store.engine import (
    DATABASE_URL_ENV,
    Store,
    default_url,
    describe_url,
    is_connection_error,
    locate_url,
    missing_store,
)
from annotask.store.transient import Transient, is_transient, transient_kind
from annotask.store.versioning import head_revision, migrate, open_store, store_exists

__all__ = [
    "DATABASE_URL_ENV",
    "Store",
    "Transient",
    "default_url",
    "describe_url",
    "head_revision",
    "is_connection_error",
    "is_transient",
    "locate_url",
    "migrate",
    "missing_store",
    "open_store",
    "store_exists",
    "transient_kind",
]
