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

ALTER TABLE org_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_members FOR ALL TO portal_app
    USING (org_id = (SELECT app.current_org_id()))
    WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE POLICY managers_insert ON org_members AS RESTRICTIVE FOR INSERT TO portal_app
    WITH CHECK ((SELECT app.current_org_can_manage()));
CREATE POLICY managers_update ON org_members AS RESTRICTIVE FOR UPDATE TO portal_app
    USING ((SELECT app.current_org_can_manage()));
CREATE POLICY managers_delete ON org_members AS RESTRICTIVE FOR DELETE TO portal_app
    USING ((SELECT app.current_org_can_manage()));
CREATE POLICY definer_access ON org_members FOR ALL TO portal_owner USING (true) WITH CHECK (true);

ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workspaces FOR ALL TO portal_app
    USING (org_id = (SELECT app.current_org_id())
           AND ((SELECT app.current_org_can_manage()) OR id = ANY ((SELECT app.current_workspace_ids())::uuid[])))
    WITH CHECK (org_id = (SELECT app.current_org_id()));
CREATE POLICY managers_insert ON workspaces AS RESTRICTIVE FOR INSERT TO portal_app
    WITH CHECK ((SELECT app.current_org_can_manage()));
CREATE POLICY managers_update ON workspaces AS RESTRICTIVE FOR UPDATE TO portal_app
    USING ((SELECT app.current_org_can_manage()));
CREATE POLICY managers_delete ON workspaces AS RESTRICTIVE FOR DELETE TO portal_app
    USING ((SELECT app.current_org_can_manage()));
CREATE POLICY definer_access ON workspaces FOR ALL TO portal_owner USING (true) WITH CHECK (true);

ALTER TABLE workspace_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workspace_members FOR ALL TO portal_app
    USING (org_id = (SELECT app.current_org_id())
           AND ((SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])))
    WITH CHECK (org_id = (SELECT app.current_org_id()));
-- Organization owners and admins manage workspace membership.
CREATE POLICY managers_insert ON workspace_members AS RESTRICTIVE FOR INSERT TO portal_app
    WITH CHECK ((SELECT app.current_org_can_manage()));
CREATE POLICY managers_update ON workspace_members AS RESTRICTIVE FOR UPDATE TO portal_app
    USING ((SELECT app.current_org_can_manage()));
CREATE POLICY managers_delete ON workspace_members AS RESTRICTIVE FOR DELETE TO portal_app
    USING ((SELECT app.current_org_can_manage()));
CREATE POLICY definer_access ON workspace_members FOR ALL TO portal_owner USING (true) WITH CHECK (true);

-- A user's subscription is theirs alone.
ALTER TABLE user_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY own_row ON user_subscriptions FOR SELECT TO portal_app USING (user_id = (SELECT app.current_user_id()));
CREATE POLICY definer_access ON user_subscriptions FOR ALL TO portal_owner USING (true) WITH CHECK (true);
