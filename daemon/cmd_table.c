/* cmd_table: every command keyprojd answers, in the order `help` lists
 * them. Each entry lives with its code in a cmd_*.c file; this list is the
 * only place that names them all, and nothing below main.c reads it by
 * name (see d->commands in daemon.h). */
#include "ac_config.h"

#include <stddef.h>

#include "cmd.h"

extern const struct cmd_entry cmd_scan_entry, cmd_clock_entry;
extern const struct cmd_entry cmd_help_entry, cmd_version_entry, cmd_status_entry,
    cmd_import_entry, cmd_projects_entry, cmd_project_entry, cmd_milestones_entry, cmd_county_entry, cmd_unit_entry;
extern const struct cmd_entry cmd_overdue_entry, cmd_due_entry;
extern const struct cmd_entry cmd_stats_entry, cmd_rank_entry;
extern const struct cmd_entry cmd_done_entry, cmd_waive_entry, cmd_reschedule_entry, cmd_reopen_entry,
    cmd_report_entry, cmd_start_entry, cmd_complete_entry, cmd_archive_entry, cmd_readmit_entry;
extern const struct cmd_entry cmd_problem_entry, cmd_approval_entry, cmd_orders_entry, cmd_order_entry,
    cmd_campaign_entry, cmd_audit_entry, cmd_export_entry, cmd_reload_entry;
extern const struct cmd_entry cmd_deliveries_entry, cmd_retry_entry, cmd_silence_entry, cmd_receiver_entry;
extern const struct cmd_entry cmd_alerts_entry, cmd_receivers_entry, cmd_test_entry;
extern const struct cmd_entry cmd_bulletin_entry;

const struct cmd_entry *const cmd_table[] = {
    &cmd_help_entry,
    &cmd_version_entry,
    &cmd_status_entry,
    &cmd_projects_entry,
    &cmd_project_entry,
    &cmd_milestones_entry,
    &cmd_county_entry,
    &cmd_unit_entry,
    &cmd_overdue_entry,
    &cmd_due_entry,
    &cmd_stats_entry,
    &cmd_rank_entry,
    &cmd_import_entry,
    &cmd_scan_entry,
    &cmd_clock_entry,
    &cmd_done_entry,
    &cmd_waive_entry,
    &cmd_reschedule_entry,
    &cmd_reopen_entry,
    &cmd_report_entry,
    &cmd_start_entry,
    &cmd_complete_entry,
    &cmd_archive_entry,
    &cmd_readmit_entry,
    &cmd_problem_entry,
    &cmd_approval_entry,
    &cmd_orders_entry,
    &cmd_order_entry,
    &cmd_campaign_entry,
    &cmd_audit_entry,
    &cmd_export_entry,
    &cmd_bulletin_entry,
    &cmd_reload_entry,
    &cmd_deliveries_entry,
    &cmd_retry_entry,
    &cmd_silence_entry,
    &cmd_receiver_entry,
    &cmd_alerts_entry,
    &cmd_receivers_entry,
    &cmd_test_entry,
    NULL,
};
