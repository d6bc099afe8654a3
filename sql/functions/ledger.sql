-- ledger.sql — the list itself: which counties (县区, functional zones)
-- the ledger knows, and the suggestion an import gets when it names one
-- that is almost a known county (洛龙县 for 洛龙区) rather than silently
-- creating a second county from a typo.
--
-- The same rules as progress.sql: one function per write, called as ONE
-- statement, audited, refusals returned as data.

-- Levenshtein distance between two texts, counted in characters (a CJK
-- character is one edit, not three bytes). Pure; only ever run on the few
-- names an import does not know, against the few dozen known counties.
CREATE OR REPLACE FUNCTION keyproj_edit_distance(a text, b text) RETURNS int
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    x text[] := regexp_split_to_array(coalesce(a, ''), '');
    y text[] := regexp_split_to_array(coalesce(b, ''), '');
    n int := char_length(coalesce(a, ''));
    m int := char_length(coalesce(b, ''));
    prev int[];
    cur int[];
BEGIN
    IF n = 0 THEN RETURN m; END IF;
    IF m = 0 THEN RETURN n; END IF;
    prev := array_fill(0, ARRAY[m + 1], ARRAY[0]);   -- indexed from 0, as cur
    FOR j IN 1..m LOOP
        prev[j] := j;
    END LOOP;
    FOR i IN 1..n LOOP
        cur := array_fill(0, ARRAY[m + 1], ARRAY[0]);
        cur[0] := i;
        FOR j IN 1..m LOOP
            cur[j] := least(prev[j] + 1, cur[j - 1] + 1,
                            prev[j - 1] + CASE WHEN x[i] = y[j] THEN 0 ELSE 1 END);
        END LOOP;
        prev := cur;
    END LOOP;
    RETURN prev[m];
END
$fn$;

-- The known county an unknown name is probably a typo of: one edit away
-- (洛龙县 → 洛龙区, 涧西 → 涧西区); NULL when
-- none is that close (a new county, created by the import as before).
CREATE OR REPLACE FUNCTION keyproj_county_suggest(p_name text) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT c.name
  FROM county c
 WHERE abs(char_length(c.name) - char_length(p_name)) <= 1
   AND c.name <> p_name
   AND keyproj_edit_distance(c.name, p_name) <= 1
 -- on a tie, the county with the same name before its suffix: 洛龙县 is
 -- 洛龙区 with the wrong 县/区, more likely than 洛宁县 with a wrong 宁
 ORDER BY keyproj_edit_distance(c.name, p_name),
          left(c.name, -1) = left(p_name, -1) DESC, c.name
 LIMIT 1
$$;

-- The error an import gives for a county it does not know: with a
-- suggestion when the name is one edit from a known county, else when no
-- ranking group follows from the name; NULL when the import may create it.
CREATE OR REPLACE FUNCTION keyproj_county_err(p_name text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN s.near IS NOT NULL THEN
        keyproj_err('county', format('unknown county ''%s'' (did you mean %s?): correct the sheet, or declare it '
                                     'first with `county add %s --group %s`', p_name, s.near, p_name,
                                     CASE coalesce(keyproj_county_group(p_name), 'county')
                                         WHEN 'district' THEN '城区组' WHEN 'zone' THEN '功能区组' ELSE '县组' END))
    WHEN keyproj_county_group(p_name) IS NULL THEN
        keyproj_err('county', format('unknown county ''%s'': not a 县/市/区 or zone name, declare it first with '
                                     '`county add %s --group 城区组|县组|功能区组`', p_name, p_name))
END
  FROM (SELECT keyproj_county_suggest(p_name) AS near) s
$$;

-- county add NAME --group district|county|zone: declares a county (or
-- zone) before an import names it.
CREATE OR REPLACE FUNCTION keyproj_county_add(p_name text, p_grp text, p_today date, p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_name text := btrim(p_name);
    v_subject text := 'county:' || btrim(p_name);
    v_new jsonb := jsonb_build_object('name', btrim(p_name), 'grp', p_grp);
    v_old county;
BEGIN
    IF v_name = '' OR p_grp NOT IN ('district', 'county', 'zone') THEN
        RETURN keyproj_write_refused(p_actor, 'county.add', v_subject, NULL, v_new, 'invalid',
                                     'a county needs a name and a group (城区组, 县组 or 功能区组)', p_req);
    END IF;
    SELECT * INTO v_old FROM county WHERE name = v_name;
    IF FOUND THEN
        RETURN keyproj_write_refused(p_actor, 'county.add', v_subject,
                   jsonb_build_object('name', v_old.name, 'grp', v_old.grp), v_new, 'invalid',
                   format('county %s is already known (group %s)', v_name, v_old.grp), p_req);
    END IF;
    INSERT INTO county (name, grp) VALUES (v_name, p_grp);
    RETURN keyproj_write_ok(p_actor, 'county.add', v_subject, NULL, v_new, NULL, p_req,
                            json_build_object('name', v_name, 'group', p_grp));
END
$fn$;
