-- qbound's experiment history. Times are Unix milliseconds; JSON columns hold TEXT.

CREATE TABLE api_token (
    api_token_id INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL CHECK (role IN ('read', 'write', 'worker')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
);

CREATE TABLE model (
    model_id   INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    opset      INTEGER,
    inputs     TEXT NOT NULL,
    outputs    TEXT NOT NULL,
    layers     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE dataset (
    dataset_id      INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    image_count     INTEGER NOT NULL,
    has_annotations INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE run (
    run_id                 INTEGER PRIMARY KEY,
    name                   TEXT NOT NULL,
    model_id               INTEGER NOT NULL REFERENCES model (model_id),
    calibration_dataset_id INTEGER NOT NULL REFERENCES dataset (dataset_id),
    validation_dataset_id  INTEGER REFERENCES dataset (dataset_id),
    config                 TEXT NOT NULL,
    status                 TEXT NOT NULL,
    tags                   TEXT NOT NULL DEFAULT '[]',
    notes                  TEXT NOT NULL DEFAULT '',
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);

CREATE TABLE job (
    job_id           INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    label            TEXT NOT NULL,
    params           TEXT NOT NULL,
    capability       TEXT NOT NULL CHECK (capability IN ('cpu', 'cuda', 'tensorrt')),
    state            TEXT NOT NULL,
    progress         REAL NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    worker_name      TEXT,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    result           TEXT,
    error            TEXT,
    log              TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    queued_at        INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
);
CREATE INDEX job_state ON job (state, capability);
CREATE INDEX job_run ON job (run_id);

CREATE TABLE job_dependency (
    job_id            INTEGER NOT NULL REFERENCES job (job_id) ON DELETE CASCADE,
    depends_on_job_id INTEGER NOT NULL REFERENCES job (job_id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, depends_on_job_id)
);

CREATE TABLE artifact (
    artifact_id  INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
    job_id       INTEGER NOT NULL REFERENCES job (job_id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (job_id, name)
);

CREATE TABLE layer_result (
    layer_result_id INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    op              TEXT NOT NULL,
    parameters      INTEGER NOT NULL,
    sensitivity     REAL,
    sensitivity_rank INTEGER,
    UNIQUE (run_id, name)
);

CREATE TABLE tradeoff_point (
    tradeoff_point_id  INTEGER PRIMARY KEY,
    run_id             INTEGER NOT NULL REFERENCES run (run_id) ON DELETE CASCADE,
    label              TEXT NOT NULL,
    float_layer_count  INTEGER,
    quantized_layer_count INTEGER,
    accuracy           REAL,
    throughput         TEXT NOT NULL DEFAULT '{}',
    UNIQUE (run_id, label)
);

CREATE TABLE worker (
    worker_id    INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    capabilities TEXT NOT NULL,
    last_seen_at INTEGER NOT NULL
);
