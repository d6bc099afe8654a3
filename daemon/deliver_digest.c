/* deliver_digest: the daily digest and the weekly summary, written as
 * alerts (kind "digest") with their deliveries at alerts.digest_time on
 * working days, once per receiver and day (or week) whatever restarts or
 * other daemons do; then they go through the outbox like any alert. It
 * sends nothing itself. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "deliver_digest.h"
#include "holidays.h"
#include "log.h"
#include "util.h"

#define DIGEST_LATE_SECONDS (6 * 3600)  /* a daily digest not written by then is skipped */

/* A receiver's match list as a text[] ('{}': any). Values are county
 * names and vocabulary words; quoted with their quotes and backslashes
 * escaped. */
static char *
text_array(const struct matcher *m)
{
    struct buf b;
    buf_init(&b);
    buf_putc(&b, '{');
    for (size_t i = 0; i < m->n; i++) {
        buf_puts(&b, i ? ",\"" : "\"");
        for (const char *p = m->v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_putc(&b, '\\');
            buf_putc(&b, *p);
        }
        buf_putc(&b, '"');
    }
    buf_putc(&b, '}');
    return buf_steal(&b);
}

/* A receiver's projects (its match: county $3, sector $4, level $5,
 * leader $7, unit $8 — the project's unit, or a milestone's own, as the
 * routing does): the CTE p (id, code, name, light, county, unit). */
#define RECEIVER_PROJECTS \
    "p AS (SELECT p.id, p.code, p.name, p.light, c.name AS county, pu.name AS unit, l.name AS leader," \
    "   l.mobile AS leader_mobile" \
    "   FROM project p JOIN county c ON c.id = p.county_id" \
    "   LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id" \
    "   WHERE keyproj_on_list(p.archived_on, $6::date)" \
    "   AND (cardinality($3::text[]) = 0 OR c.name = ANY($3::text[]))" \
    "   AND (cardinality($4::text[]) = 0 OR p.sector = ANY($4::text[]))" \
    "   AND (cardinality($5::text[]) = 0 OR p.level = ANY($5::text[]))" \
    "   AND (cardinality($7::text[]) = 0 OR l.name = ANY($7::text[]))" \
    "   AND (cardinality($8::text[]) = 0 OR pu.name = ANY($8::text[]) OR EXISTS (SELECT 1 FROM milestone um" \
    "        JOIN unit uu ON uu.id = um.unit_id WHERE um.project_id = p.id AND uu.name = ANY($8::text[]))))"
/* Of those projects' milestones (alias m, its unit mu), the ones a unit
 * receiver answers for. */
#define RECEIVER_MILESTONE \
    " (cardinality($8::text[]) = 0 OR p.unit = ANY($8::text[]) OR mu.name = ANY($8::text[]))"

/* Whose digest it is, before "每日汇总" / "周报": "王副市长分包项目" for
 * a leader's receiver (领导分包), "市交通运输局" for a unit's, "" for the
 * others (their names say it). Caller frees. */
static char *
title_prefix_new(const struct receiver *rv)
{
    const struct matcher *m = rv->leader.n > 0 ? &rv->leader : &rv->unit;
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < m->n && i < 3; i++) {
        if (i > 0)
            buf_puts(&b, "、");
        buf_puts(&b, m->v[i]);
    }
    if (m->n > 3)
        buf_puts(&b, "等");
    if (rv->leader.n > 0)
        buf_puts(&b, "分包项目");
    return buf_steal(&b);
}

static void
on_digest(void *arg, const PGresult *res, const char *err)
{
    struct digester *g = arg;
    if (err) {
        log_warn("could not write the daily digest: will try again", "error=%s", log_q(err));
        g->done[0] = '\0';
        g->wake(g->arg, 60);
        return;
    }
    if (PQntuples(res) > 0)
        log_info("digest written", "receiver=%s alert=%s", PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
}

/* The weekly bulletin's workbook for a WeCom robot, beside its weekly
 * summary: an alert of its own (kind "digest", stage
 * "bulletin:IYYY-Www", payload {"digest": "bulletin", "week": …}) with its
 * delivery, due a moment after the summary so the robot shows the text
 * first. A digest, so the claim sends it as a message of its own (never
 * merged, never held for another digest) within the robot's pace; the
 * workbook is made and uploaded when it is sent (deliver_bulletin.c), so a
 * retry sends the figures of its day. Once per robot and week, as the
 * summary. */
static void
bulletin_write(struct digester *g, const struct config *cfg, const struct receiver *rv, const char *t,
               const char *date)
{
    char wd[16];
    snprintf(wd, sizeof wd, "%d", cfg->weekly_day);
    const char *params[] = { rv->name, t, date, wd };
    db_query(g->db,
             "WITH a AS (INSERT INTO alert (kind, subject, stage, light, created_at, payload)"
             "   SELECT 'digest', 'receiver:' || $1, 'bulletin:' || to_char($3::date, 'IYYY-\"W\"IW'), NULL,"
             "     to_timestamp($2::float8),"
             "     jsonb_build_object('digest', 'bulletin', 'week', to_char($3::date, 'IYYY-\"W\"IW'),"
             "       'date', $3, 'receiver', $1,"
             "       'title', format('项目例会周报 %s', to_char($3::date, 'IYYY-\"W\"IW')))"
             "   WHERE extract(isodow FROM $3::date) >= $4::int"
             "   ON CONFLICT (kind, subject, stage) DO NOTHING RETURNING id)"
             " INSERT INTO delivery (alert_id, receiver, next_attempt_at)"
             " SELECT id, $1, to_timestamp($2::float8) + interval '2 seconds' FROM a RETURNING alert_id, receiver",
             4, params, on_digest, g);
}

/* The weekly summary, before the project meeting: on the first working
 * day of the ISO week from alerts.weekly_day (Monday by default), at
 * digest_time, one per receiver and week (stage "weekly:IYYY-Www"): the
 * county ranking of the latest month before this one with reports in,
 * named in the title, each county's year to date against that month's
 * planned progress (序时进度; 城区组, 县组 and 功能区组 apart); a county
 * with a report of that month missing is named on a line of its own
 * ("10月月报未报齐：栾川县"), not ranked against a plan. Then the counts of
 * the receiver's overdue and due-this-week milestones and project lights
 * (said again as of the sending day: wording_digest_title). */
static void
weekly_write(struct digester *g, const struct config *cfg, const char *t, const char *date)
{
    char wd[16], yel[32], red[32];
    snprintf(wd, sizeof wd, "%d", cfg->weekly_day);
    snprintf(yel, sizeof yel, "%g", cfg->rules.lag_yellow_points);
    snprintf(red, sizeof red, "%g", cfg->rules.lag_red_points);
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        char *county = text_array(&rv->county), *sector = text_array(&rv->sector), *level = text_array(&rv->level);
        char *leader = text_array(&rv->leader), *unit = text_array(&rv->unit), *prefix = title_prefix_new(rv);
        const char *params[] = { rv->name, t, county, sector, level, date, leader, unit, prefix, wd, yel, red };
        db_query(g->db,
                 /* the month ranked: the latest before this one with any report in */
                 "WITH s AS (SELECT $6::date AS today, coalesce((SELECT max(r.month) FROM investment_report r"
                 "     WHERE r.month < date_trunc('month', $6::date)),"
                 "     (date_trunc('month', $6::date) - interval '1 month')::date) AS month"
                 "   WHERE extract(isodow FROM $6::date) >= $10::int),"
                 RECEIVER_PROJECTS ","
                 " m AS (SELECT m.due_on FROM milestone m JOIN p ON p.id = m.project_id"
                 "   LEFT JOIN unit mu ON mu.id = m.unit_id"
                 "   WHERE m.status = 'pending' AND" RECEIVER_MILESTONE " AND m.due_on <= $6::date + (7 - extract(isodow FROM $6::date))::int),"
                 /* that month's year to date against that month's plan (序时进度); ytd NULL: not reported */
                 " per AS (SELECT co.name AS county, co.grp, p.annual_plan AS plan, rep.ytd,"
                 "   coalesce(ip.planned_cumulative, p.annual_plan * extract(month FROM s.month) / 12) AS plan_to_date"
                 "   FROM s CROSS JOIN project p JOIN county co ON co.id = p.county_id"
                 "   LEFT JOIN investment_report rep ON rep.project_id = p.id AND rep.month = s.month"
                 "   LEFT JOIN investment_plan ip ON ip.project_id = p.id AND ip.month = s.month"
                 "   WHERE p.year = extract(year FROM s.month) AND p.annual_plan > 0 AND keyproj_on_list(p.archived_on, $6::date)),"
                 " agg AS (SELECT county, grp, count(*) AS projects, count(*) FILTER (WHERE ytd IS NULL) AS missing,"
                 "   100 * sum(ytd) / sum(plan) AS rate,"
                 "   100 * sum(plan_to_date) / sum(plan) AS sched, 100 * (sum(ytd) - sum(plan_to_date)) / sum(plan) AS points"
                 "   FROM per GROUP BY county, grp),"
                 /* a county whose month is not all in is named, never ranked against a plan */
                 " r AS (SELECT *, CASE grp WHEN 'district' THEN '城区组' WHEN 'county' THEN '县组' ELSE '功能区组' END AS gname,"
                 "   rank() OVER (PARTITION BY grp ORDER BY points DESC, rate DESC) AS rk FROM agg WHERE missing = 0),"
                 " un AS (SELECT string_agg(county, '、' ORDER BY array_position(ARRAY['district', 'county', 'zone'], grp), county) AS names,"
                 "   jsonb_agg(jsonb_build_object('county', county, 'missing', missing, 'projects', projects)"
                 "     ORDER BY array_position(ARRAY['district', 'county', 'zone'], grp), county) AS j FROM agg WHERE missing > 0),"
                 /* no "light" on a ranking line: a digest lists reds first, a ranking keeps its order */
                 " items AS (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', 'rank',"
                 "     'lag_light', CASE WHEN points > -$11::numeric THEN 'green' WHEN points > -$12::numeric THEN 'yellow' ELSE 'red' END,"
                 "     'message', format('%s第 %s 名 %s：完成 %s%%，序时 %s%%，%s %s 个百分点', gname, rk, county,"
                 "        round(rate, 1), round(sched, 1), CASE WHEN points >= 0 THEN '超' ELSE '落后' END, abs(round(points, 1))),"
                 "     'project', jsonb_build_object('county', county), 'group', gname, 'rank', rk,"
                 "     'investment_rate', round(rate, 1), 'schedule_rate', round(sched, 1), 'points_vs_schedule', round(points, 1))"
                 "     ORDER BY array_position(ARRAY['district', 'county', 'zone'], grp), rk, county)"
                 "     FILTER (WHERE r.county IS NOT NULL), '[]'::jsonb)"
                 "   || CASE WHEN un.names IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object('kind', 'rank',"
                 "     'message', format('%s月月报未报齐：%s', extract(month FROM s.month), un.names), 'unreported', un.j)) END AS j"
                 "   FROM s, un LEFT JOIN r ON true GROUP BY s.month, un.names, un.j),"
                 " l AS (SELECT count(*) FILTER (WHERE light = 'red') AS r, count(*) FILTER (WHERE light = 'yellow') AS y,"
                 "   count(*) FILTER (WHERE light = 'green') AS g FROM p),"
                 " a AS (INSERT INTO alert (kind, subject, stage, light, created_at, payload)"
                 "   SELECT 'digest', 'receiver:' || $1, 'weekly:' || to_char($6::date, 'IYYY-\"W\"IW'), NULL,"
                 "     to_timestamp($2::float8),"
                 "     jsonb_build_object('title', format('%s周报 %s｜%s 月投资完成排名｜逾期 %s 项，本周到期 %s 项｜项目红灯 %s 黄灯 %s 绿灯 %s',"
                 "         $9::text, to_char($6::date, 'IYYY-\"W\"IW'), extract(month FROM s.month),"
                 "         (SELECT count(*) FROM m WHERE due_on < $6::date), (SELECT count(*) FROM m WHERE due_on >= $6::date), l.r, l.y, l.g),"
                 "       'title_head', format('%s周报 %s｜%s 月投资完成排名', $9::text, to_char($6::date, 'IYYY-\"W\"IW'),"
                 "         extract(month FROM s.month)),"
                 "       'due_by_day', (SELECT coalesce(jsonb_object_agg(d, c), '{}'::jsonb) FROM"
                 "         (SELECT due_on::text AS d, count(*) AS c FROM m WHERE due_on >= $6::date GROUP BY due_on) x),"
                 "       'digest', 'weekly', 'date', $6, 'receiver', $1, 'month', to_char(s.month, 'YYYY-MM'),"
                 "       'overdue', (SELECT count(*) FROM m WHERE due_on < $6::date),"
                 "       'due_this_week', (SELECT count(*) FROM m WHERE due_on >= $6::date),"
                 "       'lights', jsonb_build_object('red', l.r, 'yellow', l.y, 'green', l.g),"
                 "       'items', items.j)"
                 "   FROM s, items, l"
                 "   ON CONFLICT (kind, subject, stage) DO NOTHING RETURNING id)"
                 " INSERT INTO delivery (alert_id, receiver, next_attempt_at)"
                 " SELECT id, $1, to_timestamp($2::float8) FROM a RETURNING alert_id, receiver",
                 12, params, on_digest, g);
        if (strcmp(rv->type, "wecom") == 0)
            bulletin_write(g, cfg, rv, t, date);
        free(county);
        free(sector);
        free(level);
        free(leader);
        free(unit);
        free(prefix);
    }
}

/* At alerts.digest_time on working days (the holiday calendar decides),
 * one digest alert per receiver for that day — its items the facts of
 * each node (render says the words when it is sent), "new" when the
 * node's alert was raised after the receiver's previous digest — kind "digest", subject
 * "receiver:NAME", stage "daily:DATE" — with its delivery, in one
 * statement; UNIQUE(kind, subject, stage) makes it once per day whatever
 * restarts or other daemons do. Then it goes through the outbox like any
 * alert (holds, silences, retries). */
double
digest_check(struct digester *g, const struct config *cfg, double now)
{
    if (cfg->digest_min < 0)
        return -1;
    struct ymd today;
    clock_date_of(now, &today);
    double at = clock_day_start(&today) + cfg->digest_min * 60.0;
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", today.y, today.m, today.d);
    if (now < at)
        return at - now;
    /* the next one: tomorrow at the same time */
    struct ymd tomorrow;
    clock_date_of(clock_day_start(&today) + 36 * 3600.0, &tomorrow);
    double next = clock_day_start(&tomorrow) + cfg->digest_min * 60.0 - now;
    if (strcmp(g->done, date) == 0)
        return next;
    snprintf(g->done, sizeof g->done, "%s", date);
    /* A daemon started (or a database back) later the same morning still
     * writes the day's digest; one started in the evening does not send a
     * stale one: that day is skipped. */
    if (holidays_rest_day(cfg->rest_days, &today) || now - at > DIGEST_LATE_SECONDS)
        return next;
    char t[32];
    snprintf(t, sizeof t, "%.3f", now);
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        const struct receiver *rv = &cfg->receivers[i];
        char *county = text_array(&rv->county), *sector = text_array(&rv->sector), *level = text_array(&rv->level);
        char *leader = text_array(&rv->leader), *unit = text_array(&rv->unit), *prefix = title_prefix_new(rv);
        /* A receiver that holds its non-reds for the digest
         * (reds_only_at_once) is told those it lists by the digest itself:
         * covers_held (keyproj_record_deliveries). */
        const char *covers = rv->reds_only_at_once ? "true" : "false";
        const char *params[] = { rv->name, t, county, sector, level, date, leader, unit, prefix, covers };
        /* overdue: pending and due before today; due this week: today to
         * Sunday; the lights of the receiver's projects in the title. */
        db_query(g->db,
                 "WITH " RECEIVER_PROJECTS ","
                 " m AS (SELECT m.id, m.title, m.due_on, ms.light, p.code, p.name, p.county, p.leader, p.leader_mobile,"
                 "   m.due_on < $6::date AS overdue FROM milestone m JOIN p ON p.id = m.project_id"
                 "   JOIN milestone_state ms ON ms.milestone_id = m.id"
                 "   LEFT JOIN unit mu ON mu.id = m.unit_id"
                 "   WHERE m.status = 'pending' AND" RECEIVER_MILESTONE
                 "   AND m.due_on <= $6::date + (7 - extract(isodow FROM $6::date))::int),"
                 /* new: raised (a stage of the node's alerts) since the receiver's last digest */
                 " prev AS (SELECT max(pa.created_at) AS at FROM alert pa WHERE pa.kind = 'digest'"
                 "   AND pa.subject = 'receiver:' || $1 AND pa.created_at < to_timestamp($2::float8)),"
                 " items AS (SELECT coalesce(jsonb_agg(jsonb_build_object("
                 "     'kind', CASE WHEN overdue THEN 'milestone.overdue' ELSE 'milestone.due_soon' END,"
                 "     'new', EXISTS (SELECT 1 FROM alert na WHERE na.kind IN ('milestone.overdue', 'milestone.due_soon')"
                 "       AND na.subject = 'milestone:' || x.id AND na.created_at > (SELECT at FROM prev)),"
                 "     'light', coalesce(light, CASE WHEN overdue THEN 'red' ELSE 'yellow' END),"
                 /* the words as of the digest's day, for the record: what is sent is said when sent */
                 "     'message', CASE WHEN overdue THEN format('%s「%s」已逾期%s天', name, title, $6::date - due_on)"
                 "       WHEN due_on = $6::date THEN format('%s「%s」今天到期', name, title)"
                 "       ELSE format('%s「%s」还有%s天到期', name, title, due_on - $6::date) END,"
                 "     'project', jsonb_build_object('code', code, 'name', name, 'county', county, 'leader', leader,"
                 "       'leader_mobile', leader_mobile),"
                 "     'milestone', jsonb_build_object('id', id, 'title', title, 'due', due_on))"
                 "     ORDER BY NOT overdue, due_on, id), '[]'::jsonb) AS j,"
                 "   count(*) FILTER (WHERE overdue) AS n_over, count(*) FILTER (WHERE NOT overdue) AS n_week"
                 "   FROM (SELECT * FROM m ORDER BY NOT overdue, due_on, id LIMIT 500) x),"
                 " l AS (SELECT count(*) FILTER (WHERE light = 'red') AS r, count(*) FILTER (WHERE light = 'yellow') AS y,"
                 "   count(*) FILTER (WHERE light = 'green') AS g FROM p),"
                 " a AS (INSERT INTO alert (kind, subject, stage, light, created_at, payload)"
                 "   SELECT 'digest', 'receiver:' || $1, 'daily:' || $6, NULL, to_timestamp($2::float8),"
                 "     jsonb_build_object('title', format('%s每日汇总 %s｜逾期 %s 项，本周到期 %s 项｜项目红灯 %s 黄灯 %s 绿灯 %s',"
                 "         $9::text, $6, (SELECT count(*) FROM m WHERE overdue), (SELECT count(*) FROM m WHERE NOT overdue),"
                 "         l.r, l.y, l.g),"
                 "       'title_head', format('%s每日汇总 %s', $9::text, $6),"
                 "       'due_by_day', (SELECT coalesce(jsonb_object_agg(d, c), '{}'::jsonb) FROM"
                 "         (SELECT due_on::text AS d, count(*) AS c FROM m WHERE NOT overdue GROUP BY due_on) x),"
                 "       'digest', 'daily', 'date', $6, 'receiver', $1, 'leaders', $7::text[], 'units', $8::text[],"
                 "       'covers_held', $10::boolean,"
                 "       'overdue', (SELECT count(*) FROM m WHERE overdue),"
                 "       'due_this_week', (SELECT count(*) FROM m WHERE NOT overdue),"
                 "       'lights', jsonb_build_object('red', l.r, 'yellow', l.y, 'green', l.g),"
                 "       'items', items.j)"
                 "   FROM items, l"
                 "   ON CONFLICT (kind, subject, stage) DO NOTHING RETURNING id)"
                 " INSERT INTO delivery (alert_id, receiver, next_attempt_at)"
                 " SELECT id, $1, to_timestamp($2::float8) FROM a RETURNING alert_id, receiver",
                 10, params, on_digest, g);
        free(county);
        free(sector);
        free(level);
        free(leader);
        free(unit);
        free(prefix);
    }
    if (cfg->weekly_day > 0)
        weekly_write(g, cfg, t, date);
    return next;
}
