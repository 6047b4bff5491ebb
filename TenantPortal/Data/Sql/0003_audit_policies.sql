ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
-- Organization owners and admins read their organization's events; platform admins read everything;
-- everyone reads their own platform events (their sign-ins).
CREATE POLICY tenant_isolation ON audit_events FOR SELECT TO portal_app USING (
    (org_id = (SELECT app.current_org_id()) AND (SELECT app.current_org_can_manage()))
    OR (SELECT app.is_platform_admin())
    OR (org_id IS NULL AND actor_id = (SELECT app.current_user_id())));
CREATE POLICY definer_access ON audit_events FOR ALL TO portal_owner USING (true) WITH CHECK (true);

ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY definer_access ON audit_chain_heads FOR ALL TO portal_owner USING (true) WITH CHECK (true);

CALL app.audit_table('organizations', 'org');
CALL app.audit_table('org_members', 'member', ARRAY['member_add', 'member_role_change', 'member_remove']);
CALL app.audit_table('workspaces', 'workspace');
CALL app.audit_table('workspace_members', 'workspace_member', ARRAY['permission_grant', 'permission_change', 'permission_revoke']);

-- Requests read the log (as the policy allows) and record events through the functions; they never write rows.
GRANT SELECT ON audit_events TO portal_app;
REVOKE ALL ON ALL ROUTINES IN SCHEMA app FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.record_event(text, text, text, jsonb, text, text), app.verify_audit_chain(uuid), app.utc_day(timestamptz), app.platform_organizations() TO portal_app;
