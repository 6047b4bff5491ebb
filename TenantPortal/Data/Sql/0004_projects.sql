-- Projects: the unit of work inside a workspace. Agents, keys and what agents post belong to one project.

-- Project slugs: lowercase letters, digits and underscores, starting with a letter and ending with a letter or digit.
CREATE FUNCTION app.is_valid_project_slug(slug text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT slug ~ '^[a-z][a-z0-9_]*[a-z0-9]$'
       AND length(slug) BETWEEN 3 AND 50
       AND slug NOT IN ('default', 'system', 'admin', 'root');
$$;

-- Tags: at most 20, each 1-40 lowercase letters, digits, hyphens or underscores, no duplicates.
CREATE FUNCTION app.are_valid_tags(tags text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(cardinality(tags) <= 20
       AND (SELECT coalesce(bool_and(t ~ '^[a-z0-9][a-z0-9_-]{0,39}$'), true) FROM unnest(tags) t)
       AND cardinality(tags) = (SELECT count(DISTINCT t) FROM unnest(tags) t), false);
$$;

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

-- New projects are counted against the organization's plan; max_agents defaults to (and may not exceed) the plan's limit.
CREATE FUNCTION app.project_limits() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_plan text;
    v_limit integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM app.enforce_plan_limit(NEW.org_id, 'projects');
    END IF;

    SELECT o.plan, p.max_agents_per_project INTO v_plan, v_limit
    FROM public.organizations o JOIN public.plans p ON p.code = o.plan WHERE o.id = NEW.org_id;
    -- Empty means the plan's limit; a limit set earlier under a larger plan stays until it is changed.
    IF NEW.max_agents IS NULL THEN
        NEW.max_agents := v_limit;
    ELSIF v_limit IS NOT NULL AND NEW.max_agents > v_limit
          AND (TG_OP = 'INSERT' OR NEW.max_agents IS DISTINCT FROM OLD.max_agents) THEN
        RAISE EXCEPTION 'plan_limit_agents|%|%', v_plan, v_limit USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER project_limits BEFORE INSERT OR UPDATE OF max_agents ON projects
    FOR EACH ROW EXECUTE FUNCTION app.project_limits();

-- Inside the organization, projects are visible to owners and admins and to members of the project's workspace.
CALL app.secure_tenant_table('projects',
    '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])');
CALL app.audit_table('projects', 'project');
