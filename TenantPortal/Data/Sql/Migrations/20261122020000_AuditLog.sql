-- Append-only, hash-chained audit log. One chain per organization and one for platform events (org_id NULL),
-- identified by chain_key (the organization id, or the zero uuid for the platform); seq numbers each chain 1, 2, 3...

CREATE TABLE audit_events (
    chain_key uuid NOT NULL,
    seq bigint NOT NULL,
    org_id uuid,
    workspace_id uuid,
    project_id uuid,
    actor_type text NOT NULL CHECK (actor_type IN ('human', 'agent', 'system')),
    actor_id uuid,
    api_key_id uuid,
    action text NOT NULL CHECK (action ~ '^[a-z][a-z_]*$'),
    entity_type text,
    entity_id text,
    ip_address inet,
    user_agent text,
    details jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'success' CHECK (status IN ('success', 'failure')),
    error_message text,
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    CONSTRAINT pk_audit_events PRIMARY KEY (chain_key, seq),
    CONSTRAINT audit_events_chain_matches_org CHECK (chain_key = coalesce(org_id, '00000000-0000-0000-0000-000000000000'))
);

CREATE INDEX ix_audit_events_org_time ON audit_events (org_id, occurred_at DESC, seq DESC);
CREATE INDEX ix_audit_events_actor ON audit_events (actor_id, occurred_at DESC);

-- The head of each chain; its row lock serializes the writers of one chain.
CREATE TABLE audit_chain_heads (
    chain_key uuid PRIMARY KEY,
    seq bigint NOT NULL,
    hash bytea NOT NULL
);

-- Immutable for every role, the owner included.
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION app.audit_events_immutable();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION app.audit_events_immutable();
CREATE TRIGGER audit_chain_heads_no_delete BEFORE DELETE ON audit_chain_heads
    FOR EACH ROW EXECUTE FUNCTION app.audit_events_immutable();
CREATE TRIGGER audit_chain_heads_no_truncate BEFORE TRUNCATE ON audit_chain_heads
    FOR EACH STATEMENT EXECUTE FUNCTION app.audit_events_immutable();

-- Requests read the log (as its policy allows) and record events through the functions; they never write rows.
GRANT SELECT ON audit_events TO portal_app;
