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

/* Appends s percent-encoded but for RFC 3986's unreserved characters: a
 * path segment or a query value (UTF-8 bytes each as %XX). */
void web_url_escape(struct evbuffer *out, const char *s);

/* A printf for markup: fmt is the page's own (trusted) markup, and every
 * value goes in escaped. %s: text, HTML-escaped (NULL: nothing); %u: a URL
 * part, percent-encoded (safe in an attribute too); %d: int; %D: long
 * long; %f, %.Nf or %+.Nf (N one digit, default 1): double; %%. No verb inserts
 * markup unescaped: a fragment built apart goes into the buffer itself. */
void web_html_printf(struct evbuffer *out, const char *fmt, ...);

#endif
