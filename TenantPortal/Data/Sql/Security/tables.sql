-- Who sees and changes what, table by table: row-level security for requests (portal_app), audit triggers, and the
-- unrestricted access of portal_owner, which runs the SECURITY DEFINER functions. Each table's block starts from
-- nothing (app.reset_table_security), so this file is the whole truth and is re-applied whenever it or a routine
-- changes. A new tenant table is one line here; a new table of a project's things is app.secure_project_table.

-- The organization itself: members see it; only the owner changes or deletes it.
CALL app.reset_table_security('organizations');
CREATE POLICY tenant_isolation ON organizations FOR ALL TO portal_app
    USING (id = (SELECT app.current_org_id()))
    WITH CHECK (id = (SELECT app.current_org_id()));
CREATE POLICY owner_changes ON organizations AS RESTRICTIVE FOR UPDATE TO portal_app
    USING ((SELECT app.current_org_role()) = 'owner');
CREATE POLICY owner_deletes ON organizations AS RESTRICTIVE FOR DELETE TO portal_app
    USING ((SELECT app.current_org_role()) = 'owner');
CALL app.audit_table('organizations', 'org');

-- Members: owners and admins manage them; only owners touch owners (or make one).
CALL app.secure_tenant_table('org_members');
CREATE POLICY owners_manage_owners_insert ON org_members AS RESTRICTIVE FOR INSERT TO portal_app
    WITH CHECK (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CREATE POLICY owners_manage_owners_update ON org_members AS RESTRICTIVE FOR UPDATE TO portal_app
    USING (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner')
    WITH CHECK (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CREATE POLICY owners_manage_owners_delete ON org_members AS RESTRICTIVE FOR DELETE TO portal_app
    USING (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CALL app.hide_from_agents('org_members');
CALL app.audit_table('org_members', 'member', ARRAY['member_add', 'member_role_change', 'member_remove']);

-- Workspaces are visible to owners and admins and to their members.
CALL app.secure_tenant_table('workspaces',
    '(SELECT app.current_org_can_manage()) OR id = ANY ((SELECT app.current_workspace_ids())::uuid[])');
CALL app.audit_table('workspaces', 'workspace');

CALL app.secure_tenant_table('workspace_members',
    '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_workspace_ids())::uuid[])');
CALL app.hide_from_agents('workspace_members');
CALL app.audit_table('workspace_members', 'workspace_member', ARRAY['permission_grant', 'permission_change', 'permission_revoke']);

-- Invitations: owners and admins see and manage them; only an owner invites an owner.
CALL app.secure_tenant_table('org_invitations', '(SELECT app.current_org_can_manage())');
CREATE POLICY owners_invite_owners ON org_invitations AS RESTRICTIVE FOR INSERT TO portal_app
    WITH CHECK (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CREATE POLICY owners_change_owner_invitations ON org_invitations AS RESTRICTIVE FOR UPDATE TO portal_app
    USING (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner')
    WITH CHECK (role <> 'owner' OR (SELECT app.current_org_role()) = 'owner');
CALL app.hide_from_agents('org_invitations');
CALL app.audit_table('org_invitations', 'invitation');

-- A project's things: the workspace's admins manage them (the organization's owners and admins administer every
-- workspace); its members also edit agents; viewers read.
CALL app.secure_project_table('projects', 'project', 'id');
CALL app.secure_project_table('agents', 'agent', p_members_update => true);
CALL app.secure_project_table('api_keys', 'api_key');
-- An agent's key is shown to it by app.enter_agent_context (its prefix, last characters and expiry); other keys are
-- none of its business.
CALL app.hide_from_agents('api_keys');

-- What agents write in their project (Routines/90_agent_side.sql): people see it where they see the project, agents
-- with the capability it needs; only agents insert, as themselves and with their key. The people who manage the
-- project's agents decide on proposals.
CALL app.secure_agent_table('agent_messages', 'message', 'communicate', ARRAY['message_send']);
CALL app.secure_agent_table('decisions', 'decision', 'manage_decisions', ARRAY['decision_propose'],
    '(SELECT app.current_org_can_manage()) OR workspace_id = ANY ((SELECT app.current_admin_workspace_ids())::uuid[])');
-- Meetings: an agent organizes one and alone closes it; it invites agents of its project while the meeting is open;
-- only participants post, and only while it is open (app.post_in_open_meeting).
CALL app.secure_agent_table('meetings', 'meeting', 'create_meetings', ARRAY['meeting_create', 'meeting_close'],
    '(SELECT app.current_actor_type()) = ''agent'' AND agent_id = (SELECT app.current_actor_id())');
CALL app.secure_agent_table('meeting_participants', 'meeting_participant', 'create_meetings', ARRAY['meeting_invite'],
    p_inserters => 'EXISTS (SELECT 1 FROM meetings m WHERE m.org_id = meeting_participants.org_id AND m.id = meeting_participants.meeting_id
                            AND m.agent_id = (SELECT app.current_actor_id()) AND m.status = ''open'')');
CALL app.secure_agent_table('meeting_messages', 'meeting_message', 'create_meetings', ARRAY['meeting_post'],
    p_inserters => 'agent_id = (SELECT app.current_actor_id())
                    AND EXISTS (SELECT 1 FROM meeting_participants p WHERE p.org_id = meeting_messages.org_id
                                AND p.meeting_id = meeting_messages.meeting_id AND p.agent_id = (SELECT app.current_actor_id()))');

-- A user's subscription is theirs alone.
CALL app.reset_table_security('user_subscriptions');
CREATE POLICY own_row ON user_subscriptions FOR SELECT TO portal_app USING (user_id = (SELECT app.current_user_id()));

-- The audit log, one chain at a time (app.audit_chain): organization owners and admins read their organization's
-- events; platform admins the chain they choose (app.view_audit_chain); everyone their own sign-ins through the
-- view own_platform_events. Nobody writes rows but app.append_audit_event.
CALL app.reset_table_security('audit_events');
CREATE POLICY tenant_isolation ON audit_events FOR SELECT TO portal_app USING (chain_key = (SELECT app.audit_chain()));
CALL app.reset_table_security('audit_chain_heads');
-- The log's daily counts: the same chain as the log.
CALL app.reset_table_security('audit_daily_counts');
CREATE POLICY tenant_isolation ON audit_daily_counts FOR SELECT TO portal_app USING (chain_key = (SELECT app.audit_chain()));
