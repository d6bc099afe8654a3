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

-- The known name an unknown one is probably a typo of: one edit away
-- (洛龙县 → 洛龙区, 市住健局 → 市住建局); NULL when none is that close. On
-- a tie, the name that is the same before its last character: 洛龙县 is
-- 洛龙区 with the wrong 县/区, more likely than 洛宁县 with a wrong 宁.
CREATE OR REPLACE FUNCTION keyproj_near_name(p_name text, p_known text[]) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT k
  FROM unnest(p_known) AS k
 WHERE abs(char_length(k) - char_length(p_name)) <= 1
   AND k <> p_name
   AND keyproj_edit_distance(k, p_name) <= 1
 ORDER BY keyproj_edit_distance(k, p_name), left(k, -1) = left(p_name, -1) DESC, k
 LIMIT 1
$$;

-- The known county an unknown name is probably a typo of (NULL: a new
-- county, created by the import as before).
CREATE OR REPLACE FUNCTION keyproj_county_suggest(p_name text) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT keyproj_near_name(p_name, ARRAY(SELECT name FROM county))
$$;

-- The known unit (责任单位, 牵头部门) an unknown name is probably a typo of;
-- NULL when p_name is known or none is that close (a new unit, created
-- where it is named, as before). A unit's first two characters name its
-- place or body (伊川县政府 and 栾川县政府, 市体育局 and 市教育局 are
-- different units one character apart), so only a name that begins as a
-- known unit does and differs by one character after that is taken for a
-- typo of it (市住健局 for 市住建局, 涧西区政付 for 涧西区政府).
CREATE OR REPLACE FUNCTION keyproj_unit_suggest(p_name text) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM unit WHERE name = btrim(p_name)) THEN
    keyproj_near_name(btrim(p_name), ARRAY(SELECT name FROM unit
                                             WHERE left(name, 2) = left(btrim(p_name), 2)
                                               AND abs(char_length(name) - char_length(btrim(p_name))) <= 1))
END
$$;

-- What is said about a unit the ledger does not know but is one character
-- from one it knows: in column p_col of an import, or by a command.
CREATE OR REPLACE FUNCTION keyproj_unit_refusal(p_name text, p_near text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT format('unknown unit ''%s'' (did you mean %s?): correct it, or declare it first with `unit add %s`',
              btrim(p_name), p_near, btrim(p_name))
$$;

-- What an import, `problem add --unit` or `approval add --dept` is told of
-- a unit the ledger does not know when import.new_units is "refuse" and
-- the ledger knows p_known units.
CREATE OR REPLACE FUNCTION keyproj_unit_unknown(p_name text, p_known bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT format('unknown unit ''%s'': the ledger knows %s units and creates no other '
              '(import.new_units = "refuse"); declare it first with `unit add %s`',
              btrim(p_name), p_known, btrim(p_name))
$$;

-- A command's check of the unit it names (problem add --unit, approval
-- add --dept): the refusal when the name is probably a typo of a known
-- unit, or, when p_new_units (import.new_units) is "refuse", the import's
-- refusal of a unit the ledger does not know, once it knows any; else NULL
-- (known, or new and created where it is named).
DROP FUNCTION IF EXISTS keyproj_unit_typo(text);
CREATE OR REPLACE FUNCTION keyproj_unit_check(p_name text, p_new_units text) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT CASE WHEN s.near IS NOT NULL THEN keyproj_unit_refusal(p_name, s.near)
            WHEN p_new_units = 'refuse' AND s.known > 0 THEN keyproj_unit_unknown(p_name, s.known) END
  FROM (SELECT keyproj_unit_suggest(p_name) AS near, (SELECT count(*) FROM unit) AS known) s
 WHERE nullif(btrim(p_name), '') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unit WHERE name = btrim(p_name))
$$;

-- The ranking group a county's name implies, as `county add --group`
-- takes it (城区组, 县组, 功能区组); p_else when none follows from it.
CREATE OR REPLACE FUNCTION keyproj_county_group_zh(p_name text, p_else text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE keyproj_county_group(p_name)
    WHEN 'district' THEN '城区组' WHEN 'county' THEN '县组' WHEN 'zone' THEN '功能区组' ELSE p_else END
$$;

-- The error an import gives for a county it does not know; NULL when the
-- import may create it. The counties are a known list: once the ledger
-- knows any, a county it does not know is refused (with a suggestion when
-- the name is one edit from a known county) until `county add` declares
-- it. Only the first import, into a ledger that knows none, creates the
-- counties it names, those a ranking group follows from.
CREATE OR REPLACE FUNCTION keyproj_county_err(p_name text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN s.near IS NOT NULL THEN
        keyproj_err('county', format('unknown county ''%s'' (did you mean %s?): correct the sheet, or declare it '
                                     'first with `county add %s --group %s`', p_name, s.near, p_name,
                                     keyproj_county_group_zh(p_name, '县组')))
    WHEN s.known > 0 THEN
        keyproj_err('county', format('unknown county ''%s'': the ledger knows %s counties; declare it first with '
                                     '`county add %s --group %s`', p_name, s.known, p_name,
                                     keyproj_county_group_zh(p_name, '城区组|县组|功能区组')))
    WHEN keyproj_county_group(p_name) IS NULL THEN
        keyproj_err('county', format('unknown county ''%s'': not a 县/市/区 or zone name, declare it first with '
                                     '`county add %s --group 城区组|县组|功能区组`', p_name, p_name))
END
  FROM (SELECT keyproj_county_suggest(p_name) AS near, (SELECT count(*) FROM county) AS known) s
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

-- unit add NAME: declares a unit (责任单位, 牵头部门) that is one character
-- from a known one, before an import or a command names it.
CREATE OR REPLACE FUNCTION keyproj_unit_add(p_name text, p_today date, p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_name text := btrim(p_name);
    v_subject text := 'unit:' || btrim(p_name);
    v_new jsonb := jsonb_build_object('name', btrim(p_name));
BEGIN
    IF v_name = '' THEN
        RETURN keyproj_write_refused(p_actor, 'unit.add', v_subject, NULL, v_new, 'invalid', 'a unit needs a name', p_req);
    END IF;
    IF EXISTS (SELECT 1 FROM unit WHERE name = v_name) THEN
        RETURN keyproj_write_refused(p_actor, 'unit.add', v_subject, v_new, v_new, 'invalid',
                                     format('unit %s is already known', v_name), p_req);
    END IF;
    INSERT INTO unit (name) VALUES (v_name);
    RETURN keyproj_write_ok(p_actor, 'unit.add', v_subject, NULL, v_new, NULL, p_req,
                            json_build_object('name', v_name));
END
$fn$;
