/* notify: systemd readiness (READY=1, RELOADING=1, STOPPING=1, STATUS=…)
 * sent to $NOTIFY_SOCKET without libsystemd. Does nothing when the variable
 * is unset; failures are logged, never fatal. */
#ifndef KEYPROJ_NOTIFY_H
#define KEYPROJ_NOTIFY_H

void notify_send(const char *state);

#endif
