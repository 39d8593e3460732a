// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target over the whole policy pipeline: YAML -> tree -> schema ->
 * compiled set -> cross checks, then every consumer of a set (summary, dump,
 * selection, the reference evaluators, rule references) on what loaded.
 * The first line of the input doubles as a path / name to evaluate, so the
 * glob matcher sees fuzzed patterns against fuzzed subjects.
 *
 *   make fuzz            (long run)    make fuzz-smoke   (20 s, the test suite)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_errors errs;
	struct policy_set *set;
	char subject[512], buf[2048];
	size_t n = 0;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	while (n < size && n < sizeof(subject) - 1 && data[n] != '\n' && data[n] != 0) {
		subject[n] = (char)data[n];
		n++;
	}
	subject[n] = 0;

	policy_errors_init(&errs);
	set = policy_set_load_buffer("fuzz.yaml", (const char *)data, size, &errs);
	for (uint32_t i = 0; i < errs.n; i++)
		policy_error_format(&errs.v[i], buf, sizeof(buf));
	if (set) {
		struct policy_container c = { .k8s_namespace = subject, .k8s_pod = subject,
					      .k8s_container = subject, .cgroup_path = subject };
		uint8_t addr[16] = { 10, 0, 0, 1 };
		uint32_t tie, ref;

		if (devnull) {
			policy_set_print_summary(set, devnull);
			policy_set_dump(set, devnull);
		}
		policy_select(set, &c, &tie);
		for (uint32_t i = 0; i < set->n_policies; i++) {
			const struct policy *p = &set->policies[i];

			for (int op = 0; op < POLICY_OP_COUNT; op++) {
				policy_file_decide(p, subject[0] == '/' ? subject : "/etc/passwd", op, &ref);
				policy_rule_ref_format(set, p->id, ref, buf, sizeof(buf));
			}
			policy_exec_decide(p, subject, &ref);
			policy_rule_ref_format(set, p->id, ref, buf, sizeof(buf));
			for (int d = 0; d < 2; d++) {
				policy_net_decide(p, d, POLICY_INET, addr, POLICY_PROTO_TCP, 443, &ref);
				policy_net_decide(p, d, POLICY_INET6, addr, POLICY_PROTO_ICMP, 0, &ref);
				policy_rule_ref_format(set, p->id, ref, buf, sizeof(buf));
			}
			for (uint32_t r = 0; r < p->n_file; r++)
				policy_rule_ref_format(set, p->id, POLICY_REF(POLICY_REF_FILE, r), buf,
						       sizeof(buf));
		}
		policy_rule_ref_format(set, 9999, 0xffffffffu, buf, sizeof(buf));
	}
	policy_set_free(set);
	policy_errors_free(&errs);
	return 0;
}
