-- One row per domain: the whole domain is one opaque JSON document, and
-- `version` is the optimistic-concurrency counter checked on every write.
-- The document is TEXT, not JSONB, so it round-trips byte for byte.
CREATE TABLE domains (
    name        TEXT   PRIMARY KEY,
    version     BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL,
    document    TEXT   NOT NULL
);

-- Multi-instance cache refresh asks for domains modified after a time.
CREATE INDEX domains_modified_ms ON domains (modified_ms);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    created_ms  BIGINT NOT NULL,
    principal   TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    domain      TEXT   NOT NULL,
    object      TEXT   NOT NULL,
    audit_ref   TEXT,
    details     TEXT
);

-- Audit pages are read per domain, newest id first.
CREATE INDEX audit_log_domain_id ON audit_log (domain, id);
