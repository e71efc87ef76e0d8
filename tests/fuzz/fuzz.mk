# SPDX-License-Identifier: GPL-2.0
# Fuzz targets (tests/fuzz/fuzz_NAME.c) for the parsers of what a traced
# process or host hands memvigil. Included by the top-level Makefile, whose
# BUILD, CC, CLANG, CPPFLAGS, CFLAGS, LIB, LDLIBS, PYTHON, Q and msg it uses.
#
#   make fuzz          each target under libFuzzer (clang) for FUZZ_SECONDS,
#                      one after the other; FUZZ_ONLY="procmaps alert" picks some
#   make test-fuzz     every seed and regression input replayed through the
#                      same targets built with $(CC) under ASan and UBSan (in make test)

FUZZ_TARGETS  := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_ONLY     ?= $(FUZZ_TARGETS)
FUZZ_SECONDS  ?= 60
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_HDRS     := tests/fuzz/fuzz_input.h
# The parsers under test and what they call, built with clang and coverage.
FUZZ_LIB_SRCS := $(wildcard user/procfs/*.c user/binary/*.c user/lib/*.c user/symbolize/*.c) \
		 user/target/cgroup.c user/analysis/alert.c user/analysis/metric.c \
		 user/analysis/pressure.c user/session/options.c \
		 $(wildcard user/unwind/cfi_*.c) user/unwind/row_ranges.c \
		 user/ingest/record_reader.c user/session/record_final.c user/serve/api_route.c
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_DIR)/user/%.o,$(FUZZ_LIB_SRCS))
FUZZ_LIB      := $(FUZZ_DIR)/libmemvigil-fuzz.a
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   := -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -Wall -Wextra -std=gnu11 \
		 -D_GNU_SOURCE -DMV_VERSION='"$(VERSION)"'
ifeq ($(CI),true)
FUZZ_CFLAGS   += -Werror
endif
FUZZ_BINS     := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_REPLAYS  := $(patsubst %,$(BUILD)/tests/fuzz/fuzz_%-replay,$(FUZZ_TARGETS))

.PHONY: fuzz test-fuzz fuzz-replay

$(FUZZ_DIR)/user/%.o: user/%.c | deps
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# What a target needs beyond the parsers comes from the gcc build, not instrumented:
# the options parser's table names the unwinder's modes (probes/, libbpf).
FUZZ_LINK_options := $(LIB) $(LDLIBS)
$(FUZZ_DIR)/fuzz_options: $(LIB)
FUZZ_LINK_options_parse := $(FUZZ_LINK_options)
$(FUZZ_DIR)/fuzz_options_parse: $(LIB)
# libdw for DWARF lines; the symbolizer also demangles (libsupc++) and reads
# MiniDebugInfo (liblzma).
FUZZ_LINK_dwarf_lines := -ldw
FUZZ_LINK_symbolizer  := -ldw -llzma -Wl,-Bstatic -lsupc++ -Wl,-Bdynamic -ldl

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDRS) $(FUZZ_LIB) | deps
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) \
		$(FUZZ_LINK_$*) -lelf -lz -lm -o $@

fuzz: $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_ONLY))
	$(Q)$(PYTHON) tests/fuzz/run_fuzz.py $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_ONLY)

# The same target files with a plain main (replay.c) instead of libFuzzer's.
$(BUILD)/tests/fuzz/fuzz_%-replay: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDRS) $(LIB) \
		| deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) $< tests/fuzz/replay.c $(LIB) $(LDFLAGS) \
		$(LDLIBS) -o $@

fuzz-replay: $(FUZZ_REPLAYS)
	$(Q)$(PYTHON) tests/fuzz/replay.py $(BUILD) $(FUZZ_TARGETS)

test-fuzz: | deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 fuzz-replay

-include $(wildcard $(FUZZ_DIR)/user/*/*.d)
