-- Formats the tables' CHECK constraints use; the C# forms repeat them so forms can explain a problem before saving.

-- Organization and workspace slugs: lowercase letters, digits and hyphens, starting with a letter, 3-50 characters.
CREATE OR REPLACE FUNCTION app.is_valid_slug(slug text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT slug ~ '^[a-z][a-z0-9-]*[a-z0-9]$'
       AND length(slug) BETWEEN 3 AND 50
       AND slug NOT IN ('default', 'system', 'admin', 'root', 'api', 'new');
$$;

-- Names: 1-100 characters once trimmed, stored trimmed.
CREATE OR REPLACE FUNCTION app.is_valid_name(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT name = btrim(name) AND char_length(name) BETWEEN 1 AND 100;
$$;

-- Project slugs: lowercase letters, digits and underscores, starting with a letter and ending with a letter or digit.
CREATE OR REPLACE FUNCTION app.is_valid_project_slug(slug text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT slug ~ '^[a-z][a-z0-9_]*[a-z0-9]$'
       AND length(slug) BETWEEN 3 AND 50
       AND slug NOT IN ('default', 'system', 'admin', 'root');
$$;

-- Tags: at most 20, each 1-40 lowercase letters, digits, hyphens or underscores, no duplicates.
CREATE OR REPLACE FUNCTION app.are_valid_tags(tags text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(cardinality(tags) <= 20
       AND (SELECT coalesce(bool_and(t ~ '^[a-z0-9][a-z0-9_-]{0,39}$'), true) FROM unnest(tags) t)
       AND cardinality(tags) = (SELECT count(DISTINCT t) FROM unnest(tags) t), false);
$$;

-- Agent names: 1-63 lowercase letters, digits, hyphens or underscores, starting with a letter.
CREATE OR REPLACE FUNCTION app.is_valid_agent_name(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT name ~ '^[a-z][a-z0-9_-]{0,62}$' $$;

-- Agent configuration: a JSON object whose known fields have the right types and ranges; other fields are kept as given.
CREATE OR REPLACE FUNCTION app.is_valid_agent_config(c jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF c IS NULL OR jsonb_typeof(c) <> 'object' THEN
        RETURN false;
    END IF;
    IF c ? 'model' AND (jsonb_typeof(c -> 'model') <> 'string' OR char_length(c ->> 'model') NOT BETWEEN 1 AND 100) THEN
        RETURN false;
    END IF;
    IF c ? 'temperature' AND (jsonb_typeof(c -> 'temperature') <> 'number' OR (c ->> 'temperature')::numeric NOT BETWEEN 0 AND 2) THEN
        RETURN false;
    END IF;
    IF c ? 'max_tokens' AND (jsonb_typeof(c -> 'max_tokens') <> 'number' OR (c ->> 'max_tokens')::numeric NOT BETWEEN 1 AND 200000
                             OR (c ->> 'max_tokens')::numeric <> trunc((c ->> 'max_tokens')::numeric)) THEN
        RETURN false;
    END IF;
    IF c ? 'system_prompt' AND (jsonb_typeof(c -> 'system_prompt') <> 'string' OR char_length(c ->> 'system_prompt') > 20000) THEN
        RETURN false;
    END IF;
    IF c ? 'instructions' AND (jsonb_typeof(c -> 'instructions') <> 'string' OR char_length(c ->> 'instructions') > 20000) THEN
        RETURN false;
    END IF;
    RETURN true;
END;
$$;

GRANT EXECUTE ON FUNCTION
    app.is_valid_slug(text), app.is_valid_name(text), app.is_valid_project_slug(text), app.are_valid_tags(text[]),
    app.is_valid_agent_name(text), app.is_valid_agent_config(jsonb)
TO portal_app;
