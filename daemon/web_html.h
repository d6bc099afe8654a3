/* web_html: what puts values into HTML safely. Every value a page shows
 * (a project's name, a county, a query parameter echoed back) goes
 * through web_html_escape: a project named <script> is shown as text. */
#ifndef KEYPROJ_WEB_HTML_H
#define KEYPROJ_WEB_HTML_H

struct evbuffer;

/* Appends s to out for use in element text or a quoted attribute value:
 * & < > " ' become entities; bytes that are not strict UTF-8, C0 controls
 * other than tab, LF and CR, DEL and C1 controls each become U+FFFD; the
 * rest (Chinese included) is copied as is. NULL appends nothing. */
void web_html_escape(struct evbuffer *out, const char *s);

#endif
