/* rules: which alerts should exist now, each project's traffic light, and
 * the next business date at which either can change. Pure functions of a
 * row, the thresholds and `today` (a business date in the configured zone):
 * no database, no clock, no allocation. doc/alerts.md is the user's view. */
#ifndef KEYPROJ_RULES_H
#define KEYPROJ_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "values.h"

/* Dates in rows: a struct ymd whose y is 0 is absent (SQL NULL). */

/* Ordered: a worse light compares greater. */
enum rules_light {
    RULES_GREEN,
    RULES_YELLOW,
    RULES_RED,
};

enum rules_kind {
    RULES_MILESTONE_DUE_SOON,       /* milestone.due_soon */
    RULES_MILESTONE_OVERDUE,        /* milestone.overdue */
    RULES_MILESTONE_FREEZE,         /* milestone.freeze */
    RULES_START_OVERDUE,            /* project.start_overdue (应开未开) */
    RULES_COMPLETION_OVERDUE,       /* project.completion_overdue (应竣未竣) */
    RULES_INVESTMENT_LAGGING,       /* investment.lagging (behind 序时进度) */
    RULES_REPORT_MISSING,           /* report.missing */
    RULES_PROGRESS_STALLED,         /* progress.stalled */
    RULES_APPROVAL_OVERDUE,         /* approval.overdue */
    RULES_PROBLEM_OVERDUE,          /* problem.overdue */
    RULES_REPEATED_RED,             /* project.repeated_red (→ 督办函) */
    RULES_CAMPAIGN_AT_RISK,         /* campaign.at_risk */
    RULES_CAMPAIGN_MISSED,          /* campaign.missed */
    RULES_KIND_COUNT,
};

/* Escalation ladder (doc/alerts.md): who an alert goes to. */
enum rules_tier {
    RULES_TIER_UNIT,                /* 0: the responsible unit's group */
    RULES_TIER_LEADER,              /* 1: the leader holding the package */
    RULES_TIER_OFFICE,              /* 2: the project office (项目办) */
};

/* The parts a project's light is the worst of. */
enum rules_part {
    RULES_PART_MILESTONE,           /* worst of the project's milestones */
    RULES_PART_START,
    RULES_PART_COMPLETION,
    RULES_PART_INVESTMENT,
    RULES_PART_REPORT,
    RULES_PART_STALLED,
    RULES_PART_PROBLEM,             /* worst of the project's problems */
    RULES_PART_COUNT,
};

/* A month-day that recurs every year ("10-31"); never 02-29. */
struct rules_md {
    int m, d;
};

#define RULES_MAX_DUE_SOON 8
#define RULES_MAX_RISK_DAYS 4

/* Every threshold; the comment names the keyprojd.conf key (alerts group). */
struct rules_config {
    int due_soon_days[RULES_MAX_DUE_SOON];   /* due_soon_days [7, 3, 1] */
    size_t n_due_soon_days;
    int overdue_repeat_days;                 /* overdue_repeat_days 3 */
    int milestone_red_days;                  /* milestone_red_days 15 */
    struct rules_md freeze_warn;             /* freeze_warn "10-31" */
    struct rules_md freeze_red;              /* freeze_red "11-15" */
    struct rules_md freeze_end;              /* freeze_end "03-15" (heating season over) */
    int start_red_months;                    /* start_red_months 3 */
    double lag_yellow_points;                /* lag_yellow_points 10 */
    double lag_red_points;                   /* lag_red_points 30 */
    int report_due_day;                      /* report_due_day 5 (past month end: the last day) */
    int report_red_periods;                  /* report_red_periods 2 */
    int stalled_yellow_reports;              /* stalled_yellow_reports 2 */
    int stalled_red_reports;                 /* stalled_red_reports 3 */
    double stalled_min_change;               /* stalled_min_change 1 (万元) */
    double stalled_min_percent;              /* stalled_min_percent 0.5 (of the annual plan) */
    int approval_red_days;                   /* approval_red_days 15 */
    int problem_days;                        /* problem_days 7 (ordinary, no time limit given) */
    int problem_major_days;                  /* problem_major_days 30 */
    int campaign_risk_days[RULES_MAX_RISK_DAYS];  /* campaign_risk_days [14, 7] */
    size_t n_campaign_risk_days;
    int escalate_leader_days;                /* escalate_leader_days 7 */
    int escalate_office_days;                /* escalate_office_days 15 */
};

void rules_config_default(struct rules_config *cfg);
/* False with "alerts.KEY: what is wrong" in err when cfg is unusable. */
bool rules_config_check(const struct rules_config *cfg, char *err, size_t errlen);

#define RULES_STAGE_LEN 48
#define RULES_MAX_DECISIONS 6

/* One alert that should exist. (kind, subject, stage) is the alert's key;
 * stage is a function of the row and of the date the stage began, never of
 * today, so re-running a scan inserts nothing new. light, days_late and
 * tier are fixed for a stage as well. */
struct rules_decision {
    enum rules_kind kind;
    char stage[RULES_STAGE_LEN];    /* "2026-11-20/overdue-4", "2026-10/red" */
    enum rules_light light;
    struct ymd since;               /* the day this stage began */
    int days_late;                  /* past the deadline on `since`; 0 if none */
    enum rules_tier tier;
};

/* What the rules say about one row (milestone, project, problem, …). */
struct rules_out {
    size_t n;
    struct rules_decision d[RULES_MAX_DECISIONS];
    enum rules_light light;         /* this row's part-light (worst rule) */
    /* The next business date at which n, d or light can change with time
     * alone (edits of the row are the caller's to notice); y == 0: never. */
    struct ymd next;
};

/* The part-lights of one project, indexed by enum rules_part. */
struct rules_parts {
    enum rules_light light[RULES_PART_COUNT];
};

/* ---- rows (enum-like fields are the schema's canonical names) --------- */

struct rules_milestone {
    const char *kind;               /* start | structure | … */
    const char *status;             /* pending | done | waived */
    struct ymd due_on;
};

struct rules_report {
    int y, m;                       /* the month reported */
    double ytd;                     /* 万元, year to date */
};

struct rules_project {
    int year;                       /* list year: annual_plan and required reports */
    const char *status;             /* preliminary | building | suspended | completed | operating */
    const char *category;           /* new | continuing | preliminary */
    struct ymd planned_start, planned_end, actual_start, actual_end;
    double annual_plan;             /* 万元; <= 0: none */
    bool has_planned_cumulative;    /* false: the annual plan spread evenly by month */
    double planned_cumulative;      /* 万元 planned by the end of reports[0]'s month */
    struct ymd reports_from;        /* first month a report is owed (day ignored); y == 0: January */
    /* The latest reports, newest first: at least rules_reports_needed(). */
    const struct rules_report *reports;
    size_t n_reports;
};

struct rules_approval {
    const char *status;             /* pending | done | waived */
    struct ymd planned_on;
};

struct rules_problem {
    const char *severity;           /* ordinary | major */
    const char *status;             /* open | resolved */
    struct ymd reported_on;
    struct ymd time_limit;          /* y == 0: reported_on + problem_days / problem_major_days */
};

struct rules_campaign {
    struct ymd first, last;         /* the window, both days included */
    double target, actual;          /* same unit (projects or 万元); target <= 0: none */
};

/* ---- rules: each fills *out completely ------------------------------- */

/* milestone.due_soon or milestone.overdue (only the current stage), and
 * milestone.freeze for a pending structure milestone. */
void rules_milestone(const struct rules_config *cfg, const struct rules_milestone *m,
                     struct ymd today, struct rules_out *out);
/* Every project-level rule below at once; parts (may be NULL) receives the
 * START … STALLED part-lights and leaves MILESTONE and PROBLEM alone. */
void rules_project(const struct rules_config *cfg, const struct rules_project *p,
                   struct ymd today, struct rules_out *out, struct rules_parts *parts);
void rules_start_overdue(const struct rules_config *cfg, const struct rules_project *p,
                         struct ymd today, struct rules_out *out);
void rules_completion_overdue(const struct rules_config *cfg, const struct rules_project *p,
                              struct ymd today, struct rules_out *out);
void rules_investment_lagging(const struct rules_config *cfg, const struct rules_project *p,
                              struct ymd today, struct rules_out *out);
void rules_report_missing(const struct rules_config *cfg, const struct rules_project *p,
                          struct ymd today, struct rules_out *out);
void rules_progress_stalled(const struct rules_config *cfg, const struct rules_project *p,
                            struct ymd today, struct rules_out *out);
/* How many of a project's latest reports the project rules look at. */
size_t rules_reports_needed(const struct rules_config *cfg);
/* The first month a project that entered the ledger on business date
 * entered owes a report for (day 1 of it): the earliest month whose report
 * was not yet late on that day. A report already late when the project
 * arrived is never owed (doc/alerts.md, "Which reports are owed"). */
struct ymd rules_reports_from(const struct rules_config *cfg, struct ymd entered);

void rules_approval(const struct rules_config *cfg, const struct rules_approval *a,
                    struct ymd today, struct rules_out *out);
void rules_problem(const struct rules_config *cfg, const struct rules_problem *p,
                   struct ymd today, struct rules_out *out);
/* last and before_last: the project's light at the end of the previous two
 * months. Both red → one decision, stage = last month ("2026-10"). */
void rules_repeated_red(const struct rules_config *cfg, enum rules_light last,
                        enum rules_light before_last, struct ymd today,
                        struct rules_out *out);
void rules_campaign(const struct rules_config *cfg, const struct rules_campaign *c,
                    struct ymd today, struct rules_out *out);

/* ---- lights and escalation ------------------------------------------- */

void rules_parts_init(struct rules_parts *parts);      /* all green */
enum rules_light rules_light_worst(enum rules_light a, enum rules_light b);
enum rules_light rules_light_fold(const struct rules_parts *parts);
/* The parts that are not green, red ones first, each group in part order;
 * returns how many were written to out. */
size_t rules_light_reasons(const struct rules_parts *parts,
                           enum rules_part out[RULES_PART_COUNT]);
enum rules_tier rules_tier(const struct rules_config *cfg, enum rules_kind kind,
                           enum rules_light light, int days_late);

const char *rules_light_name(enum rules_light light);  /* green | yellow | red */
const char *rules_kind_name(enum rules_kind kind);     /* "milestone.overdue" */
const char *rules_part_name(enum rules_part part);     /* "milestone", "start", … */
const char *rules_tier_name(enum rules_tier tier);     /* unit | leader | office */

#endif
