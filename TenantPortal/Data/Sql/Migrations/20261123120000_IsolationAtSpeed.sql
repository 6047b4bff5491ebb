-- Indexes for what the lists and the audit viewer filter on, as row-level security sends it.

-- The overview's counts by status read the index alone: the agent-project policy names the project's id.
DROP INDEX ix_projects_workspace_status;
CREATE INDEX ix_projects_workspace_status ON projects (org_id, workspace_id, status) INCLUDE (id);
-- A list of every project a person sees in the organization (no workspace named), in name order.
CREATE INDEX ix_projects_org_name ON projects (org_id, lower(name), id);

-- The audit viewer reads one chain (chain_key) at a time; its filters: dates, action and dates, actor (a person or a
-- key), entity. The organization/time and actor/time indexes served no chain query.
DROP INDEX ix_audit_events_org_time;
DROP INDEX ix_audit_events_actor;
CREATE INDEX ix_audit_events_chain_time ON audit_events (chain_key, occurred_at);
CREATE INDEX ix_audit_events_chain_action ON audit_events (chain_key, action, occurred_at);
CREATE INDEX ix_audit_events_chain_actor ON audit_events (chain_key, actor_id, seq) WHERE actor_id IS NOT NULL;
CREATE INDEX ix_audit_events_chain_key_used ON audit_events (chain_key, api_key_id, seq) WHERE api_key_id IS NOT NULL;
CREATE INDEX ix_audit_events_chain_entity ON audit_events (chain_key, entity_type, entity_id, seq) WHERE entity_id IS NOT NULL;

-- The signed-in person's own platform events (their sign-ins). The audit policy admits one chain at a time, so this
-- view is how anyone reads their own part of the platform chain: it reads the table as its owner and keeps the rows
-- whose actor is the context's user; a security barrier, so no caller's condition runs on anyone else's rows.
CREATE VIEW own_platform_events WITH (security_barrier) AS
    SELECT * FROM audit_events
    WHERE chain_key = '00000000-0000-0000-0000-000000000000' AND actor_id = app.current_user_id();
GRANT SELECT ON own_platform_events TO portal_app;

-- Events per chain, UTC day, action and entity type, kept by app.append_audit_event in the same transaction as the
-- event (under the chain head's lock). The activity chart and the viewer's action and entity lists read it, so the
-- viewer opens as fast on two million events as on twenty.
CREATE TABLE audit_daily_counts (
    chain_key uuid NOT NULL,
    day date NOT NULL,
    action text NOT NULL,
    entity_type text NOT NULL,
    events bigint NOT NULL CHECK (events > 0),
    CONSTRAINT pk_audit_daily_counts PRIMARY KEY (chain_key, day, action, entity_type)
);
INSERT INTO audit_daily_counts (chain_key, day, action, entity_type, events)
SELECT chain_key, app.utc_day(occurred_at), action, coalesce(entity_type, ''), count(*)
FROM audit_events GROUP BY 1, 2, 3, 4;
GRANT SELECT ON audit_daily_counts TO portal_app;

-- Free-text search in event details: trigrams (pg_trgm ships with PostgreSQL and is a trusted extension, so the
-- database's owner installs it; kept in its own schema). Row-level security cannot use this index for a request's
-- ILIKE (the operator is not leakproof, so the policy runs first, row by row); app.audit_text_matches searches the
-- context's chain with it instead.
CREATE SCHEMA IF NOT EXISTS ext;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ext;
CREATE INDEX ix_audit_events_details_text ON audit_events USING gin ((details::text) ext.gin_trgm_ops);
