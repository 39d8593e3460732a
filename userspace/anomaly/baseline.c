// SPDX-License-Identifier: GPL-2.0
/* EWMA statistics, workload keys and the state file. See baseline.h. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "anomaly/baseline.h"

#define STATE_MAGIC "bulkhead-anomaly-state 1"
#define STATE_MAX_BYTES (8u << 20)
#define STATE_LINE_MAX 1024

const char *const anom_metric_names[AM_COUNT] = {
	[AM_FORKS] = "forks", [AM_EXECS] = "execs", [AM_CONNECTS] = "connects",
	[AM_PORTS] = "ports", [AM_DESTS] = "destinations", [AM_CPU] = "cpu",
	[AM_MEMORY] = "memory", [AM_EGRESS] = "egress",
};

double ewma_alpha(double window)
{
	return window < 1 ? 1 : 2 / (window + 1);
}

void ewma_add(struct ewma *e, double x, double alpha)
{
	double d, inc;

	if (!isfinite(x))
		return;
	if (!e->n) {
		e->mean = x;
		e->var = 0;
		e->n = 1;
		return;
	}
	/* While the window is not full, weigh samples equally (a plain mean). */
	if (alpha < 1.0 / (double)(e->n + 1))
		alpha = 1.0 / (double)(e->n + 1);
	d = x - e->mean;
	inc = alpha * d;
	e->mean += inc;
	e->var = (1 - alpha) * (e->var + d * inc);
	if (e->var < 0 || !isfinite(e->var))
		e->var = 0;
	e->n++;
}

double ewma_sd(const struct ewma *e)
{
	return sqrt(e->var);
}

double ewma_z(const struct ewma *e, double x, double min_sd)
{
	double sd = ewma_sd(e);

	if (sd < min_sd)
		sd = min_sd;
	return sd > 0 ? (x - e->mean) / sd : 0;
}

/* ---- Workload keys ---- */

/* Kubernetes' SafeEncodeString alphabet (pod name suffixes). */
static bool safe_char(char c)
{
	return strchr("bcdfghjklmnpqrstvwxz2456789", c) && c;
}

static bool all_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!safe_char(s[i]))
			return false;
	return n > 0;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* The start of the last "-segment" of s[0..n), or n if none. */
static size_t last_dash(const char *s, size_t n)
{
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '-')
			return i - 1;
	return n;
}

size_t pod_base_len(const char *pod)
{
	size_t n = strlen(pod), d = last_dash(pod, n), d2;

	if (d == n || d == 0)
		return n;
	if (all_digits(pod + d + 1, n - d - 1))
		return d;			/* StatefulSet ordinal */
	if (n - d - 1 != 5 || !all_safe(pod + d + 1, 5))
		return n;
	/* "-xxxxx": a DaemonSet, Job or ReplicaSet pod; a ReplicaSet's hash before it. */
	d2 = last_dash(pod, d);
	if (d2 != d && d2 > 0 && d - d2 - 1 >= 6 && d - d2 - 1 <= 10 && all_safe(pod + d2 + 1, d - d2 - 1))
		return d2;
	return d;
}

void workload_key(const char *ns, const char *pod, const char *container, const char *image,
		  const char *id, char *out, size_t len)
{
	if (pod && pod[0])
		snprintf(out, len, "%s/%.*s/%s", ns ? ns : "", (int)pod_base_len(pod), pod,
			 container ? container : "");
	else if (image && image[0])
		snprintf(out, len, "image:%s", image);
	else
		snprintf(out, len, "ct:%s", container && container[0] ? container : id ? id : "");
}

/* ---- The table ---- */

struct baselines {
	struct workload *w;
	size_t n, cap;
};

struct baselines *baselines_new(void)
{
	return calloc(1, sizeof(struct baselines));
}

void baselines_free(struct baselines *b)
{
	if (!b)
		return;
	free(b->w);
	free(b);
}

size_t baselines_count(const struct baselines *b)
{
	return b->n;
}

/* Pointers into the table stay valid: it is allocated once at its full size. */
struct workload *baselines_get(struct baselines *b, const char *key, uint64_t now_s)
{
	struct workload *w;

	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->w[i].key, key))
			return &b->w[i];
	if (!b->w && !(b->w = calloc(BASELINE_MAX_WORKLOADS, sizeof(*b->w))))
		return NULL;
	if (b->n >= BASELINE_MAX_WORKLOADS)
		return NULL;
	w = &b->w[b->n++];
	memset(w, 0, sizeof(*w));
	snprintf(w->key, sizeof(w->key), "%s", key);
	w->first_seen = now_s;
	return w;
}

/* ---- The state file ---- */

static void escape_key(const char *k, char *out, size_t len)
{
	size_t o = 0;

	for (; *k && o + 4 < len; k++) {
		unsigned char c = (unsigned char)*k;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("._:/@+-", c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static int unescape_key(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned c = (unsigned char)*s;

		if (o + 1 >= len)
			return -1;
		if (c == '%') {
			char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
			char *end;

			if (!s[1] || !s[2])
				return -1;
			c = (unsigned)strtoul(hex, &end, 16);
			if (*end || !c)
				return -1;
			s += 2;
		} else if (c <= ' ' || c >= 127) {
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o ? 0 : -1;
}

int baselines_save(const struct baselines *b, const char *path, char *err, size_t errlen)
{
	char tmp[4200], key[3 * BASELINE_KEY_MAX + 1];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "anomaly: state file path too long");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "anomaly: %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "%s\n", STATE_MAGIC);
	for (size_t i = 0; i < b->n; i++) {
		const struct workload *w = &b->w[i];

		escape_key(w->key, key, sizeof(key));
		for (int m = 0; m < AM_COUNT; m++)
			if (w->m[m].n)
				fprintf(f, "w %s %s %llu %.17g %.17g %llu\n", key, anom_metric_names[m],
					(unsigned long long)w->m[m].n, w->m[m].mean, w->m[m].var,
					(unsigned long long)w->first_seen);
	}
	if (fflush(f) || fsync(fileno(f))) {
		snprintf(err, errlen, "anomaly: %s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path)) {
		snprintf(err, errlen, "anomaly: rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int parse_line(struct baselines *b, char *line, char *why, size_t whylen)
{
	char *f[8], *save = NULL, *end;
	char key[BASELINE_KEY_MAX];
	unsigned long long n, first;
	double mean, var;
	struct workload *w;
	int nf = 0, m;

	for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (nf == 8)
			break;
		f[nf++] = t;
	}
	if (nf != 7 || strcmp(f[0], "w")) {
		snprintf(why, whylen, "expected \"w KEY METRIC N MEAN VAR FIRST_SEEN\"");
		return -1;
	}
	if (unescape_key(f[1], key, sizeof(key))) {
		snprintf(why, whylen, "bad workload key");
		return -1;
	}
	for (m = 0; m < AM_COUNT; m++)
		if (!strcmp(f[2], anom_metric_names[m]))
			break;
	if (m == AM_COUNT) {
		snprintf(why, whylen, "unknown metric \"%.32s\"", f[2]);
		return -1;
	}
	errno = 0;
	n = strtoull(f[3], &end, 10);
	if (errno || *end || f[3][0] == '-' || n == 0 || n > (1ull << 40)) {
		snprintf(why, whylen, "bad sample count");
		return -1;
	}
	mean = strtod(f[4], &end);
	if (*end || !isfinite(mean) || fabs(mean) > 1e18) {
		snprintf(why, whylen, "bad mean");
		return -1;
	}
	var = strtod(f[5], &end);
	if (*end || !isfinite(var) || var < 0 || var > 1e36) {
		snprintf(why, whylen, "bad variance");
		return -1;
	}
	first = strtoull(f[6], &end, 10);
	if (*end || f[6][0] == '-' || first > (1ull << 40)) {
		snprintf(why, whylen, "bad first-seen time");
		return -1;
	}
	if (!(w = baselines_get(b, key, first))) {
		snprintf(why, whylen, "more than %d workloads", BASELINE_MAX_WORKLOADS);
		return -1;
	}
	w->m[m] = (struct ewma){ .mean = mean, .var = var, .n = n };
	w->first_seen = first;
	return 0;
}

static int load_into(struct baselines *b, const char *buf, size_t len, char *err, size_t errlen);

/* All or nothing: parsed into a new table, which replaces b's only when every line is good. */
int baselines_load_buffer(struct baselines *b, const char *buf, size_t len, char *err, size_t errlen)
{
	struct baselines tmp = { 0 };

	if (load_into(&tmp, buf, len, err, errlen)) {
		free(tmp.w);
		return -1;
	}
	free(b->w);
	*b = tmp;
	return 0;
}

static int load_into(struct baselines *b, const char *buf, size_t len, char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len;
	char line[STATE_LINE_MAX + 1], why[128];
	unsigned lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		lineno++;
		if (n > STATE_LINE_MAX || memchr(p, '\0', n)) {
			snprintf(err, errlen, "line %u: too long or binary", lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC)) {
				snprintf(err, errlen, "line 1: not a bulkhead anomaly state file");
				return -1;
			}
			continue;
		}
		if (!n)
			continue;
		if (parse_line(b, line, why, sizeof(why))) {
			snprintf(err, errlen, "line %u: %s", lineno, why);
			return -1;
		}
	}
	if (!lineno) {
		snprintf(err, errlen, "empty file");
		return -1;
	}
	return 0;
}

int baselines_load(struct baselines *b, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *buf = NULL, e2[200];
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int ret = -1;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? 1 : -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > STATE_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path, STATE_MAX_BYTES);
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1)))
		goto out;
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	if (baselines_load_buffer(b, buf, got, e2, sizeof(e2))) {
		snprintf(err, errlen, "%s: %s", path, e2);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}
