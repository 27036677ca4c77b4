-- One row per instance certificate identity (Athenz `X509CertRecord`): the
-- serials of the current and the previous certificate issued to an instance
-- of a service by a provider, checked on every refresh. A serial of '-1'
-- means the record is revoked.
CREATE TABLE cert_records (
    provider        TEXT    NOT NULL,
    instance_id     TEXT    NOT NULL,
    service         TEXT    NOT NULL,
    current_serial  TEXT    NOT NULL,
    current_time_ms BIGINT  NOT NULL,
    current_ip      TEXT    NOT NULL,
    prev_serial     TEXT    NOT NULL,
    prev_time_ms    BIGINT  NOT NULL,
    prev_ip         TEXT    NOT NULL,
    prev_used       BOOLEAN NOT NULL,
    client_cert     BOOLEAN NOT NULL,
    expiry_time_ms  BIGINT  NOT NULL,
    hostname        TEXT,
    sia_provider    TEXT,
    PRIMARY KEY (provider, instance_id, service)
);
