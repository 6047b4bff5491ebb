-- Projects and their agents: plan and agent limits, checked with a row lock so concurrent creations cannot overshoot.

-- New projects are counted against the organization's plan; max_agents defaults to (and may not exceed) the plan's limit.
CREATE OR REPLACE FUNCTION app.project_limits() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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

-- The project's row is locked while counting, so concurrent creations cannot pass its limit: the smaller of the
-- project's own agent limit and its organization's plan limit. Raises agent_limit|<n> or plan_limit_agents|<plan>|<n>.
CREATE OR REPLACE FUNCTION app.enforce_agent_limit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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

-- A revoked key stays revoked: its status, time and reason cannot change again (a leaked key must not come back).
CREATE OR REPLACE FUNCTION app.keep_revocation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'revoked' AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
                                   OR NEW.revoke_reason IS DISTINCT FROM OLD.revoke_reason) THEN
        RAISE EXCEPTION 'a revoked key stays revoked' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$;

-- A row stays with the parents it was created under: moving an agent or a key to another project would slip past
-- the agent limit and the project's own rules. TG_ARGV names the parent columns.
CREATE OR REPLACE FUNCTION app.keep_parents() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_column text;
BEGIN
    FOREACH v_column IN ARRAY TG_ARGV LOOP
        IF to_jsonb(NEW) -> v_column IS DISTINCT FROM to_jsonb(OLD) -> v_column THEN
            RAISE EXCEPTION '% of % cannot change', v_column, TG_TABLE_NAME USING ERRCODE = '42501';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;

-- BEFORE INSERT OR UPDATE on projects: the list's sort key follows the name, whatever a statement says of it.
CREATE OR REPLACE FUNCTION app.project_name_key() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.name_key := pg_catalog.lower(NEW.name);
    RETURN NEW;
END;
$$;
