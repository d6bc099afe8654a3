/* bulletin: the weekly bulletin (项目例会周报), one workbook of six sheets —
 * 总览, 排名, 逾期节点, 问题清单, 督办落实, 本周完成 — whose rows are the
 * answers of the very commands keyprojctl runs (stats, rank, overdue,
 * problem list, orders, milestones), asked through cmd_dispatch at the
 * operator level, so the workbook and the CLI cannot disagree. It writes
 * nothing to the database and never blocks the loop. */
#ifndef KEYPROJ_BULLETIN_H
#define KEYPROJ_BULLETIN_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"
#include "values.h"

struct daemon;

/* An ISO week: Monday to Sunday, and its name, "2026-W49". */
struct bulletin_week {
    struct ymd monday, sunday;
    char name[32];       /* "2026-W49" (room for any int the compiler can imagine) */
};

/* The week s names — "2026-W49" (ISO 8601: the week with the year's first
 * Thursday is W01) or any date in it, as parse_date reads dates — or, s
 * NULL, today's week. False with what is wrong in err. Pure. */
bool bulletin_week_parse(const char *s, const struct ymd *today, struct bulletin_week *out, char *err,
                         size_t errlen);

#define BULLETIN_CONTENT_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* The file name of week's workbook: "周报-2026-W49.xlsx". */
void bulletin_file_name(const struct bulletin_week *w, char *out, size_t outlen);

/* Called once with the workbook's bytes (borrowed for the call), or with
 * xlsx NULL and why in err. */
typedef void (*bulletin_done_fn)(void *arg, const struct buf *xlsx, const char *err);

/* Makes week's bulletin, figures as of the daemon's today; done is called
 * once, possibly before this returns. */
void bulletin_make(struct daemon *d, const struct bulletin_week *week, bulletin_done_fn done, void *arg);

#endif
