/* ctl_render: placeholder */
#ifndef KEYPROJ_CTL_RENDER_H
#define KEYPROJ_CTL_RENDER_H
#endif
