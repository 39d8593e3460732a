// SPDX-License-Identifier: GPL-2.0
/* Debounced inotify watch of the policy path. See policy_watch.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "lib/log.h"
#include "agent/policy_watch.h"

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
		    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

struct policy_watch {
	int epfd, ino, timer, wd;
	uint32_t quiet_ms;
	char dir[PATH_MAX];	/* what is watched */
	char base[NAME_MAX + 1];	/* a file's name in dir; "" when the path is a directory */
	int lost_said;		/* the watched directory went away: said once */
};

static int add_watch(struct policy_watch *w)
{
	w->wd = inotify_add_watch(w->ino, w->dir, WATCH_MASK | IN_ONLYDIR);
	return w->wd < 0 ? -errno : 0;
}

static void arm(struct policy_watch *w, uint32_t ms)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	timerfd_settime(w->timer, 0, &its, NULL);	/* re-arming pushes the deadline back */
}

struct policy_watch *policy_watch_open(const char *path, uint32_t quiet_ms, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct policy_watch *w;
	struct stat st;
	int r;

	if (!path || !*path || quiet_ms < 1 || quiet_ms > 60000) {
		snprintf(err, errlen, "policy watch: bad path or quiet period");
		return NULL;
	}
	if (stat(path, &st)) {
		snprintf(err, errlen, "policy watch: %s: %s", path, strerror(errno));
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "policy watch: out of memory");
		return NULL;
	}
	w->epfd = w->ino = w->timer = w->wd = -1;
	w->quiet_ms = quiet_ms;
	if (S_ISDIR(st.st_mode)) {
		r = snprintf(w->dir, sizeof(w->dir), "%s", path);
	} else {
		const char *slash = strrchr(path, '/');
		const char *dir = slash ? path : ".";
		size_t dlen = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);

		r = snprintf(w->dir, sizeof(w->dir), "%.*s", (int)dlen, dir);
		if (snprintf(w->base, sizeof(w->base), "%s", slash ? slash + 1 : path) >=
		    (int)sizeof(w->base))
			r = -1;
	}
	if (r < 0 || (size_t)r >= sizeof(w->dir)) {
		snprintf(err, errlen, "policy watch: %s: path too long", path);
		goto fail;
	}
	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->ino < 0 || w->timer < 0 || w->epfd < 0) {
		snprintf(err, errlen, "policy watch: %s", strerror(errno));
		goto fail;
	}
	r = add_watch(w);
	if (r) {
		snprintf(err, errlen, "policy watch: %s: %s%s", w->dir, strerror(-r),
			 r == -ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
		goto fail;
	}
	ev.data.fd = w->ino;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ino, &ev))
		goto fail_errno;
	ev.data.fd = w->timer;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->timer, &ev))
		goto fail_errno;
	return w;
fail_errno:
	snprintf(err, errlen, "policy watch: epoll: %s", strerror(errno));
fail:
	policy_watch_free(w);
	return NULL;
}

int policy_watch_fd(const struct policy_watch *w)
{
	return w->epfd;
}

/* Does this event concern the policies? A file path: its name, or a ConfigMap's "..data". */
static int relevant(const struct policy_watch *w, const struct inotify_event *e)
{
	if (e->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
		return 1;
	if (!w->base[0] || !e->len)
		return 1;
	return !strcmp(e->name, w->base) || !strncmp(e->name, "..", 2);
}

int policy_watch_process(struct policy_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t expirations;
	int seen = 0;
	ssize_t n;

	while ((n = read(w->ino, buf, sizeof(buf))) > 0) {
		for (size_t off = 0; off + sizeof(struct inotify_event) <= (size_t)n;) {
			const struct inotify_event *e = (const void *)(buf + off);

			if (e->len > (size_t)n - off - sizeof(*e))
				break;	/* cannot happen: the kernel writes whole events */
			if (e->wd != w->wd && !(e->mask & IN_Q_OVERFLOW)) {
				off += sizeof(*e) + e->len;
				continue;	/* a watch given up below */
			}
			seen |= relevant(w, e);
			if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				/* Gone or moved away: re-added on the path when the change settles. */
				inotify_rm_watch(w->ino, w->wd);
				w->wd = -1;
			}
			off += sizeof(*e) + e->len;
		}
	}
	if (seen)
		arm(w, w->quiet_ms);
	if (read(w->timer, &expirations, sizeof(expirations)) != sizeof(expirations))
		return 0;
	if (w->wd < 0) {
		int r = add_watch(w);

		if (r) {
			/* The directory is gone (being replaced?): look again later, keep the policy. */
			if (!w->lost_said++)
				log_warn("policy: watching %s: %s; the policy in force stays, retrying",
					 w->dir, strerror(-r));
			arm(w, w->quiet_ms * 4);
			return 0;
		}
		if (w->lost_said)
			log_info("policy: watching %s again", w->dir);
		w->lost_said = 0;
	}
	return 1;
}

void policy_watch_free(struct policy_watch *w)
{
	if (!w)
		return;
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->timer >= 0)
		close(w->timer);
	if (w->ino >= 0)
		close(w->ino);
	free(w);
}
