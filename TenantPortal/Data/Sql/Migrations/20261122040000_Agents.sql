-- Agents (the AI workers of a project) and their API keys.

-- A project row is addressed with its workspace by children, so they cannot name another workspace than their project's.
ALTER TABLE projects ADD CONSTRAINT projects_workspace_key UNIQUE (org_id, workspace_id, id);

CREATE TABLE agents (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL CONSTRAINT agents_name_format CHECK (app.is_valid_agent_name(name)),
    display_name text NOT NULL CONSTRAINT agents_display_name_format CHECK (display_name = btrim(display_name) AND char_length(display_name) BETWEEN 1 AND 200),
    description text CONSTRAINT agents_description_length CHECK (char_length(description) <= 2000),
    status text NOT NULL DEFAULT 'draft' CONSTRAINT agents_status_check CHECK (status IN ('draft', 'active', 'inactive', 'archived')),
    config jsonb NOT NULL DEFAULT '{}' CONSTRAINT agents_config_valid CHECK (app.is_valid_agent_config(config)),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz,
    CONSTRAINT pk_agents PRIMARY KEY (org_id, id),
    CONSTRAINT agents_name_key UNIQUE (org_id, project_id, name),
    CONSTRAINT agents_project_key UNIQUE (org_id, workspace_id, project_id, id),
    CONSTRAINT fk_agents_project FOREIGN KEY (org_id, workspace_id, project_id) REFERENCES projects (org_id, workspace_id, id) ON DELETE CASCADE
);

CREATE INDEX ix_agents_project_status ON agents (org_id, project_id, status);

CREATE TRIGGER enforce_agent_limit BEFORE INSERT ON agents FOR EACH ROW EXECUTE FUNCTION app.enforce_agent_limit();

-- API keys: bound to one agent of one project. Only the SHA-256 of a key is stored, with a display prefix and its
-- last four characters; the key itself is shown once when it is created.
CREATE TABLE api_keys (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL CONSTRAINT api_keys_name_format CHECK (name ~ '^[a-z][a-z0-9_]*[a-z0-9]$' AND char_length(name) <= 50),
    key_hash bytea NOT NULL CONSTRAINT api_keys_key_hash_length CHECK (length(key_hash) = 32),
    prefix text NOT NULL CONSTRAINT api_keys_prefix_format CHECK (prefix ~ '^sk_agent_v1_[0-9a-f]{8}_[0-9a-f]{8}$'),
    last_four text NOT NULL CONSTRAINT api_keys_last_four_format CHECK (last_four ~ '^[0-9A-Za-z]{4}$'),
    capabilities text[] NOT NULL CONSTRAINT api_keys_capabilities_check
        CHECK (cardinality(capabilities) >= 1 AND capabilities <@ ARRAY['communicate', 'create_meetings', 'manage_decisions', 'read_project']),
    status text NOT NULL DEFAULT 'active' CONSTRAINT api_keys_status_check CHECK (status IN ('active', 'revoked', 'expired', 'disabled')),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoke_reason text CONSTRAINT api_keys_revoke_reason_length CHECK (char_length(revoke_reason) BETWEEN 1 AND 500),
    replaced_by uuid,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_api_keys PRIMARY KEY (org_id, id),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_revocation_complete CHECK (status <> 'revoked' OR (revoked_at IS NOT NULL AND revoke_reason IS NOT NULL)),
    CONSTRAINT fk_api_keys_agent FOREIGN KEY (org_id, workspace_id, project_id, agent_id)
        REFERENCES agents (org_id, workspace_id, project_id, id) ON DELETE CASCADE
);

-- Names are unique per project among active keys; a key being rolled out (replaced_by set) frees its name.
CREATE UNIQUE INDEX ux_api_keys_active_name ON api_keys (org_id, project_id, name) WHERE status = 'active' AND replaced_by IS NULL;
CREATE INDEX ix_api_keys_agent ON api_keys (org_id, agent_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON agents, api_keys TO portal_app;
