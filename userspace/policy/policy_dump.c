// SPDX-License-Identifier: GPL-2.0
/* Human-readable views of a compiled policy set (bulkhead check [--dump]). */
#include <arpa/inet.h>
#include <string.h>

#include "policy/policy_internal.h"

const char *policy_action_name(int action)
{
	return action == POLICY_DENY ? "deny" : "allow";
}

const char *policy_mode_name(int mode)
{
	return mode == POLICY_AUDIT ? "audit" : "enforce";
}

const char *policy_proto_name(int proto)
{
	switch (proto) {
	case POLICY_PROTO_TCP: return "tcp";
	case POLICY_PROTO_UDP: return "udp";
	case POLICY_PROTO_ICMP: return "icmp";
	default: return "any";
	}
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case POLICY_PAT_EXACT: return "exact";
	case POLICY_PAT_PREFIX: return "prefix";
	default: return "glob";
	}
}

void policy_ops_format(uint16_t ops, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	if (ops == POLICY_OPS_ALL) {
		snprintf(buf, len, "all");
		return;
	}
	for (int i = 0; i < POLICY_OP_COUNT && o < len; i++)
		if (ops & (1u << i))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
					      policy_op_names[i]);
}

static void file_defaults(const struct policy *p, char *buf, size_t len)
{
	size_t o = 0;
	int same = 1;

	for (int i = 1; i < POLICY_OP_COUNT; i++)
		if (p->file_default[i] != p->file_default[0])
			same = 0;
	if (same) {
		snprintf(buf, len, "%s", policy_action_name(p->file_default[0]));
		return;
	}
	o += (size_t)snprintf(buf, len, "(");
	for (int i = 0; i < POLICY_OP_COUNT && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s=%s", i ? " " : "", policy_op_names[i],
				      policy_action_name(p->file_default[i]));
	if (o < len)
		snprintf(buf + o, len - o, ")");
}

static void net_cidr(const struct policy_net_rule *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(r->family == POLICY_INET ? AF_INET : AF_INET6, r->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, r->prefix_len);
}

static void print_selector(const struct policy *p, FILE *f)
{
	if (p->node_default) {
		fprintf(f, "  selector: node-wide default: every container no other policy selects\n");
		return;
	}
	fprintf(f, "  selector:");
	for (int s = 0; s < POLICY_SEL_COUNT; s++) {
		if (!p->selector.n[s])
			continue;
		fprintf(f, " %s=[", policy_sel_names[s]);
		for (uint32_t i = 0; i < p->selector.n[s]; i++)
			fprintf(f, "%s%s", i ? "," : "", p->selector.patterns[s][i]);
		fprintf(f, "]");
	}
	fprintf(f, "\n");
}

void policy_set_print_summary(const struct policy_set *set, FILE *f)
{
	static const char *const sens[] = { "?", "low", "medium", "high" };
	char buf[256];

	for (uint32_t i = 0; i < set->n_policies; i++) {
		const struct policy *p = &set->policies[i];
		int on = __builtin_popcount(p->escape.enabled);

		fprintf(f, "policy %u \"%s\" (%s) %s:%u\n", p->id, p->name,
			p->node_default ? "NodeDefault" : "Policy", p->file_name, p->line);
		if (p->description)
			fprintf(f, "  description: %s\n", p->description);
		print_selector(p, f);
		fprintf(f, "  mode: file=%s exec=%s network=%s escape=%s\n",
			policy_mode_name(p->mode[POLICY_SEC_FILE]),
			policy_mode_name(p->mode[POLICY_SEC_EXEC]),
			policy_mode_name(p->mode[POLICY_SEC_NETWORK]),
			policy_mode_name(p->mode[POLICY_SEC_ESCAPE]));
		file_defaults(p, buf, sizeof(buf));
		fprintf(f, "  rules: file %u, exec %u, egress %u, ingress %u (compiled)\n",
			p->n_file, p->n_exec, p->n_net[0], p->n_net[1]);
		fprintf(f, "  defaults: file=%s exec=%s egress=%s ingress=%s\n", buf,
			policy_action_name(p->exec_default), policy_action_name(p->net_default[0]),
			policy_action_name(p->net_default[1]));
		fprintf(f, "  escape: %d/%d protections on", on, POLICY_ESC_COUNT);
		if (on != POLICY_ESC_COUNT) {
			fprintf(f, " (off:");
			for (int e = 0; e < POLICY_ESC_COUNT; e++)
				if (!(p->escape.enabled & (1u << e)))
					fprintf(f, " %s", policy_escape_names[e]);
			fprintf(f, ")");
		}
		fprintf(f, "\n");
		if (p->anomaly.enabled)
			fprintf(f, "  anomaly: on, sensitivity %s, learning window %us\n",
				sens[p->anomaly.sensitivity & 3], p->anomaly.learn_seconds);
		else
			fprintf(f, "  anomaly: off\n");
	}
}

void policy_set_dump(const struct policy_set *set, FILE *f)
{
	static const char *const dirs[] = { "egress", "ingress" };
	char ops[96], cidr[64], buf[256];

	fprintf(f, "# compiled policy set: %u policies; tables are in evaluation order "
		"(first match decides)\n", set->n_policies);
	for (uint32_t i = 0; i < set->n_policies; i++) {
		const struct policy *p = &set->policies[i];

		fprintf(f, "policy %u \"%s\"%s modes=%u,%u,%u,%u escape=%#x\n", p->id, p->name,
			p->node_default ? " node-default" : "", p->mode[0], p->mode[1], p->mode[2],
			p->mode[3], p->escape.enabled);
		file_defaults(p, buf, sizeof(buf));
		fprintf(f, "  file default: %s\n", buf);
		for (uint32_t r = 0; r < p->n_file; r++) {
			const struct policy_path_rule *x = &p->file[r];

			policy_ops_format(x->ops, ops, sizeof(ops));
			fprintf(f, "  file[%u] ref=%#010x %-5s %-6s spec=%-5u ops=%-24s %s  <- %s (line %u)\n",
				r, POLICY_REF(POLICY_REF_FILE, r), policy_action_name(x->action),
				kind_name(x->kind), x->specificity, ops, x->pattern,
				p->file_src[r].field, p->file_src[r].line);
		}
		fprintf(f, "  exec default: %s\n", policy_action_name(p->exec_default));
		for (uint32_t r = 0; r < p->n_exec; r++) {
			const struct policy_path_rule *x = &p->exec[r];

			fprintf(f, "  exec[%u] ref=%#010x %-5s %-6s spec=%-5u %s  <- %s (line %u)\n",
				r, POLICY_REF(POLICY_REF_EXEC, r), policy_action_name(x->action),
				kind_name(x->kind), x->specificity, x->pattern,
				p->exec_src[r].field, p->exec_src[r].line);
		}
		for (int d = 0; d < 2; d++) {
			fprintf(f, "  %s default: %s\n", dirs[d], policy_action_name(p->net_default[d]));
			for (uint32_t r = 0; r < p->n_net[d]; r++) {
				const struct policy_net_rule *x = &p->net[d][r];

				net_cidr(x, cidr, sizeof(cidr));
				fprintf(f, "  %s[%u] ref=%#010x %-5s ipv%u %-20s %-4s ports=%u-%u spec=%#x  <- %s (line %u)\n",
					dirs[d], r, POLICY_REF(d ? POLICY_REF_INGRESS : POLICY_REF_EGRESS, r),
					policy_action_name(x->action), x->family, cidr,
					policy_proto_name(x->proto), x->port_lo, x->port_hi,
					x->specificity, p->net_src[d][r].field, p->net_src[d][r].line);
			}
		}
		fprintf(f, "  anomaly: enabled=%u sensitivity=%u learn=%us forks/s=%u execs/s=%u "
			"connects/s=%u cpu%%=%u memory=%llu egressB/s=%llu\n",
			p->anomaly.enabled, p->anomaly.sensitivity, p->anomaly.learn_seconds,
			p->anomaly.fork_per_sec, p->anomaly.exec_per_sec, p->anomaly.connect_per_sec,
			p->anomaly.cpu_percent, (unsigned long long)p->anomaly.memory_bytes,
			(unsigned long long)p->anomaly.egress_bytes_per_sec);
	}
}
