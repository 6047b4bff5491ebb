-- Plan limits per organization, projects, membership rules and invitations.

ALTER TABLE plans
    ADD COLUMN max_projects_per_org integer CHECK (max_projects_per_org > 0),
    ADD COLUMN max_agents_per_project integer CHECK (max_agents_per_project > 0),
    ADD COLUMN max_members_per_org integer CHECK (max_members_per_org > 0);

UPDATE plans SET max_owned_orgs = 1, max_projects_per_org = 3, max_agents_per_project = 5, max_members_per_org = 5 WHERE code = 'free';
UPDATE plans SET max_owned_orgs = 10, max_projects_per_org = 50, max_agents_per_project = 100, max_members_per_org = 50 WHERE code = 'pro';
UPDATE plans SET max_owned_orgs = NULL, max_projects_per_org = NULL, max_agents_per_project = NULL, max_members_per_org = NULL WHERE code = 'max';

-- Member count of an organization is limited (the creator's own membership included).
CREATE TRIGGER enforce_member_limit BEFORE INSERT ON org_members
    FOR EACH ROW EXECUTE FUNCTION app.enforce_plan_limit_trigger('members');

-- Projects: the unit of work inside a workspace. Agents, keys and what agents post belong to one project.
CREATE TABLE projects (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    slug text NOT NULL CONSTRAINT projects_slug_format CHECK (app.is_valid_project_slug(slug)),
    name text NOT NULL CONSTRAINT projects_name_format CHECK (name = btrim(name) AND char_length(name) BETWEEN 1 AND 200),
    description text CONSTRAINT projects_description_length CHECK (char_length(description) <= 2000),
    status text NOT NULL DEFAULT 'active'
        CONSTRAINT projects_status_check CHECK (status IN ('active', 'inactive', 'suspended', 'archived')),
    max_agents integer CONSTRAINT projects_max_agents_range CHECK (max_agents BETWEEN 0 AND 100000),  -- NULL: unlimited
    tags text[] NOT NULL DEFAULT '{}' CONSTRAINT projects_tags_format CHECK (app.are_valid_tags(tags)),
    metadata jsonb NOT NULL DEFAULT '{}' CONSTRAINT projects_metadata_object CHECK (jsonb_typeof(metadata) = 'object'),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz,
    CONSTRAINT pk_projects PRIMARY KEY (org_id, id),
    CONSTRAINT projects_slug_key UNIQUE (org_id, slug),
    -- A project lives in a workspace of its own organization.
    CONSTRAINT fk_projects_workspace FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id) ON DELETE CASCADE
);

-- The project list pages through one workspace sorted by name, creation or activity, filtered by status and tags.
CREATE INDEX ix_projects_workspace_name ON projects (org_id, workspace_id, lower(name), id);
CREATE INDEX ix_projects_workspace_created ON projects (org_id, workspace_id, created_at, id);
CREATE INDEX ix_projects_workspace_status ON projects (org_id, workspace_id, status);
CREATE INDEX ix_projects_tags ON projects USING gin (tags);
CREATE INDEX ix_projects_metadata ON projects USING gin (metadata jsonb_path_ops);

CREATE TRIGGER project_limits BEFORE INSERT OR UPDATE OF max_agents ON projects
    FOR EACH ROW EXECUTE FUNCTION app.project_limits();

-- An organization always keeps an active owner (see app.keep_an_owner).
CREATE TRIGGER keep_an_owner BEFORE UPDATE OR DELETE ON org_members
    FOR EACH ROW EXECUTE FUNCTION app.keep_an_owner();

-- Invitations: a single-use link valid for 7 days. Only the SHA-256 of the token is stored; the token itself is
-- shown to the inviter and mailed, never written anywhere.
CREATE TABLE org_invitations (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    email text NOT NULL CONSTRAINT org_invitations_email_format
        CHECK (email = lower(btrim(email)) AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND char_length(email) <= 256),
    role text NOT NULL CONSTRAINT org_invitations_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    workspace_ids uuid[] NOT NULL DEFAULT '{}',
    token_hash bytea NOT NULL CONSTRAINT org_invitations_token_hash_length CHECK (length(token_hash) = 32),
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL DEFAULT now() + interval '7 days',
    last_sent_at timestamptz NOT NULL DEFAULT now(),
    send_count integer NOT NULL DEFAULT 1,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at timestamptz,
    revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT pk_org_invitations PRIMARY KEY (org_id, id),
    CONSTRAINT org_invitations_token_hash_key UNIQUE (token_hash)
);

-- One open invitation per address and organization; resending renews it.
CREATE UNIQUE INDEX ux_org_invitations_open ON org_invitations (org_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- Pending invitations count against the member limit.
CREATE TRIGGER enforce_member_limit BEFORE INSERT ON org_invitations
    FOR EACH ROW EXECUTE FUNCTION app.enforce_plan_limit_trigger('invitations');

GRANT SELECT, INSERT, UPDATE, DELETE ON projects, org_invitations TO portal_app;
