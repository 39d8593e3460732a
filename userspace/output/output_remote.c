// SPDX-License-Identifier: GPL-2.0
/* Remote syslog, RFC 5424 over UDP or TCP. See output_remote.h. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lib/log.h"
#include "output/output_remote.h"

#define CONNECT_TIMEOUT_MS	3000
#define SEND_TIMEOUT_S		5
#define FRAMES_MAX		512	/* messages per TCP write batch */
#define FRAME_BYTES_MAX		(64u << 10)

struct remote_sink {
	struct remote_addr addr;
	int fd;
	char *frames;		/* TCP: octet-counted batch */
	size_t frames_cap;
};

int output_remote_parse(const char *url, struct remote_addr *out)
{
	const char *p, *colon;
	size_t hl;
	char *end;
	unsigned long port;

	memset(out, 0, sizeof(*out));
	if (!strncmp(url, "udp://", 6))
		out->tcp = false;
	else if (!strncmp(url, "tcp://", 6))
		out->tcp = true;
	else
		return -EINVAL;
	p = url + 6;
	if (*p == '[') {
		const char *rb = strchr(p, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - p - 1);
		p++;
		colon = rb + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon || strchr(p, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - p);
	}
	if (!hl || hl >= sizeof(out->host))
		return -EINVAL;
	memcpy(out->host, p, hl);
	out->host[hl] = '\0';
	for (size_t i = 0; i < hl; i++)
		if (out->host[i] <= ' ' || out->host[i] == '/' || (unsigned char)out->host[i] >= 127)
			return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port == 0 || port > 65535)
		return -EINVAL;
	snprintf(out->port, sizeof(out->port), "%lu", port);
	return 0;
}

static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t el = sizeof(err);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		if (poll(&pfd, 1, CONNECT_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			return -errno;
		if (err)
			return -err;
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

static int rs_open(void *p)
{
	struct remote_sink *s = p;
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *res = NULL, *ai;
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	int err, one = 1;

	hints.ai_socktype = s->addr.tcp ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;	/* numeric addresses need no NSS (static binary) */
	err = getaddrinfo(s->addr.host, s->addr.port, &hints, &res);
	if (err) {
		if (err != EAI_SYSTEM)
			log_debug("output syslog: %s: %s", s->addr.host, gai_strerror(err));
		return err == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	}
	err = -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			err = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (s->addr.tcp)
			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		err = s->addr.tcp ? connect_timeout(fd, ai->ai_addr, ai->ai_addrlen) :
		      (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ? -errno : 0);
		if (!err) {
			s->fd = fd;
			break;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return err;
}

static void rs_close(void *p)
{
	struct remote_sink *s = p;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Has the peer closed or reset the connection? (syslog servers never talk back) */
static int tcp_peer_gone(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char junk[512];

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return -ECONNRESET;
	if (pfd.revents & POLLIN) {
		ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
	}
	return 0;
}

static long deliver_udp(struct remote_sink *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		ssize_t n;

		if (!nl)
			break;
		do
			n = send(s->fd, p, (size_t)(nl - p), MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return p > buf ? (long)(p - buf) : -errno;
		p = nl + 1;
	}
	return p == buf ? -EINVAL : (long)(p - buf);
}

static long deliver_tcp(struct remote_sink *s, const char *buf, size_t len)
{
	size_t fend[FRAMES_MAX], lend[FRAMES_MAX];	/* frame end in frames[], line end in buf */
	size_t nf = 0, fl = 0, sent = 0;
	const char *p = buf, *end = buf + len;
	int err = tcp_peer_gone(s->fd);

	if (err)
		return err;
	while (p < end && nf < FRAMES_MAX && fl < FRAME_BYTES_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ml, need;
		char prefix[24];
		int pl;

		if (!nl)
			break;
		ml = (size_t)(nl - p);
		pl = snprintf(prefix, sizeof(prefix), "%zu ", ml);
		need = fl + (size_t)pl + ml;
		if (need > s->frames_cap) {
			size_t cap = s->frames_cap ? s->frames_cap : 16384;
			char *nb;

			while (cap < need)
				cap *= 2;
			nb = realloc(s->frames, cap);
			if (!nb)
				return nf ? -ENOMEM : -ENOMEM;
			s->frames = nb;
			s->frames_cap = cap;
		}
		memcpy(s->frames + fl, prefix, (size_t)pl);
		memcpy(s->frames + fl + (size_t)pl, p, ml);
		fl += (size_t)pl + ml;
		fend[nf] = fl;
		lend[nf] = (size_t)(nl + 1 - buf);
		nf++;
		p = nl + 1;
	}
	if (!nf)
		return -EINVAL;
	while (sent < fl) {
		ssize_t n = send(s->fd, s->frames + sent, fl - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		sent += (size_t)n;
	}
	if (sent == fl)
		return (long)lend[nf - 1];
	/* Consumed: the frames sent whole. A frame cut short is sent again, whole,
	 * on the next connection. */
	for (size_t i = nf; i-- > 0;)
		if (fend[i] <= sent)
			return (long)lend[i];
	return err;
}

static long rs_deliver(void *p, enum oq_class cls, const char *buf, size_t len)
{
	struct remote_sink *s = p;

	return s->addr.tcp ? deliver_tcp(s, buf, len) : deliver_udp(s, buf, len);
}

static void rs_destroy(void *p)
{
	struct remote_sink *s = p;

	rs_close(s);
	free(s->frames);
	free(s);
}

static const struct oq_sink_ops remote_ops = {
	.open = rs_open,
	.deliver = rs_deliver,
	.close = rs_close,
	.destroy = rs_destroy,
};

struct output_queue *output_remote_new(const char *url, size_t alert_bytes,
				       size_t telemetry_bytes, char *err, size_t errlen)
{
	struct remote_sink *s = calloc(1, sizeof(*s));
	struct output_queue *q;
	char name[300];

	if (!s) {
		snprintf(err, errlen, "output: out of memory");
		return NULL;
	}
	s->fd = -1;
	if (output_remote_parse(url, &s->addr)) {
		snprintf(err, errlen, "output: --syslog-remote '%s': expected udp://HOST:PORT or "
			 "tcp://HOST:PORT ([v6 address] in brackets)", url);
		free(s);
		return NULL;
	}
	snprintf(name, sizeof(name), "syslog-%s://%s:%s", s->addr.tcp ? "tcp" : "udp",
		 s->addr.host, s->addr.port);
	q = oq_new(name, &remote_ops, s, alert_bytes, telemetry_bytes);
	if (!q) {
		snprintf(err, errlen, "output: out of memory");
		free(s);
	}
	return q;
}
