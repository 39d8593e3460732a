# The attack-scenario kit's technique runner (tests/attacks/attack.c): static, it
# runs inside busybox containers as /attack and /suid, and on the host as the
# fake runtime sockets' listener. Driven by tests/lib/attacks.sh.
$(BUILD)/tests/helpers/attack: tests/attacks/attack.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -static $< -o $@

test-bins: $(BUILD)/tests/helpers/attack
