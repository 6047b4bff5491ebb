-- Helpers that make securing, auditing and maintaining a table one line of Security/tables.sql. Each can run again:
-- it first removes what it put there before, so the declarations are re-applied whenever they or a routine change.

-- Starts a table's security from nothing: row-level security enabled and forced, every policy dropped, and the
-- unrestricted policy for portal_owner, which runs the SECURITY DEFINER functions.
CREATE OR REPLACE PROCEDURE app.reset_table_security(p_table regclass)
LANGUAGE plpgsql AS $$
DECLARE
    v_policy name;
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    FOR v_policy IN SELECT p.polname FROM pg_catalog.pg_policy p WHERE p.polrelid = p_table LOOP
        EXECUTE format('DROP POLICY %I ON %s', v_policy, p_table);
    END LOOP;
    EXECUTE format('CREATE POLICY definer_access ON %s FOR ALL TO portal_owner USING (true) WITH CHECK (true)', p_table);
END;
$$;

-- A tenant table: portal_app reads and writes rows of the active organization that pass p_visible; rows that pass
-- p_writers may be inserted and deleted, and rows that pass p_updaters (p_writers unless given) updated. By default
-- only the organization's owners and admins write.
CREATE OR REPLACE PROCEDURE app.secure_tenant_table(p_table regclass, p_visible text DEFAULT 'true',
    p_writers text DEFAULT '(SELECT app.current_org_can_manage())', p_updaters text DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    CALL app.reset_table_security(p_table);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s FOR ALL TO portal_app
                        USING (org_id = (SELECT app.current_org_id()) AND (%s))
                        WITH CHECK (org_id = (SELECT app.current_org_id()))', p_table, p_visible);
    EXECUTE format('CREATE POLICY writers_insert ON %s AS RESTRICTIVE FOR INSERT TO portal_app WITH CHECK (%s)', p_table, p_writers);
    EXECUTE format('CREATE POLICY writers_update ON %s AS RESTRICTIVE FOR UPDATE TO portal_app USING (%s)', p_table, coalesce(p_updaters, p_writers));
    EXECUTE format('CREATE POLICY writers_delete ON %s AS RESTRICTIVE FOR DELETE TO portal_app USING (%s)', p_table, p_writers);
END;
$$;

-- An agent's context sees its own project only, wherever a project's rows are; a person's context (it names a user)
-- is not limited by this policy. Written as "a person, or the agent's project" rather than "no project, or that
-- project": the planner guesses IS NOT NULL true for almost every row and IS NULL for almost none, so the first form
-- leaves people's row estimates (and with them their plans) as they are, and the second collapsed them to one row.
CREATE OR REPLACE PROCEDURE app.restrict_to_project(p_table regclass, p_column text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE POLICY agent_project ON %s AS RESTRICTIVE FOR ALL TO portal_app
                        USING ((SELECT app.current_user_id()) IS NOT NULL OR %I = (SELECT app.current_project_id()))
                        WITH CHECK ((SELECT app.current_user_id()) IS NOT NULL OR %I = (SELECT app.current_project_id()))',
                   p_table, p_column, p_column);
END;
$$;

-- People's memberships and invitations are no business of an agent.
CREATE OR REPLACE PROCEDURE app.hide_from_agents(p_table regclass)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE POLICY hidden_from_agents ON %s AS RESTRICTIVE FOR ALL TO portal_app
                        USING ((SELECT app.current_actor_type()) IS DISTINCT FROM ''agent'')', p_table);
END;
$$;

-- Puts a table under audit (see app.audit_row_change for the arguments).
CREATE OR REPLACE PROCEDURE app.audit_table(p_table regclass, p_entity text, p_actions text[] DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS audit_row_change ON %s', p_table);
    -- Trigger arguments are strings; a missing action must be left out, not passed as the text 'null'.
    EXECUTE format('CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW
                    EXECUTE FUNCTION app.audit_row_change(%s)',
                   p_table, (SELECT string_agg(quote_literal(a), ', ') FROM unnest(ARRAY[p_entity] || coalesce(p_actions, '{}')) a));
END;
$$;

-- A table of one project's things (the projects table itself names its project in p_project_column 'id'): tenant
-- isolation, visible to the organization's managers and the members of its workspace, written by the workspace's
-- admins (and updated by its members too when p_members_update), an agent's context limited to its own project,
-- every change audited as p_entity, and a change to a project's things counted as its activity.
CREATE OR REPLACE PROCEDURE app.secure_project_table(p_table regclass, p_entity text, p_project_column text DEFAULT 'project_id',
    p_members_update boolean DEFAULT false)
LANGUAGE plpgsql AS $$
DECLARE
    -- The organization's managers hold every workspace, also one created after their context was entered.
    v_admins constant text := '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_admin_workspace_ids())::uuid[])';
    v_members constant text := '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_member_workspace_ids())::uuid[])';
BEGIN
    CALL app.secure_tenant_table(p_table,
        '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])',
        v_admins, CASE WHEN p_members_update THEN v_members ELSE v_admins END);
    CALL app.restrict_to_project(p_table, p_project_column);
    CALL app.audit_table(p_table, p_entity);
    EXECUTE format('DROP TRIGGER IF EXISTS note_project_activity ON %s', p_table);
    IF p_project_column = 'project_id' THEN
        EXECUTE format('CREATE TRIGGER note_project_activity AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW
                        EXECUTE FUNCTION app.note_project_activity()', p_table);
    END IF;
END;
$$;

-- Something happened in a project: its last activity moves to now, and so does the agent's when an agent did it (each
-- at most once a minute, to spare the rows).
CREATE OR REPLACE FUNCTION app.note_project_activity() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_org uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END;
    v_project uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.project_id ELSE NEW.project_id END;
BEGIN
    UPDATE public.projects p SET last_activity_at = now()
    WHERE p.org_id = v_org AND p.id = v_project
      AND (p.last_activity_at IS NULL OR p.last_activity_at < now() - interval '1 minute');
    IF app.current_actor_type() = 'agent' THEN
        UPDATE public.agents a SET last_activity_at = now()
        WHERE a.org_id = v_org AND a.id = app.current_actor_id()
          AND (a.last_activity_at IS NULL OR a.last_activity_at < now() - interval '1 minute');
    END IF;
    RETURN NULL;
END;
$$;

-- BEFORE UPDATE on every table with updated_at: the database stamps a real change (bookkeeping columns aside), so
-- the time comes from one clock and no caller can forget or forge it.
CREATE OR REPLACE FUNCTION app.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF to_jsonb(NEW) - 'updated_at' - 'last_activity_at' - 'last_used_at'
       IS DISTINCT FROM to_jsonb(OLD) - 'updated_at' - 'last_activity_at' - 'last_used_at' THEN
        NEW.updated_at := now();
    ELSE
        NEW.updated_at := OLD.updated_at;
    END IF;
    RETURN NEW;
END;
$$;
