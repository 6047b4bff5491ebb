-- The first user ever registered becomes platform admin; nobody else can make themselves one by inserting a row.
CREATE FUNCTION users_assign_platform_admin() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Serialize concurrent first registrations so exactly one of them wins.
    PERFORM pg_advisory_xact_lock(hashtext('users_assign_platform_admin'));
    NEW.is_platform_admin := NOT EXISTS (SELECT 1 FROM public.users);
    RETURN NEW;
END;
$$;

CREATE TRIGGER users_assign_platform_admin
    BEFORE INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION users_assign_platform_admin();

-- A request can never grant itself the flag afterwards either.
CREATE FUNCTION users_keep_platform_admin() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_platform_admin IS DISTINCT FROM OLD.is_platform_admin AND current_user = 'portal_app' THEN
        RAISE EXCEPTION 'is_platform_admin cannot be changed by the application' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER users_keep_platform_admin
    BEFORE UPDATE OF is_platform_admin ON users
    FOR EACH ROW EXECUTE FUNCTION users_keep_platform_admin();
