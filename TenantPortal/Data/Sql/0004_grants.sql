-- Audit actions named for what they are: revoking, accepting, resending and rolling, and status changes (archive and
-- restore among them) of tables with a status column. Projects file their events under themselves. Bookkeeping
-- updates that only move last_used_at or last_activity_at are not events.
CREATE OR REPLACE FUNCTION app.audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    v_entity text := TG_ARGV[0];
    v_old jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN app.audit_redact(to_jsonb(OLD)) END;
    v_new jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN app.audit_redact(to_jsonb(NEW)) END;
    v_row jsonb := coalesce(v_new, v_old);
    v_action text;
    v_details jsonb;
    v_changed jsonb;
BEGIN
    v_action := CASE TG_OP
        WHEN 'INSERT' THEN coalesce(TG_ARGV[1], v_entity || '_create')
        WHEN 'UPDATE' THEN coalesce(TG_ARGV[2], v_entity || '_update')
        ELSE coalesce(TG_ARGV[3], v_entity || '_delete') END;

    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(jsonb_object_agg(n.key, n.value), '{}'::jsonb) INTO v_changed
        FROM jsonb_each(v_new) n WHERE n.value IS DISTINCT FROM v_old -> n.key;
        IF v_changed <> '{}' AND v_changed - 'last_used_at' - 'last_activity_at' = '{}' THEN
            RETURN NULL;
        END IF;
        IF v_changed ? 'archived_at' THEN
            v_action := v_entity || CASE WHEN v_new ->> 'archived_at' IS NULL THEN '_restore' ELSE '_archive' END;
        ELSIF v_changed ? 'revoked_at' AND v_new ->> 'revoked_at' IS NOT NULL THEN
            v_action := v_entity || '_revoke';
        ELSIF v_changed ? 'accepted_at' THEN
            v_action := v_entity || '_accept';
        ELSIF v_changed ? 'last_sent_at' THEN
            v_action := v_entity || '_resend';
        ELSIF v_changed ? 'replaced_by' THEN
            v_action := v_entity || '_roll';
        ELSIF v_changed ? 'status' AND TG_ARGV[2] IS NULL THEN
            v_action := v_entity || CASE WHEN v_new ->> 'status' = 'archived' THEN '_archive'
                                         WHEN v_old ->> 'status' = 'archived' THEN '_restore'
                                         ELSE '_status_change' END;
        END IF;
        v_details := jsonb_build_object('old', v_old, 'new', v_new, 'changed', (SELECT coalesce(jsonb_agg(k), '[]') FROM jsonb_object_keys(v_changed) k));
    ELSE
        v_details := jsonb_build_object('old', v_old, 'new', v_new);
    END IF;

    PERFORM app.append_audit_event(
        CASE WHEN TG_TABLE_NAME = 'organizations' THEN (v_row ->> 'id')::uuid ELSE (v_row ->> 'org_id')::uuid END,
        CASE WHEN TG_TABLE_NAME = 'workspaces' THEN (v_row ->> 'id')::uuid ELSE (v_row ->> 'workspace_id')::uuid END,
        CASE WHEN TG_TABLE_NAME = 'projects' THEN (v_row ->> 'id')::uuid ELSE (v_row ->> 'project_id')::uuid END,
        v_action, TG_TABLE_NAME,
        coalesce(v_row ->> 'id', concat_ws('/', v_row ->> 'workspace_id', v_row ->> 'user_id')),
        v_details);
    RETURN NULL;
END;
$$;

REVOKE ALL ON ALL ROUTINES IN SCHEMA app FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    app.is_valid_project_slug(text), app.are_valid_tags(text[]), app.org_usage(),
    app.admin_users(text, integer), app.admin_organizations(text, integer),
    app.admin_set_user_plan(uuid, text), app.admin_set_org_plan(uuid, text),
    app.leave_organization(), app.invitation_preview(bytea), app.accept_invitation(bytea)
TO portal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON projects, org_invitations TO portal_app;
