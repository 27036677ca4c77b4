-- One row per domain: the whole domain is one opaque JSON document, and
-- `version` is the optimistic-concurrency counter checked on every write.
-- STRICT makes SQLite reject values of the wrong type instead of coercing.
CREATE TABLE domains (
    name        TEXT    PRIMARY KEY NOT NULL,
    version     INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    document    TEXT    NOT NULL
) STRICT;

-- Multi-instance cache refresh asks for domains modified after a time.
CREATE INDEX domains_modified_ms ON domains (modified_ms);

-- AUTOINCREMENT so ids are never reused: `before_id` pagination relies on it.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_ms  INTEGER NOT NULL,
    principal   TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    domain      TEXT    NOT NULL,
    object      TEXT    NOT NULL,
    audit_ref   TEXT,
    details     TEXT
) STRICT;

-- Audit pages are read per domain, newest id first.
CREATE INDEX audit_log_domain_id ON audit_log (domain, id);
