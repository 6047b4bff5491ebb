-- The agent API's idempotency keys and per-key request limits; agents insert only the columns of what they say.

-- How many requests a key may make per minute (an owner sets it per key).
ALTER TABLE api_keys ADD COLUMN rate_limit_per_minute integer NOT NULL DEFAULT 600
    CONSTRAINT api_keys_rate_limit_range CHECK (rate_limit_per_minute BETWEEN 1 AND 100000);

-- The first response to each Idempotency-Key of a key, for 24 hours (app.claim_idempotent_request). Bookkeeping of
-- the database's own, in schema app, reached only through its routines.
CREATE TABLE app.idempotent_requests (
    org_id uuid NOT NULL,
    api_key_id uuid NOT NULL,
    idempotency_key text NOT NULL,
    request_hash bytea NOT NULL,
    status integer,
    location text,
    body text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_idempotent_requests PRIMARY KEY (api_key_id, idempotency_key),
    CONSTRAINT fk_idempotent_requests_key FOREIGN KEY (org_id, api_key_id) REFERENCES api_keys (org_id, id) ON DELETE CASCADE
);

-- Each key's requests in the current minute (app.count_agent_request): one row per key, shared by every app instance.
CREATE TABLE app.key_request_windows (
    org_id uuid NOT NULL,
    api_key_id uuid NOT NULL,
    window_start timestamptz NOT NULL,
    used integer NOT NULL,
    CONSTRAINT pk_key_request_windows PRIMARY KEY (api_key_id),
    CONSTRAINT fk_key_request_windows_key FOREIGN KEY (org_id, api_key_id) REFERENCES api_keys (org_id, id) ON DELETE CASCADE
);

-- An agent inserts a message or a proposal, never its id, position, time or (for a decision) an outcome: those are the
-- database's (defaults, triggers) or a person's.
REVOKE INSERT ON agent_messages, decisions FROM portal_app;
GRANT INSERT (org_id, workspace_id, project_id, agent_id, api_key_id, to_agent_id, message_type, content, correlation_id, reply_to, metadata)
    ON agent_messages TO portal_app;
GRANT INSERT (org_id, workspace_id, project_id, agent_id, api_key_id, title, description, options, payload, deadline)
    ON decisions TO portal_app;
