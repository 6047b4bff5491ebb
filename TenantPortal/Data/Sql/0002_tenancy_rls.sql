-- Row-level security: requests (portal_app) see and write only the active organization's rows, and inside it only
-- the workspaces in their context. portal_owner's policies serve the SECURITY DEFINER functions above.

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations FOR ALL TO portal_app
    USING (id = (SELECT app.current_org_id()))
    WITH CHECK (id = (SELECT app.current_org_id()));
-- Only the owner may change or delete the organization itself.
CREATE POLICY owner_changes ON organizations AS RESTRICTIVE FOR UPDATE TO portal_app
    USING ((SELECT app.current_org_role()) = 'owner');
CREATE POLICY owner_deletes ON organizations AS RESTRICTIVE FOR DELETE TO portal_app
    USING ((SELECT app.current_org_role()) = 'owner');
CREATE POLICY definer_access ON organizations FOR ALL TO portal_owner USING (true) WITH CHECK (true);

-- One call secures a tenant table: RLS enabled and forced; portal_app reads and writes rows of the active
-- organization that pass p_visible; only owners and admins write (restrictive policies); portal_owner, which runs
-- the SECURITY DEFINER functions, is unrestricted.
CREATE PROCEDURE app.secure_tenant_table(p_table regclass, p_visible text DEFAULT 'true')
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s FOR ALL TO portal_app
                        USING (org_id = (SELECT app.current_org_id()) AND (%s))
                        WITH CHECK (org_id = (SELECT app.current_org_id()))', p_table, p_visible);
    EXECUTE format('CREATE POLICY managers_insert ON %s AS RESTRICTIVE FOR INSERT TO portal_app
                        WITH CHECK ((SELECT app.current_org_can_manage()))', p_table);
    EXECUTE format('CREATE POLICY managers_update ON %s AS RESTRICTIVE FOR UPDATE TO portal_app
                        USING ((SELECT app.current_org_can_manage()))', p_table);
    EXECUTE format('CREATE POLICY managers_delete ON %s AS RESTRICTIVE FOR DELETE TO portal_app
                        USING ((SELECT app.current_org_can_manage()))', p_table);
    EXECUTE format('CREATE POLICY definer_access ON %s FOR ALL TO portal_owner USING (true) WITH CHECK (true)', p_table);
END;
$$;

CALL app.secure_tenant_table('org_members');
-- Inside the organization, workspaces are visible to owners and admins and to their members.
CALL app.secure_tenant_table('workspaces',
    '(SELECT app.current_org_can_manage()) OR id = ANY ((SELECT app.current_workspace_ids())::uuid[])');
CALL app.secure_tenant_table('workspace_members',
    '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])');

-- A user's subscription is theirs alone.
ALTER TABLE user_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY own_row ON user_subscriptions FOR SELECT TO portal_app USING (user_id = (SELECT app.current_user_id()));
CREATE POLICY definer_access ON user_subscriptions FOR ALL TO portal_owner USING (true) WITH CHECK (true);
