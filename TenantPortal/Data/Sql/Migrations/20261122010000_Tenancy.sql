-- Organizations, their members and workspaces, plans. Every tenant table carries org_id in its keys,
-- and children reference parents through composite keys that include it.

-- The secret that signs tenant context (see Routines/10_context.sql); only portal_owner reads it.
CREATE TABLE app.context_secret (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    secret bytea NOT NULL
);

INSERT INTO app.context_secret (secret)
SELECT sha256(convert_to(gen_random_uuid()::text || clock_timestamp()::text || random()::text || gen_random_uuid()::text, 'UTF8'));

CREATE TABLE plans (
    code text PRIMARY KEY CHECK (code IN ('free', 'pro', 'max')),
    name text NOT NULL,
    max_owned_orgs integer CHECK (max_owned_orgs > 0)   -- NULL: unlimited
);

INSERT INTO plans (code, name, max_owned_orgs) VALUES
    ('free', 'Free', 1),
    ('pro', 'Pro', NULL),
    ('max', 'Max', NULL);

CREATE TABLE user_subscriptions (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    plan_code text NOT NULL DEFAULT 'free' REFERENCES plans (code),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    slug text NOT NULL CONSTRAINT organizations_slug_format CHECK (app.is_valid_slug(slug)),
    name text NOT NULL CONSTRAINT organizations_name_format CHECK (app.is_valid_name(name)),
    plan text NOT NULL DEFAULT 'free' REFERENCES plans (code),
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_organizations PRIMARY KEY (id),
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);

CREATE TABLE org_members (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_org_members PRIMARY KEY (org_id, user_id)
);

CREATE INDEX ix_org_members_user_id ON org_members (user_id);

CREATE TABLE workspaces (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    slug text NOT NULL CONSTRAINT workspaces_slug_format CHECK (app.is_valid_slug(slug)),
    name text NOT NULL CONSTRAINT workspaces_name_format CHECK (app.is_valid_name(name)),
    description text CHECK (char_length(description) <= 500),
    archived_at timestamptz,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_workspaces PRIMARY KEY (org_id, id),
    CONSTRAINT workspaces_slug_key UNIQUE (org_id, slug)
);

CREATE TABLE workspace_members (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_workspace_members PRIMARY KEY (org_id, workspace_id, user_id),
    -- A workspace member is always a member of the workspace's organization.
    CONSTRAINT fk_workspace_members_workspace FOREIGN KEY (org_id, workspace_id) REFERENCES workspaces (org_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_workspace_members_member FOREIGN KEY (org_id, user_id) REFERENCES org_members (org_id, user_id) ON DELETE CASCADE
);

CREATE INDEX ix_workspace_members_user ON workspace_members (org_id, user_id);

-- The user's last-used context, restored by a new circuit (checked against membership when used).
ALTER TABLE users ADD COLUMN last_org_id uuid, ADD COLUMN last_workspace_id uuid;

GRANT SELECT ON plans TO portal_app;
GRANT SELECT ON user_subscriptions TO portal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, org_members, workspaces, workspace_members TO portal_app;
