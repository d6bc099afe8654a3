/* cmd_filter: the filters the listing commands share (--county --sector
 * --level --unit --leader --light --campaign), read and checked in one
 * place so that every command understands them alike, and turned into SQL
 * conditions on parameters — never on values pasted into a statement. */
#ifndef KEYPROJ_CMD_FILTER_H
#define KEYPROJ_CMD_FILTER_H

#include <stdbool.h>

#include "cmd_util.h"
#include "db.h"

enum cmd_filter { FILTER_COUNTY, FILTER_SECTOR, FILTER_LEVEL, FILTER_UNIT, FILTER_LEADER, FILTER_LIGHT,
                  FILTER_CAMPAIGN, FILTER_N };

/* What a filter applies to. A project's unit is its own; a milestone's is
 * the unit answerable for it (its own, else its project's), the unit the
 * views show. Light, leader, county, sector and level are the project's.
 * --campaign on projects keeps those with a milestone in the campaign. */
enum cmd_filter_scope { FILTER_ON_PROJECTS, FILTER_ON_MILESTONES };

/* The values, canonical (sector "industry", campaign "2026-B6"), NULL for
 * "any". They point into the request or into this struct. */
struct cmd_filters {
    const char *v[FILTER_N];
    char campaign_code[40];
};

/* The options a command lists in its cmd_opt table, all seven. */
#define CMD_FILTER_OPTS \
    { "county", true }, { "sector", true }, { "level", true }, { "unit", true }, { "leader", true }, \
    { "light", true }, { "campaign", true }
#define CMD_FILTER_USAGE "[--county C] [--sector S] [--level L] [--unit U] [--leader L] [--light red|yellow|green]"

/* Reads the filters; an unknown sector, level or light (Chinese or
 * English, as the import takes them) answers a usage error and returns
 * false. Options the command does not take are NULL. */
bool cmd_filters_read(const struct cmd_call *c, struct cmd_filters *f);

/* The conditions (" AND …", one per filter, true when its parameter is
 * NULL) on parameters $first … $first+6, which cmd_filters_params fills.
 * The statement names project p, county co, the project's unit pu and
 * leader l; with FILTER_ON_MILESTONES also milestone m, its unit mu and
 * its campaign cp. Returns a new string. */
char *cmd_filters_sql_new(enum cmd_filter_scope scope, int first);
void cmd_filters_params(const struct cmd_filters *f, const char **out);

/* Runs the statement (values copied) once the county, unit, leader and
 * campaign named exist: a name nothing bears is answered "not_found"
 * ("--county: no county '涧西'") rather than an empty table, and then
 * arg_free(arg) is called (when not NULL) instead of fn. */
void cmd_filters_query(struct cmd_ctx *ctx, const struct cmd_filters *f, const char *sql, int nparams,
                       const char *const *params, db_result_fn fn, void *arg, void (*arg_free)(void *));

#endif
