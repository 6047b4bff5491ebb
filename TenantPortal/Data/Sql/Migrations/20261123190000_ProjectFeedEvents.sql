-- A project's feed carries decisions too: each change of a decision's status takes the next position of the feed
-- (decisions.seq), so one cursor orders messages and decision changes alike (the agent API's event stream).
ALTER TABLE decisions ADD COLUMN seq bigint;
CREATE INDEX ix_decisions_feed ON decisions (org_id, project_id, seq);
CREATE TRIGGER place_in_project_feed BEFORE INSERT OR UPDATE OF status ON decisions FOR EACH ROW EXECUTE FUNCTION app.place_in_project_feed();
CREATE TRIGGER signal_feed_change AFTER INSERT ON agent_messages FOR EACH ROW EXECUTE FUNCTION app.signal_feed_change();
CREATE TRIGGER signal_feed_change AFTER INSERT OR UPDATE OF status ON decisions FOR EACH ROW EXECUTE FUNCTION app.signal_feed_change();
