-- silence.sql — silences: matching an alert, and the silence commands
-- (daemon/cmd_silence.c). A silence holds deliveries back (status
-- 'silenced'), never drops them; keyprojd marks a silence deleted and
-- never removes it, so the trail from a held delivery never breaks.

-- Does silence matcher m fit an alert with these attributes? Every key
-- present must list the alert's value (a NULL value fits no list); keys
-- absent match anything. {"county": ["涧西区"], "kind": ["milestone.overdue"]}
CREATE OR REPLACE FUNCTION keyproj_silence_matches(m jsonb, p_project text, p_county text, p_sector text,
                                        p_level text, p_kind text, p_light text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT m <> '{}'::jsonb AND coalesce(
       (NOT m ? 'project' OR m->'project' ? p_project)
   AND (NOT m ? 'county' OR m->'county' ? p_county)
   AND (NOT m ? 'sector' OR m->'sector' ? p_sector)
   AND (NOT m ? 'level' OR m->'level' ? p_level)
   AND (NOT m ? 'kind' OR m->'kind' ? p_kind)
   AND (NOT m ? 'light' OR m->'light' ? p_light), false)
$$;

-- The active silence (lowest id) that covers an alert at p_now, or NULL.
-- The project's current county, sector and level decide; the alert's
-- payload stands in for a project that has since been deleted.
CREATE OR REPLACE FUNCTION keyproj_silence_for(p_alert bigint, p_now timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
SELECT s.id
  FROM alert a
  LEFT JOIN project p ON p.id = a.project_id
  LEFT JOIN county co ON co.id = p.county_id
  JOIN silence s ON s.deleted_at IS NULL AND s.starts_at <= p_now AND s.ends_at > p_now
 WHERE a.id = p_alert
   AND keyproj_silence_matches(s.matchers,
           coalesce(p.code, a.payload #>> '{project,code}'),
           coalesce(co.name, a.payload #>> '{project,county}'),
           coalesce(p.sector, a.payload #>> '{project,sector}'),
           coalesce(p.level, a.payload #>> '{project,level}'),
           a.kind, a.light)
 ORDER BY s.id
 LIMIT 1
$$;

-- "county=涧西区 kind=milestone.overdue": the matchers as one readable cell.
CREATE OR REPLACE FUNCTION keyproj_silence_describe(m jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT string_agg(k || '=' || (SELECT string_agg(v, ',') FROM jsonb_array_elements_text(m->k) AS v), ' '
                  ORDER BY array_position(ARRAY['project', 'county', 'sector', 'level', 'kind', 'light'], k))
  FROM jsonb_object_keys(m) AS k
$$;

CREATE OR REPLACE FUNCTION keyproj_silence_state(s silence, p_now timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT CASE WHEN s.deleted_at IS NOT NULL THEN 'deleted'
            WHEN s.ends_at <= p_now THEN 'expired'
            WHEN s.starts_at > p_now THEN 'pending'
            ELSE 'active' END
$$;

-- What silence commands answer and list.
CREATE OR REPLACE FUNCTION keyproj_silence_json(p_id bigint, p_now timestamptz, p_tz text) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
           'id', s.id, 'state', keyproj_silence_state(s, p_now),
           'matchers', keyproj_silence_describe(s.matchers),
           'starts', keyproj_local(s.starts_at, p_tz), 'until', keyproj_local(s.ends_at, p_tz),
           'comment', s.comment, 'by', s.created_by,
           'silenced', (SELECT count(*) FROM delivery d WHERE d.silence_id = s.id),
           'deleted', keyproj_local(s.deleted_at, p_tz), 'deleted_by', s.deleted_by)
  FROM silence s
 WHERE s.id = p_id
$$;

-- silence add: the daemon has checked the shape (known sector, level, kind,
-- light; until in the future and within bounds); this checks what only the
-- database knows (the project and county exist) and writes.
CREATE OR REPLACE FUNCTION keyproj_silence_add(p_matchers jsonb, p_until timestamptz, p_comment text,
                                    p_now timestamptz, p_tz text, p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_new jsonb := jsonb_build_object('matchers', p_matchers, 'starts_at', p_now, 'ends_at', p_until,
                                      'comment', p_comment);
    v_bad text;
    v_id bigint;
BEGIN
    IF p_matchers IS NULL OR p_matchers = '{}'::jsonb THEN
        RETURN keyproj_write_refused(p_actor, 'silence.add', 'silence:new', NULL, v_new, 'invalid',
                   'a silence needs at least one matcher', p_req);
    END IF;
    SELECT x INTO v_bad
      FROM jsonb_array_elements_text(coalesce(p_matchers->'project', '[]'::jsonb)) AS x
     WHERE NOT EXISTS (SELECT 1 FROM project WHERE code = x)
     LIMIT 1;
    IF FOUND THEN
        RETURN keyproj_not_found(p_actor, 'silence.add', 'silence:new', v_new,
                                 format('no project %s (see: projects)', v_bad), p_req);
    END IF;
    SELECT x INTO v_bad
      FROM jsonb_array_elements_text(coalesce(p_matchers->'county', '[]'::jsonb)) AS x
     WHERE NOT EXISTS (SELECT 1 FROM county WHERE name = x)
     LIMIT 1;
    IF FOUND THEN
        RETURN keyproj_not_found(p_actor, 'silence.add', 'silence:new', v_new,
                                 format('no county ''%s'' (expected one of %s)', v_bad,
                                        coalesce((SELECT string_agg(name, ', ' ORDER BY name) FROM county),
                                                 'none yet: import projects first')), p_req);
    END IF;
    IF p_until <= p_now THEN
        RETURN keyproj_write_refused(p_actor, 'silence.add', 'silence:new', NULL, v_new, 'invalid',
                   format('--until %s is not in the future', keyproj_local(p_until, p_tz)), p_req);
    END IF;
    INSERT INTO silence (matchers, starts_at, ends_at, comment, created_by)
    VALUES (p_matchers, p_now, p_until, p_comment, p_actor)
    RETURNING id INTO v_id;
    RETURN keyproj_write_ok(p_actor, 'silence.add', 'silence:' || v_id, NULL, v_new, NULL, p_req,
                            keyproj_silence_json(v_id, p_now, p_tz));
END
$fn$;

-- silence del: ends a silence for good; the row stays (marked deleted) for
-- the deliveries it silenced and for `silence list --all`.
CREATE OR REPLACE FUNCTION keyproj_silence_del(p_id bigint, p_now timestamptz, p_tz text, p_actor text,
                                    p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'silence:' || p_id;
    s silence;
    v_old jsonb;
    v_new jsonb;
BEGIN
    SELECT * INTO s FROM silence WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'silence.del', v_subject, NULL,
                                 format('no silence %s (see: silence list --all)', p_id), p_req);
    END IF;
    v_old := jsonb_build_object('matchers', s.matchers, 'ends_at', s.ends_at, 'comment', s.comment,
                                'deleted_at', s.deleted_at, 'deleted_by', s.deleted_by);
    v_new := v_old || jsonb_build_object('deleted_at', p_now, 'deleted_by', p_actor);
    IF s.deleted_at IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, 'silence.del', v_subject, v_old, v_new, 'invalid',
                   format('silence %s was already deleted by %s at %s', p_id, s.deleted_by,
                          keyproj_local(s.deleted_at, p_tz)), p_req);
    END IF;
    IF s.ends_at <= p_now THEN
        RETURN keyproj_write_refused(p_actor, 'silence.del', v_subject, v_old, v_new, 'invalid',
                   format('silence %s already ended at %s: nothing to delete', p_id,
                          keyproj_local(s.ends_at, p_tz)), p_req);
    END IF;
    UPDATE silence SET deleted_at = p_now, deleted_by = p_actor WHERE id = p_id;
    RETURN keyproj_write_ok(p_actor, 'silence.del', v_subject, v_old, v_new, NULL, p_req,
                            keyproj_silence_json(p_id, p_now, p_tz));
END
$fn$;

