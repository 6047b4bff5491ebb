-- Agents: the AI workers of a project. Names are unique per project; the project's agent limit (and its plan's) caps them.

-- A project row is addressed with its workspace by children, so they cannot name another workspace than their project's.
ALTER TABLE projects ADD CONSTRAINT projects_workspace_key UNIQUE (org_id, workspace_id, id);

-- Agent names: 1-63 lowercase letters, digits, hyphens or underscores, starting with a letter.
CREATE FUNCTION app.is_valid_agent_name(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT name ~ '^[a-z][a-z0-9_-]{0,62}$' $$;

-- Agent configuration: a JSON object whose known fields have the right types and ranges; other fields are kept as given.
CREATE FUNCTION app.is_valid_agent_config(c jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF c IS NULL OR jsonb_typeof(c) <> 'object' THEN
        RETURN false;
    END IF;
    IF c ? 'model' AND (jsonb_typeof(c -> 'model') <> 'string' OR char_length(c ->> 'model') NOT BETWEEN 1 AND 100) THEN
        RETURN false;
    END IF;
    IF c ? 'temperature' AND (jsonb_typeof(c -> 'temperature') <> 'number' OR (c ->> 'temperature')::numeric NOT BETWEEN 0 AND 2) THEN
        RETURN false;
    END IF;
    IF c ? 'max_tokens' AND (jsonb_typeof(c -> 'max_tokens') <> 'number' OR (c ->> 'max_tokens')::numeric NOT BETWEEN 1 AND 200000
                             OR (c ->> 'max_tokens')::numeric <> trunc((c ->> 'max_tokens')::numeric)) THEN
        RETURN false;
    END IF;
    IF c ? 'system_prompt' AND (jsonb_typeof(c -> 'system_prompt') <> 'string' OR char_length(c ->> 'system_prompt') > 20000) THEN
        RETURN false;
    END IF;
    IF c ? 'instructions' AND (jsonb_typeof(c -> 'instructions') <> 'string' OR char_length(c ->> 'instructions') > 20000) THEN
        RETURN false;
    END IF;
    RETURN true;
END;
$$;

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

-- The project's row is locked while counting, so concurrent creations cannot pass its limit: the smaller of the
-- project's own agent limit and its organization's plan limit. Raises agent_limit|<n> or plan_limit_agents|<plan>|<n>.
CREATE FUNCTION app.enforce_agent_limit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_project_limit integer;
    v_plan text;
    v_plan_limit integer;
    v_count bigint;
BEGIN
    SELECT p.max_agents INTO v_project_limit FROM public.projects p WHERE p.org_id = NEW.org_id AND p.id = NEW.project_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NEW;  -- The foreign key reports the missing project.
    END IF;
    SELECT o.plan, pl.max_agents_per_project INTO v_plan, v_plan_limit
    FROM public.organizations o JOIN public.plans pl ON pl.code = o.plan WHERE o.id = NEW.org_id;
    SELECT count(*) INTO v_count FROM public.agents a WHERE a.org_id = NEW.org_id AND a.project_id = NEW.project_id;

    IF v_plan_limit IS NOT NULL AND v_count >= v_plan_limit AND (v_project_limit IS NULL OR v_plan_limit <= v_project_limit) THEN
        RAISE EXCEPTION 'plan_limit_agents|%|%', v_plan, v_plan_limit USING ERRCODE = 'P0001';
    ELSIF v_project_limit IS NOT NULL AND v_count >= v_project_limit THEN
        RAISE EXCEPTION 'agent_limit|%', v_project_limit USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER enforce_agent_limit BEFORE INSERT ON agents FOR EACH ROW EXECUTE FUNCTION app.enforce_agent_limit();

CALL app.secure_tenant_table('agents',
    '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])');
CALL app.audit_table('agents', 'agent');
