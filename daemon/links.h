/* links: the dashboard's addresses that messages link to, below
 * web.base_url (render.c, summary.c). The pages serve these very paths
 * (web_pages*.c name their routes with them), so that a message never
 * links to a page that is not there. */
#ifndef KEYPROJ_LINKS_H
#define KEYPROJ_LINKS_H

#define LINK_PROJECT "project/"                 /* + the code, %-encoded */
#define LINK_OVERDUE "overdue"
#define LINK_OVERDUE_COUNTY LINK_OVERDUE "?county="     /* + the county, %-encoded */
#define LINK_BULLETIN_FILE "bulletin.xlsx"
#define LINK_BULLETIN LINK_BULLETIN_FILE "?week="       /* + "2026-W49" */

#endif
