#!/bin/bash
# bulkhead check over the shipped policies, the good and bad test inputs,
# a fake cgroup tree, and a short fuzzing run of the parser.
# Bad inputs carry their expected diagnostics as "# expect: TEXT" lines.
. "$(dirname "$0")/../lib/common.sh"

POL=$T_ROOT/policies
IN=$T_ROOT/tests/unit/policies
TMP=$(mktemp -d /tmp/bulkhead-policy-check.XXXXXX) || exit 1
t_defer "rm -rf '$TMP'"

# check_rc NAME EXPECTED-RC ARGS...: run bulkhead check, keep stdout/stderr in $TMP.
check_rc() {
	local name="$1" want="$2" rc
	shift 2
	"$T_BIN" check "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		t_pass "$name"
		return 0
	fi
	t_fail "$name" "expected exit $want, got $rc: $(head -n 3 "$TMP/err" | tr '\n' ' ')"
	return 1
}

# contains NAME FILE TEXT: pass if FILE contains TEXT (fixed string).
contains() {
	if grep -qF -- "$3" "$2"; then t_pass "$1"; else
		t_fail "$1" "expected \"$3\" in output; got: $(head -n 4 "$2" | tr '\n' ' ')"; fi
}

if [ ! -x "$T_BIN" ]; then
	t_fail policy_check_binary "$T_BIN not built"
	exit 1
fi

# The shipped set loads as a whole, and every file on its own.
if check_rc policies_dir_loads 0 "$POL" --no-cgroups; then
	contains policies_dir_summary "$TMP/out" "4 policies from 4 files loaded (0 warnings)"
	contains policies_dir_default "$TMP/out" 'policy 1 "node-default" (NodeDefault)'
	# Escape protections and anomaly detection are acted on: no "not implemented" note.
	if grep -q 'NOT enforced or monitored' "$TMP/out"; then
		t_fail policies_no_unimplemented_note "check still says escape or anomaly are not implemented"
	else
		t_pass policies_no_unimplemented_note
	fi
	contains policies_dir_modes "$TMP/out" "mode: file=audit exec=audit network=audit escape=enforce"
fi
for f in "$POL"/*.yaml; do
	check_rc "policy_file_loads_$(basename "$f" .yaml)" 0 "$f" --no-cgroups
done
for f in "$IN"/good/*.yaml; do
	check_rc "good_input_loads_$(basename "$f" .yaml)" 0 "$f" --no-cgroups
done

# --dump: compiled rules with references back to the YAML.
if check_rc dump_runs 0 "$POL/web-server.yaml" --dump --no-cgroups; then
	contains dump_file_rule "$TMP/out" "file[0] ref=0x01000000"
	contains dump_egress_rule "$TMP/out" "allow ipv4 10.96.0.10/32        udp  ports=53-53"
	contains dump_source "$TMP/out" "<- spec.network.egress[0] (line"
	contains dump_default "$TMP/out" "egress default: deny"
fi

# Bad inputs: exit 1, and every expected diagnostic (file:line:col: field: message).
for f in "$IN"/bad/*.yaml; do
	n=$(basename "$f" .yaml)
	check_rc "bad_input_rejected_$n" 1 "$f" --no-cgroups || continue
	i=0
	while IFS= read -r want; do
		i=$((i + 1))
		contains "bad_input_message_${n}_$i" "$TMP/err" "$want"
	done <<EOT
$(sed -n 's/^# expect: //p' "$f")
EOT
	contains "bad_input_summary_$n" "$TMP/err" "not loaded"
done

# A directory: files load in name order; one bad file fails the whole set.
mkdir -p "$TMP/dir"
cp "$POL"/*.yaml "$TMP/dir/"
cp "$IN/bad/typo-key.yaml" "$TMP/dir/zz-typo.yaml"
echo "not: yaml: [" > "$TMP/dir/ignored.txt"
if check_rc dir_with_bad_file_rejected 1 "$TMP/dir" --no-cgroups; then
	contains dir_with_bad_file_names_it "$TMP/err" "zz-typo.yaml:11:7: spec.file[0].pahts: unknown key"
fi
rm -f "$TMP/dir/zz-typo.yaml"
check_rc dir_ignores_non_yaml 0 "$TMP/dir" --no-cgroups

# Selectors against a cgroup tree (a fake one: plain directories).
CG=$TMP/cgroup
mkdir -p "$CG/batch.slice/job-1" "$CG/batch.slice/job-2/step" "$CG/system.slice/batch-7.scope" \
	"$CG/system.slice/sshd.service" "$CG/bulkhead-check-test/workers/w1" "$CG/kubepods/pod1/ctr"
if check_rc cgroup_root_matches 0 "$POL" --cgroup-root "$CG"; then
	contains cgroup_count "$TMP/out" "on this node: 13 cgroups under $CG"
	contains cgroup_batch_selects "$TMP/out" "batch-job: selects 5 cgroups"
	contains cgroup_batch_lists "$TMP/out" "    /batch.slice/job-2/step"
	contains cgroup_batch_scope "$TMP/out" "    /system.slice/batch-7.scope"
	contains cgroup_default_rest "$TMP/out" "node-default: applies to the 8 cgroups no other policy selects"
	contains cgroup_k8s_caveat "$TMP/out" "web-server: selects by Kubernetes names only: not evaluated here"
fi
if check_rc cgroup_prefix_selector 0 "$IN/good/cgroup-only.yaml" --cgroup-root "$CG"; then
	contains cgroup_prefix_lists "$TMP/out" "workers: selects 2 cgroups"
	contains cgroup_no_default "$TMP/out" "(no NodeDefault: 11 cgroups are selected by no policy)"
fi

# The machine's own cgroup2 tree: read-only walk, must not fail.
check_rc real_cgroup_tree 0 "$POL"
contains real_cgroup_tree_reported "$TMP/out" "on this node:"

# Usage and missing files.
check_rc usage_no_args 2
check_rc usage_bad_option 2 --frobnicate "$POL"
check_rc missing_file 1 "$TMP/does-not-exist.yaml"
contains missing_file_message "$TMP/err" "does-not-exist.yaml: cannot open: No such file or directory"
: > "$TMP/empty.yaml"
check_rc empty_file 1 "$TMP/empty.yaml"
contains empty_file_message "$TMP/err" "empty.yaml:1:1: no policy documents in this file"
head -c 1048577 /dev/zero | tr '\0' '#' > "$TMP/huge.yaml"
check_rc huge_file 1 "$TMP/huge.yaml"
contains huge_file_message "$TMP/err" "file too large: 1048577 bytes, at most 1048576"

# A short fuzzing run of the parser (the long one: make fuzz).
FUZZ=$T_BUILD/fuzz/fuzz_policy
if [ -x "$FUZZ" ] && [ "${T_FUZZ_SECONDS:-20}" -gt 0 ]; then
	mkdir -p "$TMP/corpus"
	for f in "$POL"/*.yaml "$IN"/*/*.yaml "$T_ROOT"/tests/fuzz/seeds/*; do
		[ -f "$f" ] && cp "$f" "$TMP/corpus/$(echo "$f" | tr / _)"
	done
	sh "$T_ROOT/tests/fuzz/smoke.sh" "$FUZZ" "$TMP/corpus" "${T_FUZZ_SECONDS:-20}" | tee "$TMP/fuzz"
	grep -q '^FAIL' "$TMP/fuzz" && T_FAILED=$((T_FAILED + 1))
else
	t_skip fuzz_policy_smoke "$FUZZ not built (make test-bins) or T_FUZZ_SECONDS=0"
fi

# With escape protections and anomaly detection off, there is nothing to warn about.
cat > "$TMP/quiet.yaml" <<'EOF'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: quiet}
spec:
  selector: {containers: [quiet]}
  escape: {mount: false, ptrace: false, kernelModules: false, bpf: false, privilegeEscalation: false,
           namespaces: false, hostPaths: false, devices: false, cgroups: false}
  anomaly: {enabled: false}
EOF
if check_rc policy_all_off_loads 0 "$TMP/quiet.yaml" --no-cgroups; then
	if grep -q 'NOT enforced or monitored' "$TMP/out"; then
		t_fail policy_all_off_no_note "check warned about sections the policy turns off"
	else
		t_pass policy_all_off_no_note
	fi
fi
t_finish
