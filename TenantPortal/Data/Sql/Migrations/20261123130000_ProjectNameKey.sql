-- The project list's sort key as a column. Ordering by lower(name) worked for pages counted by OFFSET, but a page
-- that continues after a cursor compares the key under row-level security, and lower() is not leakproof: the planner
-- then applies the cursor's condition after the policy, row by row, instead of starting the index scan at it. Text
-- comparison is leakproof, so a comparison on a stored key bounds the scan. Filled once as a generated column, then
-- kept by a trigger (app.project_name_key), so copies of rows and the updated_at stamp treat it as any column.
ALTER TABLE projects ADD COLUMN name_key text NOT NULL GENERATED ALWAYS AS (lower(name)) STORED;
ALTER TABLE projects ALTER COLUMN name_key DROP EXPRESSION;
CREATE TRIGGER projects_name_key BEFORE INSERT OR UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION app.project_name_key();
DROP INDEX ix_projects_workspace_name;
DROP INDEX ix_projects_org_name;
CREATE INDEX ix_projects_workspace_name ON projects (org_id, workspace_id, name_key, id);
CREATE INDEX ix_projects_org_name ON projects (org_id, name_key, id);
