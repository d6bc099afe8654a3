/* web_pages_files: the downloads — the weekly bulletin (项目例会周报),
 * /bulletin.xlsx?week=2026-W49 (this week when none is named), the very
 * workbook `keyprojctl bulletin` writes and the weekly summary links to.
 * Read only, like every page. */
#include "ac_config.h"

#include <stdlib.h>

#include "bulletin.h"
#include "clock.h"
#include "daemon.h"
#include "links.h"
#include "util.h"
#include "web_page.h"
#include "web_pages_defs.h"

struct bulletin_wait {
    struct page *p;
    int slot;
    struct bulletin_week week;
};

static void
on_bulletin(void *arg, const struct buf *xlsx, const char *err)
{
    struct bulletin_wait *bw = arg;
    if (xlsx != NULL) {
        char name[64];
        bulletin_file_name(&bw->week, name, sizeof name);
        page_file(bw->p, bw->slot, BULLETIN_CONTENT_TYPE, name, xlsx->data, xlsx->len);
    } else {
        page_fail(bw->p, bw->slot, "internal", err);
    }
    free(bw);
}

static void
bulletin_start(struct page *p)
{
    struct daemon *d = page_daemon(p);
    struct bulletin_wait *bw = xcalloc(1, sizeof *bw);
    bw->p = p;
    bw->slot = page_wait(p);
    struct ymd today;
    char err[200];
    clock_today(&d->clock, &today);
    if (!bulletin_week_parse(page_param(p, "week"), &today, &bw->week, err, sizeof err)) {
        page_fail(p, bw->slot, "usage", err);
        free(bw);
        return;
    }
    bulletin_make(d, &bw->week, on_bulletin, bw);     /* may answer at once */
}

static const char *const bulletin_params[] = { "week", NULL };

const struct page_def web_page_bulletin = {
    .path = "/" LINK_BULLETIN_FILE, .params = bulletin_params, .start = bulletin_start,
};
