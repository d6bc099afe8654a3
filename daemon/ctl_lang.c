/* ctl_lang: which language keyprojctl shows an answer in. Messages and
 * column headers are GNU gettext's (domain "keyproj", po/zh_CN.po); enum
 * values are the Chinese labels of values.c's word lists, the one place
 * that already spells them for the importer, the filters and the ledger
 * export, so a table never says 产业 where the export says something else.
 * It must never change what --json or --csv print. */
#include "ac_config.h"

#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_errors.h"
#include "ctl_lang.h"
#include "util.h"
#include "values.h"

#define DOMAIN "keyproj"
/* Marks a msgid with a context for xgettext (--keyword=C_:1c,2). */
#define C_(ctx, s) s
#define N_(s) s

/* The keys of keyprojd's answers that keyprojctl shows as headers: the
 * catalog's list of them (update-po reads it). A key missing here is shown
 * as it is. */
static const char *const column_keys[] __attribute__((unused)) = {
    C_("column", "code"), C_("column", "name"), C_("column", "year"), C_("column", "level"),
    C_("column", "county"), C_("column", "sector"), C_("column", "category"),
    C_("column", "status"), C_("column", "light"), C_("column", "light_reasons"),
    C_("column", "owner"), C_("column", "unit"), C_("column", "leader"),
    C_("column", "leader_title"), C_("column", "leader_mobile"), C_("column", "contact"),
    C_("column", "contact_mobile"), C_("column", "total_investment"),
    C_("column", "annual_plan"), C_("column", "ytd_investment"), C_("column", "ytd"),
    C_("column", "planned_start"), C_("column", "planned_end"),
    C_("column", "actual_start"), C_("column", "actual_end"),
    C_("column", "completes_this_year"), C_("column", "archived_on"),
    C_("column", "archive_reason"),
    /* milestones, overdue, due */
    C_("column", "id"), C_("column", "project"), C_("column", "project_name"),
    C_("column", "campaign"), C_("column", "kind"), C_("column", "title"), C_("column", "due"),
    C_("column", "done_on"), C_("column", "days_overdue"), C_("column", "days_left"),
    C_("column", "note"), C_("column", "reason"), C_("column", "milestones"),
    /* stats, rank */
    C_("column", "projects"), C_("column", "milestones_due"), C_("column", "milestones_done"),
    C_("column", "milestones_overdue"), C_("column", "completion_rate"), C_("column", "invested"),
    C_("column", "investment_rate"), C_("column", "schedule_rate"),
    C_("column", "points_vs_schedule"), C_("column", "starts_planned"), C_("column", "starts_done"),
    C_("column", "completions_planned"), C_("column", "completions_done"), C_("column", "red"),
    C_("column", "yellow"), C_("column", "green"), C_("column", "group"), C_("column", "rank"),
    C_("column", "month"),
    /* problems, approvals, orders */
    C_("column", "severity"), C_("column", "description"), C_("column", "reported_on"),
    C_("column", "time_limit"), C_("column", "resolved_on"), C_("column", "resolution"),
    C_("column", "item"), C_("column", "planned_on"), C_("column", "doc_no"),
    C_("column", "to_unit"), C_("column", "issued_on"), C_("column", "reply_due"),
    C_("column", "replied_on"), C_("column", "reply_note"),
    /* status */
    C_("column", "version"), C_("column", "pid"), C_("column", "uptime_seconds"),
    C_("column", "now"), C_("column", "today"), C_("column", "timezone"),
    C_("column", "database"), C_("column", "database_error"), C_("column", "schema_version"),
    C_("column", "schema_expected"), C_("column", "control_clients"), C_("column", "role"),
    C_("column", "scanning"), C_("column", "last_scan_at"), C_("column", "last_scan_ms"),
    C_("column", "last_scan_examined"), C_("column", "last_scan_alerts"),
    C_("column", "last_scan_error"), C_("column", "projects_red"),
    C_("column", "projects_yellow"), C_("column", "projects_green"),
    C_("column", "milestones_pending"), C_("column", "milestones_waived"),
    C_("column", "alerts"), C_("column", "alerts_red"), C_("column", "deliveries_pending"),
    C_("column", "deliveries_dead"), C_("column", "delivery_oldest_s"),
    C_("column", "counts_error"),
    /* campaigns */
    C_("column", "starts_on"), C_("column", "ends_on"), C_("column", "state"),
    C_("column", "days_total"), C_("column", "days_gone"), C_("column", "time_elapsed_pct"),
    C_("column", "done"), C_("column", "overdue"), C_("column", "waived"), C_("column", "pending"),
    C_("column", "done_pct"), C_("column", "targets"), C_("column", "by_county"),
    /* campaign windows and scorecards, 联审联批, letters */
    C_("column", "not_yet_due"), C_("column", "on_time"), C_("column", "frozen_on"), C_("column", "frozen_on_time_pct"), C_("column", "by_sector"), C_("column", "nodes"), C_("column", "late"), C_("column", "open"), C_("column", "on_time_pct"), C_("column", "nodes_now"), C_("column", "on_time_now"), C_("column", "on_time_pct_now"), C_("column", "correction_pts"), C_("column", "approvals"), C_("column", "approvals_done"), C_("column", "approvals_overdue"), C_("column", "category_name"), C_("column", "milestone_id"), C_("column", "approval_items"), C_("column", "open_problems"), C_("column", "problems"), C_("column", "resolved"), C_("column", "document"), C_("column", "major"),
    /* alerts, audit, help */
    C_("column", "stage"), C_("column", "created"), C_("column", "message"),
    C_("column", "deliveries"), C_("column", "at"), C_("column", "actor"), C_("column", "action"),
    C_("column", "subject"), C_("column", "result"), C_("column", "old"), C_("column", "new"),
    C_("column", "request_id"), C_("column", "usage"), C_("column", "summary"),
    /* where a command gives a key a sense of its own */
    C_("column:campaign", "milestones"), C_("column:problem", "open"),
};

/* Which word list a column's values come from. A row with ctx names the
 * command (or the key of a nested table) it applies to; the rows without
 * apply to every answer, after those of its own command. */
struct column_words {
    const char *ctx;
    const char *key;
    const struct words *words;
};

static const struct column_words column_words[] = {
    { "milestones", "status", &words_milestone_filter },
    { "milestones", "kind", &words_milestone_kind },
    { "overdue", "kind", &words_milestone_kind },
    { "due", "status", &words_milestone_filter },
    { "due", "kind", &words_milestone_kind },
    { "problem", "status", &words_problem_status },
    { "approval", "status", &words_approval_status },
    { "orders", "status", &words_order_status },
    { "orders", "kind", &words_order_kind },
    { "order", "status", &words_order_status },
    { "order", "kind", &words_order_kind },
    { "alerts", "kind", &words_alert_kind_digest },
    { "campaign", "kind", &words_campaign_kind },
    { "campaign", "state", &words_campaign_state },
    { "rank", "group", &words_county_group },
    { "county", "group", &words_county_group },
    { NULL, "level", &words_level },
    { NULL, "sector", &words_sector },
    { NULL, "category", &words_category },
    { NULL, "status", &words_status },
    { NULL, "light", &words_light },
    { NULL, "severity", &words_problem_severity },
    { NULL, "tier", &words_tier },
    { NULL, "database", &words_db_state },
    { NULL, "role", &words_daemon_role },
    { NULL, "state", &words_campaign_state },
};

static const char *
label_in(const struct words *ws, const char *value)
{
    const struct word *w = words_named(ws, value);
    return w != NULL && w->zh[0] != NULL ? w->zh[0] : NULL;
}

const char *
ctl_lang_label(const char *ctx, const char *key, const char *value)
{
    const char *label = NULL;
    if (key == NULL || value == NULL)
        return NULL;
    /* the command's own lists first, then the common ones */
    for (int pass = 0; pass < 2 && label == NULL; pass++)
        for (size_t i = 0; i < ARRAY_LEN(column_words) && label == NULL; i++) {
            const struct column_words *cw = &column_words[i];
            bool mine = pass == 0 ? cw->ctx != NULL && str_eq(cw->ctx, ctx) : cw->ctx == NULL;
            if (mine && strcmp(cw->key, key) == 0)
                label = label_in(cw->words, value);
        }
    return label;
}

/* pgettext: msgid in context ctx, or msgid when the catalog has none. */
static const char *
context_gettext(const char *ctx, const char *msgid)
{
    char full[1024];
    int n = snprintf(full, sizeof full, "%s\004%s", ctx, msgid);
    if (n < 0 || (size_t)n >= sizeof full)
        return msgid;
    const char *t = gettext(full);
    return t == full ? msgid : t;
}

const char *
ctl_lang_header(const char *command, const char *key)
{
    char ctx[64];
    int n = snprintf(ctx, sizeof ctx, "column:%s", command != NULL ? command : "");
    if (command != NULL && n > 0 && (size_t)n < sizeof ctx) {
        const char *t = context_gettext(ctx, key);
        if (t != key)
            return t;
    }
    return context_gettext("column", key);
}

static const char *
error_lookup(const char *msgid)
{
    return context_gettext("error", msgid);
}

static char *
lang_error(const char *message)
{
    return ctl_errors_translate(message, error_lookup);
}

static const char *
lang_text(const char *msgid)
{
    return gettext(msgid);
}

static const char *
lang_ntext(const char *one, const char *many, unsigned long n)
{
    return ngettext(one, many, n);
}

void
ctl_lang_setup(void)
{
    const char *dir = getenv("KEYPROJ_LOCALEDIR");
    setlocale(LC_ALL, "");
    /* "%g" and strtod must keep '.' whatever the country. */
    setlocale(LC_NUMERIC, "C");
    bindtextdomain(DOMAIN, dir != NULL && dir[0] != '\0' ? dir : LOCALEDIR);
    /* The answer's text is UTF-8; a GB18030 locale must not get both. */
    bind_textdomain_codeset(DOMAIN, "UTF-8");
    textdomain(DOMAIN);
}

void
ctl_lang_for(struct ctl_lang *lang, const char *command)
{
    /* TRANSLATORS: not shown. Translate as "enum-values:zh" when enum
     * values (产业, 续建, 红 …) should be shown by the Chinese labels of
     * keyprojd's word lists; leave it as it is to show the canonical
     * English names. */
    const char *values = gettext(N_("enum-values:canonical"));
    lang->command = command;
    lang->labels = strcmp(values, "enum-values:zh") == 0;
    lang->header = ctl_lang_header;
    lang->text = lang_text;
    lang->ntext = lang_ntext;
    lang->error = lang_error;
}
