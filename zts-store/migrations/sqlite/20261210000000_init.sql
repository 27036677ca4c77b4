-- One row per instance certificate identity (Athenz `X509CertRecord`): the
-- serials of the current and the previous certificate issued to an instance
-- of a service by a provider, checked on every refresh. A serial of '-1'
-- means the record is revoked. STRICT makes SQLite reject values of the
-- wrong type instead of coercing; STRICT has no BOOLEAN, hence the CHECKs.
CREATE TABLE cert_records (
    provider        TEXT    NOT NULL,
    instance_id     TEXT    NOT NULL,
    service         TEXT    NOT NULL,
    current_serial  TEXT    NOT NULL,
    current_time_ms INTEGER NOT NULL,
    current_ip      TEXT    NOT NULL,
    prev_serial     TEXT    NOT NULL,
    prev_time_ms    INTEGER NOT NULL,
    prev_ip         TEXT    NOT NULL,
    prev_used       INTEGER NOT NULL CHECK (prev_used IN (0, 1)),
    client_cert     INTEGER NOT NULL CHECK (client_cert IN (0, 1)),
    expiry_time_ms  INTEGER NOT NULL,
    hostname        TEXT,
    sia_provider    TEXT,
    PRIMARY KEY (provider, instance_id, service)
) STRICT;
