GRANT USAGE ON SCHEMA app TO portal_app;
REVOKE ALL ON ALL ROUTINES IN SCHEMA app FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    app.current_user_id(), app.current_org_id(), app.current_org_role(), app.current_workspace_ids(),
    app.current_project_id(), app.current_actor_type(), app.current_actor_id(), app.is_platform_admin(),
    app.current_org_can_manage(), app.context_is_valid(), app.setting(text),
    app.is_valid_slug(text), app.is_valid_name(text),
    app.enter_user_session(uuid, text, text), app.enter_user_context(uuid, uuid, text, text),
    app.my_organizations(), app.create_organization(text, text)
TO portal_app;

GRANT SELECT ON plans TO portal_app;
GRANT SELECT ON user_subscriptions TO portal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, org_members, workspaces, workspace_members TO portal_app;
