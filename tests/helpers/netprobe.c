// SPDX-License-Identifier: GPL-2.0
/*
 * netprobe: one network action, its result as one word (OK or the errno name),
 * for tests that must tell EPERM (refused by a hook) from a timeout (dropped).
 *
 *   netprobe connect tcp|udp ADDR PORT [TIMEOUT_MS]   connect, send "ping", await a reply
 *   netprobe sendto udp ADDR PORT [TIMEOUT_MS]        unconnected sendto, await a reply
 *   netprobe ping ADDR [TIMEOUT_MS]                   ICMP/ICMPv6 echo over a raw socket
 *   netprobe bind tcp|udp ADDR PORT                   bind (and listen for tcp)
 *   netprobe serve tcp|udp ADDR PORT                  echo server; prints READY, runs until killed
 *   netprobe loop tcp ADDR PORT MS                    connect+echo repeatedly for MS ms;
 *                                                     prints "ok=N EPERM=N ..." counts
 *   netprobe rr ADDR PORT COUNT                       COUNT request/response round trips on one
 *                                                     TCP connection; prints ns per round trip
 *   netprobe session tcp|udp ADDR PORT [TIMEOUT_MS]   one connected socket kept open: prints
 *                                                     READY, then for each line on stdin sends
 *                                                     "ping N;" and prints OK when its echo
 *                                                     comes back (or the errno name)
 *
 * NETPROBE_SRC=ADDR binds client sockets to that source address first.
 *
 * Output: "OK [reply]" or the errno name ("EPERM", "ETIMEDOUT", ...); exit 0 for
 * OK, 1 otherwise, 2 on usage errors. Addresses: IPv4 or IPv6 literals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EINVAL: return "EINVAL";
	case EAGAIN: return "EAGAIN";
	case EPIPE: return "EPIPE";
	}
	return "EOTHER";
}

static int fail(int e)
{
	printf("%s\n", errname(e));
	return 1;
}

static int parse_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	fprintf(stderr, "netprobe: not an address: %s\n", s);
	exit(2);
}

static int proto_type(const char *p)
{
	if (!strcmp(p, "tcp"))
		return SOCK_STREAM;
	if (!strcmp(p, "udp"))
		return SOCK_DGRAM;
	fprintf(stderr, "netprobe: protocol must be tcp or udp: %s\n", p);
	exit(2);
}

/* Wait for data; returns bytes read, 0 on timeout (errno ETIMEDOUT), -1 on error. */
static ssize_t recv_wait(int fd, char *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r = poll(&p, 1, ms);

	if (r == 0) {
		errno = ETIMEDOUT;
		return 0;
	}
	if (r < 0)
		return -1;
	n = recv(fd, buf, len - 1, 0);
	if (n >= 0)
		buf[n] = 0;
	return n <= 0 ? -1 : n;
}

static int do_connect(int type, const char *addr, int port, int ms, int connected)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = parse_addr(addr, port, &ss, &sl), fd;
	char buf[256];
	ssize_t n;

	fd = socket(fam, type, 0);
	if (fd < 0)
		return fail(errno);
	if (getenv("NETPROBE_SRC")) {
		struct sockaddr_storage src;
		socklen_t srcl;

		parse_addr(getenv("NETPROBE_SRC"), 0, &src, &srcl);
		if (bind(fd, (struct sockaddr *)&src, srcl))
			return fail(errno);
	}
	if (connected) {
		struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&ss, sl))
			return fail(errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno);
		if (send(fd, "ping", 4, MSG_NOSIGNAL) < 0)
			return fail(errno);
	} else if (sendto(fd, "ping", 4, 0, (struct sockaddr *)&ss, sl) < 0) {
		return fail(errno);
	}
	n = recv_wait(fd, buf, sizeof(buf), ms);
	if (n <= 0)
		return fail(n == 0 ? ETIMEDOUT : errno);
	printf("OK %s\n", buf);
	return 0;
}

static uint16_t csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t s = 0;

	for (; len > 1; len -= 2)
		s += *w++;
	if (len)
		s += *(const uint8_t *)w;
	s = (s >> 16) + (s & 0xffff);
	s += s >> 16;
	return (uint16_t)~s;
}

static int do_ping(const char *addr, int ms)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = parse_addr(addr, 0, &ss, &sl), fd;
	uint8_t pkt[64] = { 0 }, buf[512];
	uint16_t id = (uint16_t)getpid();
	struct timespec t0, t;

	fd = socket(fam, SOCK_RAW, fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return fail(errno);
	if (fam == AF_INET) {
		struct icmphdr *h = (struct icmphdr *)pkt;

		h->type = ICMP_ECHO;
		h->un.echo.id = htons(id);
		h->un.echo.sequence = htons(1);
		h->checksum = csum(pkt, sizeof(pkt));
	} else {
		struct icmp6_hdr *h = (struct icmp6_hdr *)pkt;

		h->icmp6_type = ICMP6_ECHO_REQUEST;
		h->icmp6_id = htons(id);
		h->icmp6_seq = htons(1);
	}
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0)
		return fail(errno);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return fail(ETIMEDOUT);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return fail(errno);
		if (fam == AF_INET) {
			size_t ihl = (size_t)(buf[0] & 0xf) * 4;
			struct icmphdr *h = (struct icmphdr *)(buf + ihl);

			if ((size_t)n >= ihl + 8 && h->type == ICMP_ECHOREPLY && ntohs(h->un.echo.id) == id)
				break;
		} else {
			struct icmp6_hdr *h = (struct icmp6_hdr *)buf;

			if (n >= 8 && h->icmp6_type == ICMP6_ECHO_REPLY && ntohs(h->icmp6_id) == id)
				break;
		}
	}
	printf("OK\n");
	return 0;
}

static int do_bind(int type, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = parse_addr(addr, port, &ss, &sl), fd, one = 1;

	fd = socket(fam, type, 0);
	if (fd < 0)
		return fail(errno);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl))
		return fail(errno);
	if (type == SOCK_STREAM && listen(fd, 16))
		return fail(errno);
	printf("OK\n");
	return 0;
}

static void echo_conn(int c)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
		if (send(c, buf, (size_t)n, MSG_NOSIGNAL) < 0)
			break;
	close(c);
}

static int do_serve(int type, const char *addr, int port)
{
	struct sockaddr_storage ss, peer;
	socklen_t sl, pl;
	int fam = parse_addr(addr, port, &ss, &sl), fd, one = 1;
	char buf[4096];

	signal(SIGCHLD, SIG_IGN);
	fd = socket(fam, type, 0);
	if (fd < 0)
		return fail(errno);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		if (fam == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) || (type == SOCK_STREAM && listen(fd, 128)))
		return fail(errno);
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		pl = sizeof(peer);
		if (type == SOCK_DGRAM) {
			/* Reply from the address the datagram was sent to (IP_PKTINFO). */
			char cbuf[256];
			struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
			struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof(peer),
					    .msg_iov = &iov, .msg_iovlen = 1,
					    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
			ssize_t n = recvmsg(fd, &m, 0);

			if (n <= 0)
				continue;
			iov.iov_len = (size_t)n;
			sendmsg(fd, &m, 0);
			continue;
		}
		int c = accept(fd, (struct sockaddr *)&peer, &pl);

		if (c < 0)
			continue;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (fork() == 0) {
			close(fd);
			echo_conn(c);
			_exit(0);
		}
		close(c);
	}
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Connect and echo once per iteration; count outcomes by name. */
static int do_loop(const char *addr, int port, int ms)
{
	static const char *const names[] = { "ok", "EPERM", "ETIMEDOUT", "ECONNREFUSED", "EOTHER" };
	unsigned long count[5] = { 0 };
	struct sockaddr_storage ss;
	struct timespec t0;
	socklen_t sl;
	int fam = parse_addr(addr, port, &ss, &sl);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (elapsed_ms(&t0) < ms) {
		int fd = socket(fam, SOCK_STREAM, 0), k = 4;
		struct timeval tv = { .tv_sec = 1 };
		char buf[16];

		if (fd < 0)
			return fail(errno);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&ss, sl) == 0) {
			ssize_t n = -1;

			if (send(fd, "x", 1, MSG_NOSIGNAL) == 1)
				n = recv_wait(fd, buf, sizeof(buf), 1000);
			k = n > 0 ? 0 : n == 0 ? 2 : errno == EPERM ? 1 : 4;
		} else {
			k = errno == EPERM ? 1 : errno == ETIMEDOUT || errno == EINPROGRESS ? 2 :
			    errno == ECONNREFUSED ? 3 : 4;
		}
		count[k]++;
		close(fd);
	}
	for (int i = 0; i < 5; i++)
		printf("%s%s=%lu", i ? " " : "", names[i], count[i]);
	printf("\n");
	return 0;
}

/* Round trips of 64 bytes on one connection: the loopback benchmark. */
static int do_rr(const char *addr, int port, long count)
{
	struct sockaddr_storage ss;
	struct timespec t0, t1;
	socklen_t sl;
	int fam = parse_addr(addr, port, &ss, &sl), fd, one = 1;
	char buf[64] = { 0 };

	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl))
		return fail(errno);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		size_t got = 0;

		if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) != (ssize_t)sizeof(buf))
			return fail(errno);
		while (got < sizeof(buf)) {
			ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);

			if (n <= 0)
				return fail(n ? errno : ECONNRESET);
			got += (size_t)n;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("OK %.0f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)count);
	return 0;
}

/*
 * One socket for the whole run: the per-socket state (flow memory, memoized
 * decisions) lives across policy swaps, as a long-lived connection's does.
 * Each echo is matched by its number: a late echo of an earlier round (a TCP
 * retransmission, a delayed datagram) is not taken for this one.
 */
static int do_session(int type, const char *addr, int port, int ms)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	socklen_t sl;
	int fam = parse_addr(addr, port, &ss, &sl), fd, one = 1;
	char line[64], acc[8192];
	size_t have = 0;
	unsigned n = 0;

	fd = socket(fam, type, 0);
	if (fd < 0)
		return fail(errno);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, sl))
		return fail(errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno);
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	printf("READY\n");
	while (fgets(line, sizeof(line), stdin)) {
		char msg[32];
		struct timespec t0;
		int len = snprintf(msg, sizeof(msg), "ping %u;", ++n), got = 0, err = ETIMEDOUT;

		if (send(fd, msg, (size_t)len, MSG_NOSIGNAL) < 0) {
			printf("%s\n", errname(errno));
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (!got) {
			long left = ms - elapsed_ms(&t0);
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (left <= 0 || poll(&p, 1, (int)left) <= 0)
				break;
			if (have >= sizeof(acc) - 1)
				have = 0;
			r = recv(fd, acc + have, sizeof(acc) - 1 - have, 0);
			if (r <= 0) {
				err = r ? errno : ECONNRESET;
				break;
			}
			have += (size_t)r;
			acc[have] = 0;
			if (type == SOCK_DGRAM || strstr(acc, msg)) {
				got = strstr(acc, msg) != NULL;
				have = 0;
			}
		}
		printf("%s\n", got ? "OK" : errname(err));
	}
	close(fd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: netprobe connect|sendto|ping|bind|serve|loop|rr|session ... (see the source)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "connect") && argc >= 5)
		return do_connect(proto_type(argv[2]), argv[3], atoi(argv[4]),
				  argc > 5 ? atoi(argv[5]) : 1000, 1);
	if (!strcmp(argv[1], "sendto") && argc >= 5)
		return do_connect(SOCK_DGRAM, argv[3], atoi(argv[4]), argc > 5 ? atoi(argv[5]) : 1000, 0);
	if (!strcmp(argv[1], "ping"))
		return do_ping(argv[2], argc > 3 ? atoi(argv[3]) : 1000);
	if (!strcmp(argv[1], "bind") && argc >= 5)
		return do_bind(proto_type(argv[2]), argv[3], atoi(argv[4]));
	if (!strcmp(argv[1], "serve") && argc >= 5)
		return do_serve(proto_type(argv[2]), argv[3], atoi(argv[4]));
	if (!strcmp(argv[1], "loop") && argc >= 6)
		return do_loop(argv[3], atoi(argv[4]), atoi(argv[5]));
	if (!strcmp(argv[1], "session") && argc >= 5)
		return do_session(proto_type(argv[2]), argv[3], atoi(argv[4]),
				  argc > 5 ? atoi(argv[5]) : 1000);
	if (!strcmp(argv[1], "rr") && argc >= 5)
		return do_rr(argv[2], atoi(argv[3]), atol(argv[4]));
	usage();
	return 2;
}
