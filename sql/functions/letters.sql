-- letters.sql — the numbers (文号) of the office's letters and the hand
-- issuing of a letter (`order issue`). The number pattern comes from
-- keyprojd.conf (letters.KIND.number), checked by config_letters.c: it
-- holds {year} and {n} and no other brace, so the two replacements below
-- are all it takes, and the digits they put in cannot form a placeholder.
-- The rest of the letters' functions (keyproj_order_json, _reply, _state)
-- are admin.sql's.

-- The pattern with its placeholders filled.
CREATE OR REPLACE FUNCTION keyproj_letter_format(p_pattern text, p_year integer, p_n integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT replace(replace(p_pattern, '{year}', p_year::text), '{n}', p_n::text)
$$;

-- The first of p_count consecutive numbers of a kind's letters in the year
-- of p_on, taken in the caller's transaction: the counter row stays locked
-- until it ends, so a concurrent issuer waits and goes on after them, and
-- a rollback gives them back. NULL for none. One call per statement that
-- numbers letters (the engine numbers a batch's 督办函 with one).
CREATE OR REPLACE FUNCTION keyproj_letter_reserve(p_kind text, p_on date, p_count integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_last integer;
BEGIN
    IF coalesce(p_count, 0) <= 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO letter_counter AS c (kind, year, last) VALUES (p_kind, extract(year FROM p_on)::integer, p_count)
        ON CONFLICT (kind, year) DO UPDATE SET last = c.last + p_count
        RETURNING c.last INTO v_last;
    RETURN v_last - p_count + 1;
END
$fn$;

-- The next number of one letter: its year, its place and its text.
CREATE OR REPLACE FUNCTION keyproj_letter_number(p_kind text, p_on date, p_pattern text,
                                                 OUT doc_year integer, OUT doc_seq integer, OUT doc_no text)
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    doc_year := extract(year FROM p_on)::integer;
    doc_seq := keyproj_letter_reserve(p_kind, p_on, 1);
    doc_no := keyproj_letter_format(p_pattern, doc_year, doc_seq);
END
$fn$;

-- order issue KIND CODE [--to UNIT] [--reason TEXT] [--reply-due D |
-- --reply-days N] [--date D]: a letter written by hand, numbered now.
-- p_unit NULL: the project's own unit (责任单位); a unit named must be
-- known (a typo would address a letter to no one). p_due NULL: p_days
-- after the issue date.
CREATE OR REPLACE FUNCTION keyproj_order_issue(p_kind text, p_code text, p_unit text, p_reason text, p_due date,
                                               p_days integer, p_on date, p_pattern text, p_today date,
                                               p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_action text := 'order.issue';
    v_subject text := 'project:' || p_code;
    v_new jsonb := jsonb_build_object('kind', p_kind, 'project', p_code, 'to_unit', p_unit,
                                      'reason', btrim(p_reason), 'issued_on', p_on, 'reply_due', p_due);
    p project;
    v_unit bigint;
    v_due date := coalesce(p_due, p_on + p_days);
    n record;
    v_id bigint;
BEGIN
    IF p_kind NOT IN ('reminder', 'supervision', 'assignment') THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid',
                   format('unknown kind of letter %L (expected reminder, supervision or assignment)', p_kind), p_req);
    END IF;
    SELECT * INTO p FROM project WHERE code = p_code;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, v_action, v_subject, v_new,
                   format('no project with code %s (keyprojctl projects lists them)', p_code), p_req);
    END IF;
    IF NOT keyproj_on_list(p.archived_on, p_on) THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid',
                   format('project %s (%s) was taken off the list (调出) on %s: readmit it before writing to it',
                          p_code, p.name, keyproj_ymd(p.archived_on)), p_req);
    END IF;
    IF p_unit IS NOT NULL THEN
        SELECT id INTO v_unit FROM unit WHERE name = btrim(p_unit);
        IF v_unit IS NULL THEN
            RETURN keyproj_not_found(p_actor, v_action, v_subject, v_new,
                       format('no unit named %s: a letter goes to a unit the ledger knows (a project''s or a '
                              'milestone''s 责任单位)', btrim(p_unit)), p_req);
        END IF;
    ELSE
        v_unit := p.unit_id;
        IF v_unit IS NULL THEN
            RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid',
                       format('project %s (%s) has no responsible unit (责任单位): name the addressee with --to',
                              p_code, p.name), p_req);
        END IF;
    END IF;
    IF p_on > p_today THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid',
                   format('issue date %s is after today (%s): a letter is numbered when it goes out',
                          keyproj_ymd(p_on), keyproj_ymd(p_today)), p_req);
    END IF;
    IF v_due < p_on THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid',
                   format('reply date %s is before the issue date %s', keyproj_ymd(v_due), keyproj_ymd(p_on)),
                   p_req);
    END IF;
    SELECT * INTO n FROM keyproj_letter_number(p_kind, p_on, p_pattern);
    INSERT INTO supervision_order (project_id, kind, doc_no, doc_year, doc_seq, to_unit_id, issued_on, reply_due,
                                   reason)
    VALUES (p.id, p_kind, n.doc_no, n.doc_year, n.doc_seq, v_unit, p_on, v_due, btrim(p_reason))
    RETURNING id INTO v_id;
    RETURN keyproj_write_ok(p_actor, v_action, 'order:' || v_id, NULL,
                            v_new || jsonb_build_object('doc_no', n.doc_no, 'reply_due', v_due,
                                                        'to_unit', (SELECT name FROM unit WHERE id = v_unit)),
                            NULL, p_req, keyproj_order_json(v_id, p_today));
END
$fn$;
