/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watch the policy path for changes (inotify), so a policy edited on disk,
 * or a Kubernetes ConfigMap update (a new "..data" symlink renamed into the
 * directory), is reloaded without a SIGHUP. Changes are debounced: the
 * reload is due once nothing has changed for a quiet period, so a set
 * written file by file is read once, whole.
 *
 *	w = policy_watch_open("/etc/bulkhead/policies", 500, err, sizeof(err));
 *	epoll_ctl(ep, EPOLL_CTL_ADD, policy_watch_fd(w), ...);
 *	on readiness: if (policy_watch_process(w)) reload();
 */
#ifndef BULKHEAD_POLICY_WATCH_H
#define BULKHEAD_POLICY_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct policy_watch;

/*
 * Watch path: a directory is watched itself, a file through its directory
 * (editors and ConfigMaps replace files by rename). quiet_ms: the debounce
 * period (1 to 60000). NULL with a reason in err.
 */
struct policy_watch *policy_watch_open(const char *path, uint32_t quiet_ms, char *err, size_t errlen);
/* One descriptor for the caller's epoll: readable when there is work. */
int policy_watch_fd(const struct policy_watch *w);
/*
 * Read what is pending. 1 when a change has settled and the policies
 * should be reloaded now; 0 otherwise.
 */
int policy_watch_process(struct policy_watch *w);
void policy_watch_free(struct policy_watch *w);

#endif
