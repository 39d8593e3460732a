#!/bin/sh
# Write a large policy set for the scale tests and benches:
#   gen_policy_set.sh DIR POLICIES NET_RULES FILE_RULES [VARIANT [NAMESPACE_PREFIX]]
# POLICIES files DIR/pNN.yaml, each a Policy selecting namespace PREFIXNN with
# NET_RULES egress rules (one /32 CIDR and one port range each, alternating allow/deny),
# as many ingress rules when NET_RULES_INGRESS=1, and FILE_RULES file rules (distinct
# paths). VARIANT (a small number) changes the ports and paths, so two variants differ
# in every rule. Environment: NET_RULES_INGRESS=1 (ingress rules too), EXEC_RULES=N (exec
# rules), FILE_GLOBS=1 (file rules are globs, "/srv/vV/dP/gI/*.log"), EXTRA_EGRESS='{...}' (a
# YAML flow mapping put first in the first policy's egress list, which then gets one
# generated rule less).
dir=$1 np=$2 nr=$3 nf=$4 var=${5:-0} pfx=${6:-bh-scale}
mkdir -p "$dir" || exit 1
awk -v dir="$dir" -v np="$np" -v nr="$nr" -v nf="$nf" -v var="$var" -v pfx="$pfx" \
    -v ingress="${NET_RULES_INGRESS:-0}" -v nx="${EXEC_RULES:-0}" -v globs="${FILE_GLOBS:-0}" \
    -v extra="${EXTRA_EGRESS:-}" 'BEGIN {
	for (p = 1; p <= np; p++) {
		f = sprintf("%s/p%02d.yaml", dir, p)
		printf "apiVersion: bulkhead/v1\nkind: Policy\nmetadata: {name: p%02d}\nspec:\n", p > f
		printf "  selector: {namespaces: [%s%02d]}\n", pfx, p > f
		printf "  defaults: {file: allow, exec: allow, egress: allow, ingress: allow}\n" > f
		if (nf > 0) {
			printf "  file:\n" > f
			for (i = 0; i < nf; i++)
				if (globs)
					printf "    - {paths: [\"/srv/v%d/d%d/g%d/*.log\"], ops: [write], action: deny}\n", var, p, i > f
				else
					printf "    - {paths: [/srv/v%d/d%d/f%d], ops: [write], action: deny}\n", var, p, i > f
		}
		if (nx > 0) {	# a list holds at most 64: deny the first 64, allow the rest
			printf "  exec:\n    deny:\n" > f
			for (i = 0; i < nx && i < 64; i++)
				printf "      - /opt/v%d/bin%d\n", var, i > f
			if (nx > 64)
				printf "    allow:\n" > f
			for (i = 64; i < nx; i++)
				printf "      - /opt/v%d/ok%d\n", var, i > f
		}
		printf "  network:\n" > f
		for (d = 0; d < 1 + ingress; d++) {
			printf "    %s:\n", d ? "ingress" : "egress" > f
			n = nr
			if (!d && p == 1 && extra != "") {
				printf "      - %s\n", extra > f
				n = nr - 1
			}
			for (i = 0; i < n; i++) {
				lo = 1024 + ((i * 37 + var * 101) % 60000)
				printf "      - {cidrs: [10.%d.%d.%d/32], ports: [\"%d-%d\"], protocol: tcp, action: %s}\n",
				    p, int(i / 250), i % 250 + 1, lo, lo + 99, (i % 2) ? "deny" : "allow" > f
			}
		}
		close(f)
	}
}'
