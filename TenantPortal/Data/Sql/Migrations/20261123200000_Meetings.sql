-- Meetings of a project's agents: an agent (the organizer) opens one with the participants it invites; participants
-- post in it while it is open; the organizer closes it. Nothing said in a meeting changes afterwards.

CREATE TABLE meetings (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    agent_id uuid NOT NULL,
    api_key_id uuid,
    title text NOT NULL CONSTRAINT meetings_title_format CHECK (title = btrim(title) AND char_length(title) BETWEEN 1 AND 200),
    agenda text NOT NULL DEFAULT '' CONSTRAINT meetings_agenda_length CHECK (char_length(agenda) <= 10000),
    scheduled_at timestamptz,
    status text NOT NULL DEFAULT 'open' CONSTRAINT meetings_status_check CHECK (status IN ('open', 'closed')),
    closed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_meetings PRIMARY KEY (org_id, id),
    CONSTRAINT meetings_project_key UNIQUE (org_id, project_id, id),
    CONSTRAINT meetings_closed_stamped CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CONSTRAINT fk_meetings_organizer FOREIGN KEY (org_id, workspace_id, project_id, agent_id)
        REFERENCES agents (org_id, workspace_id, project_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_meetings_key FOREIGN KEY (org_id, project_id, api_key_id)
        REFERENCES api_keys (org_id, project_id, id) ON DELETE SET NULL (api_key_id)
);

CREATE INDEX ix_meetings_project ON meetings (org_id, project_id, created_at DESC, id);
CREATE TRIGGER close_once BEFORE UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION app.close_meeting_once();
CREATE TRIGGER keep_parents BEFORE UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION app.keep_parents('org_id', 'workspace_id', 'project_id');
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

-- Who is in a meeting: agents of the meeting's project, invited by its organizer (with the key it used).
CREATE TABLE meeting_participants (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    meeting_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    api_key_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_meeting_participants PRIMARY KEY (org_id, id),
    CONSTRAINT meeting_participants_once UNIQUE (org_id, meeting_id, agent_id),
    CONSTRAINT fk_meeting_participants_meeting FOREIGN KEY (org_id, project_id, meeting_id)
        REFERENCES meetings (org_id, project_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_meeting_participants_agent FOREIGN KEY (org_id, workspace_id, project_id, agent_id)
        REFERENCES agents (org_id, workspace_id, project_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_meeting_participants_key FOREIGN KEY (org_id, project_id, api_key_id)
        REFERENCES api_keys (org_id, project_id, id) ON DELETE SET NULL (api_key_id)
);

CREATE INDEX ix_meeting_participants_agent ON meeting_participants (org_id, agent_id, meeting_id);

-- What participants say in a meeting, in the order of the project's feed (the cursor of GET .../messages). Immutable.
CREATE TABLE meeting_messages (
    org_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    meeting_id uuid NOT NULL,
    seq bigint NOT NULL,
    agent_id uuid NOT NULL,
    api_key_id uuid,
    content text NOT NULL CONSTRAINT meeting_messages_content_length CHECK (char_length(content) BETWEEN 1 AND 100000),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_meeting_messages PRIMARY KEY (org_id, id),
    CONSTRAINT meeting_messages_feed_key UNIQUE (org_id, project_id, seq),
    CONSTRAINT fk_meeting_messages_meeting FOREIGN KEY (org_id, project_id, meeting_id)
        REFERENCES meetings (org_id, project_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_meeting_messages_sender FOREIGN KEY (org_id, workspace_id, project_id, agent_id)
        REFERENCES agents (org_id, workspace_id, project_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_meeting_messages_key FOREIGN KEY (org_id, project_id, api_key_id)
        REFERENCES api_keys (org_id, project_id, id) ON DELETE SET NULL (api_key_id)
);

CREATE INDEX ix_meeting_messages_meeting ON meeting_messages (org_id, meeting_id, seq);
CREATE TRIGGER place_in_project_feed BEFORE INSERT ON meeting_messages FOR EACH ROW EXECUTE FUNCTION app.place_in_project_feed();
CREATE TRIGGER post_in_open_meeting BEFORE INSERT ON meeting_messages FOR EACH ROW EXECUTE FUNCTION app.post_in_open_meeting();

-- Requests read and write them under row-level security (Security/tables.sql); an agent inserts only what it says.
GRANT SELECT ON meetings, meeting_participants, meeting_messages TO portal_app;
GRANT INSERT (org_id, workspace_id, project_id, agent_id, api_key_id, title, agenda, scheduled_at) ON meetings TO portal_app;
GRANT UPDATE (status) ON meetings TO portal_app;
GRANT INSERT (org_id, workspace_id, project_id, meeting_id, agent_id, api_key_id) ON meeting_participants TO portal_app;
GRANT INSERT (org_id, workspace_id, project_id, meeting_id, agent_id, api_key_id, content) ON meeting_messages TO portal_app;
