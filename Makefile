# SPDX-License-Identifier: GPL-2.0
# memvigil - eBPF memory tracer. `make help` lists the targets.

BUILD     ?= build
ARCH      := x86
PREFIX    ?= /usr/local
DESTDIR   ?=
VERSION   := 0.1.0

CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
OBJCOPY   ?= objcopy
PYTHON    ?= /usr/bin/python3

VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h

CFLAGS    ?= -O2 -g
CFLAGS    += -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -DMV_VERSION='"$(VERSION)"'
ifeq ($(CI),true)
CFLAGS    += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif
# ThreadSanitizer, for where memvigil's threads meet (the debuginfod fetcher).
ifeq ($(SANITIZE),thread)
CFLAGS    += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=thread
endif
CPPFLAGS  += -Iinclude -Iuser -I$(BUILD)
# The C++ demangler (__cxa_demangle) from GCC's static libsupc++: no libstdc++.so
# at run time, so the binary still runs where no C++ runtime is installed.
LDLIBS    += -Wl,-Bstatic -lbpf -lsupc++ -Wl,-Bdynamic -lmicrohttpd -ldw -llzma -lelf -lz -lm -ldl
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Iinclude -Ivmlinux/$(ARCH) -Ibpf

# maps.bpf.c defines the shared maps and must be linked first: otherwise the
# skeleton step fails (bpftool 7.5, libbpf 1.5) with
#   libbpf: prog 'handle_fault_user': map relo failed to find map for section '.maps', off 344
#   Error: failed to open BPF object file: Relocation failed
BPF_SRCS  := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKEL      := $(BUILD)/memvigil.skel.h

USER_SRCS := $(wildcard user/*.c user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))
LIB       := $(BUILD)/libmemvigil.a
BIN       := $(BUILD)/memvigil
SERVICE   := $(BUILD)/memvigil.service

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_DATA_SRCS := $(wildcard tests/unit/data/*.c)
UNIT_DATA := $(patsubst tests/unit/data/%.c,$(BUILD)/tests/unit/data/%,$(UNIT_DATA_SRCS))
# inlined_lines split as distributions ship binaries, and with MiniDebugInfo that is no xz
UNIT_DL := $(BUILD)/tests/unit/data/inlined_lines
UNIT_DATA += $(UNIT_DL)_mini $(UNIT_DL)_link $(UNIT_DL)_badmini $(UNIT_DL)_split

WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
# truth.h: the READY/TRUTH lines the workloads print (#include "truth.h")
WORKLOAD_HDRS := $(wildcard tests/workloads/*.h)
WORKLOADS := $(patsubst tests/workloads/%.c,$(BUILD)/tests/workloads/%,$(WORKLOAD_SRCS))
WORKLOAD_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls -pthread -Wall -Wextra
CXX       ?= g++
# The known-leak workload once per allocator (and statically linked), and a
# C++ workload per allocator; cxx_leak_glibc uses libstdc++'s operators.
ALLOCATORS := jemalloc tcmalloc mimalloc
WL_LINK_jemalloc := -DWITH_JEMALLOC -ljemalloc
WL_LINK_tcmalloc := -DWITH_TCMALLOC -ltcmalloc
WL_LINK_mimalloc := -DWITH_MIMALLOC -lmimalloc
WL_LINK_static := -static
WL_LINK_glibc :=
WORKLOADS += $(foreach a,$(ALLOCATORS) static,$(BUILD)/tests/workloads/alloc_leak_$(a)) \
	     $(foreach a,$(ALLOCATORS) glibc,$(BUILD)/tests/workloads/cxx_leak_$(a))
# debug_leak: -O2 -g without frame pointers, then stripped three ways with its
# names kept apart (split_debug.sh): a build-id debug file, a debuglink, MiniDebugInfo.
DEBUG_VARIANTS := buildid link mini
DL_MODE_buildid := build-id
DL_MODE_link := link
DL_MODE_mini := mini
WORKLOADS += $(foreach v,$(DEBUG_VARIANTS),$(BUILD)/tests/workloads/debug_leak_$(v))
DL_CFLAGS := -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -Wall -Wextra
# C++ with frame pointers calling back through a library built without them.
NOFP_MID_LIB := $(BUILD)/tests/workloads/libnofp_mid.so
WORKLOADS += $(BUILD)/tests/workloads/nofp_mixed

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all deps demo test test-layers test-unwind test-unit test-integration test-asan test-tsan test-kmatrix bench bench-build install clean vmlinux help

all: $(BIN) $(WORKLOADS)

# Every build first makes sure the toolchain is installed (silent when it is).
deps:
	$(Q)scripts/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/memvigil.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(BUILD)/memvigil.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name memvigil_bpf > $@

$(BUILD)/user/%.o: user/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# Only the probe loader (probes/) includes the skeleton.
$(BUILD)/user/probes/probes.o $(BUILD)/user/probes/kernel_probes.o \
	$(BUILD)/user/probes/uprobe_attach.o $(BUILD)/user/probes/unwind_maps.o: $(SKEL)

# The HTML report's page is built into the writer as it is (.incbin).
HTML_PAGE := $(addprefix user/output/report_page,_head.html .js _tail.html)
$(BUILD)/user/output/report_html.o: $(HTML_PAGE)
$(BUILD)/user/output/report_html.o: CPPFLAGS += \
	-DMV_HTML_PAGE_HEAD='"$(abspath $(word 1,$(HTML_PAGE)))"' \
	-DMV_HTML_PAGE_JS='"$(abspath $(word 2,$(HTML_PAGE)))"' \
	-DMV_HTML_PAGE_TAIL='"$(abspath $(word 3,$(HTML_PAGE)))"'

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/user/main.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP $< $(LIB) $(LDFLAGS) $(LDLIBS) -lcriterion -o $@

# Binaries with known symbols that unit tests read (symbol tables, not run).
$(BUILD)/tests/unit/data/%: tests/unit/data/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O0 -g -fno-inline -o $@ $<

# Split DWARF: a skeleton unit naming the .dwo file gcc leaves beside it.
$(UNIT_DL)_split: tests/unit/data/inlined_lines.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O0 -g -gsplit-dwarf -fno-inline -o $@ $<

$(BUILD)/tests/workloads/%: tests/workloads/%.c $(WORKLOAD_HDRS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $< -o $@

# crafted_names leaks through functions whose names hold control bytes, which
# no compiler or assembler takes: its object file gets them from objcopy,
# spelled by the program itself (--symbol-name) so they are written once.
$(BUILD)/tests/workloads/crafted_names: tests/workloads/crafted_names.c $(WORKLOAD_HDRS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -c $< -o $@.o
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $@.o -o $@.names
	$(Q)$(OBJCOPY) --redefine-sym "leak_crafted=$$($@.names --symbol-name c)" \
		--redefine-sym "leak_crafted_cxx=$$($@.names --symbol-name cxx)" \
		--redefine-sym "leak_crafted_html=$$($@.names --symbol-name html)" $@.o
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $@.o -o $@
	$(Q)rm -f $@.o $@.names

# nofp_chain is built the way distributions build: -O2, no frame pointers.
$(BUILD)/tests/workloads/nofp_chain: tests/workloads/nofp_chain.c tests/unwind/deep_chain.h $(WORKLOAD_HDRS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer -Wall -Wextra $< -o $@


$(BUILD)/tests/workloads/debug_leak: tests/workloads/debug_leak.c $(WORKLOAD_HDRS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(DL_CFLAGS) $< -o $@

$(BUILD)/tests/workloads/debug_leak_%: tests/workloads/debug_leak.c $(WORKLOAD_HDRS) \
		tests/workloads/split_debug.sh | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(DL_CFLAGS) -DDL_VARIANT='"$*"' $< -o $@.full
	$(Q)tests/workloads/split_debug.sh $(DL_MODE_$*) $@.full $@
	$(Q)rm -f $@.full
$(NOFP_MID_LIB): tests/workloads/lib/nofp_mid.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fomit-frame-pointer -fPIC -shared -Wall -Wextra $< -o $@

$(BUILD)/tests/workloads/nofp_dlopen: $(NOFP_MID_LIB)

$(BUILD)/tests/workloads/nofp_mixed: tests/workloads/nofp_mixed.cc $(WORKLOAD_HDRS) $(NOFP_MID_LIB)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(WORKLOAD_CFLAGS) -std=c++17 $< -L$(@D) -lnofp_mid -Wl,-rpath,'$$ORIGIN' -o $@

$(BUILD)/tests/workloads/alloc_leak_%: tests/workloads/alloc_leak.c $(WORKLOAD_HDRS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $< $(WL_LINK_$*) -o $@

$(BUILD)/tests/workloads/cxx_leak_%: tests/workloads/cxx_leak.cc $(WORKLOAD_HDRS) | deps
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(WORKLOAD_CFLAGS) -std=c++17 $< $(filter-out -DWITH_%,$(WL_LINK_$*)) -o $@

demo: $(BIN) $(WORKLOADS)
	@echo "memvigil demo: tracing tests/workloads/demo_leak (leaks in leak_sessions) for its whole run"
	@echo "(a 4 s metrics window, as the demo runs 3 s; the default is 60 s)"
	$(BIN) --interval=0 --window=4 -- $(BUILD)/tests/workloads/demo_leak

# user/'s layering rule (docs/ARCHITECTURE.md): includes point down, no circles.
test-layers:
	$(Q)$(PYTHON) scripts/check-layers.py

$(UNIT_DL)_mini $(UNIT_DL)_link: $(UNIT_DL)_%: $(UNIT_DL) tests/workloads/split_debug.sh
	$(call msg,SPLIT,$@)
	$(Q)tests/workloads/split_debug.sh $* $< $@

$(UNIT_DL)_badmini: $(UNIT_DL)
	$(call msg,OBJCOPY,$@)
	$(Q)printf 'not xz data' > $@.xz
	$(Q)$(OBJCOPY) --add-section .gnu_debugdata=$@.xz $< $@
	$(Q)rm -f $@.xz

test-unit: $(UNIT_BINS) $(UNIT_DATA)
	$(Q)$(PYTHON) tests/run_unit.py $(BUILD) $(UNIT_BINS)

# INTEGRATION_FLAGS: more run.py options (test-asan leaves the clock-bound tests out).
test-integration: $(BIN) $(WORKLOADS)
	$(Q)$(PYTHON) tests/integration/run.py --build $(BUILD) $(INTEGRATION_FLAGS)

# The kernel matrix: tests/kmatrix/smoke on Debian's 6.1 and 6.12 (QEMU) and this host;
# memvigil goes into the guests too, to report a direct-reclaim stall end to end.
# The script comes with the workplace's shared tools, next to the checkout or
# at /work/shared; KMATRIX=PATH points elsewhere.
KMATRIX ?= $(firstword $(wildcard ../shared/tools/run-kernel-matrix.sh \
			 ../../shared/tools/run-kernel-matrix.sh \
			 /work/shared/tools/run-kernel-matrix.sh))
KMATRIX_SMOKE := $(BUILD)/tests/kmatrix/smoke

KMATRIX_OBJS := $(patsubst tests/kmatrix/%.c,$(BUILD)/tests/kmatrix/%.o,$(wildcard tests/kmatrix/*.c))

# With frame pointers: the smoke test counts a leak's bytes per stack, and a
# frame-pointer walk through code without them reads whatever %rbp holds.
$(BUILD)/tests/kmatrix/%.o: tests/kmatrix/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fno-omit-frame-pointer -MMD -MP -c $< -o $@

# The matrix carries the smoke binary's libraries into each guest, and memvigil
# runs there too: the smoke binary is linked to every library memvigil loads.
$(KMATRIX_SMOKE): $(KMATRIX_OBJS) $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDFLAGS) -Wl,--no-as-needed $(LDLIBS) -Wl,--as-needed -o $@

test-kmatrix: $(KMATRIX_SMOKE) $(BIN) $(BUILD)/tests/workloads/nofp_chain
	$(Q)$(PYTHON) tests/kmatrix/run.py "$(abspath $(KMATRIX))" $(KMATRIX_SMOKE) $(BIN)

# The same suites again with the userspace built under ASan and UBSan, one
# after the other; the integration tests whose time is a workload's clock are
# left out (run.py --no-clock-bound says how many).
test-asan: | deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 test-unit
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 \
		INTEGRATION_FLAGS=--no-clock-bound test-integration

# memvigil under ThreadSanitizer where its threads meet: the debuginfod fetcher
# beside the session, against real servers (one that answers, one that never does).
test-tsan: $(BIN) $(WORKLOADS) | deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan SANITIZE=thread $(BUILD)/tsan/memvigil
	$(Q)TSAN_OPTIONS="halt_on_error=1 exitcode=66 $(TSAN_OPTIONS)" $(PYTHON) \
		tests/integration/run.py --build $(BUILD)/tsan \
		--workloads $(BUILD)/tests/workloads -k debuginfod

test: | deps
	$(Q)$(PYTHON) tests/run_all.py $(MAKE) $(BUILD)

bench: $(BIN) $(BUILD)/unwind/cfi_stat | deps
	$(Q)$(MAKE) --no-print-directory -C bench BUILD=$(abspath $(BUILD))/bench MEMVIGIL=$(abspath $(BIN))

# The bench workloads and floor tool, built without running (part of make test).
bench-build: $(BIN) | deps
	$(Q)$(MAKE) --no-print-directory -C bench BUILD=$(abspath $(BUILD))/bench \
		MEMVIGIL=$(abspath $(BIN)) build

install: $(BIN) $(SERVICE)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/memvigil
	install -D -m 0644 docs/memvigil.8 $(DESTDIR)$(PREFIX)/share/man/man8/memvigil.8
	install -D -m 0644 $(SERVICE) $(DESTDIR)$(PREFIX)/lib/systemd/system/memvigil.service
	install -D -m 0644 deploy/systemd/memvigil.default \
		$(DESTDIR)$(PREFIX)/share/memvigil/memvigil.default
	install -D -m 0644 deploy/bash-completion/memvigil \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/memvigil

# The unit names the binary where install puts it: made again for each PREFIX.
.PHONY: $(SERVICE)
$(SERVICE): deploy/systemd/memvigil.service.in
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed 's|@SBINDIR@|$(PREFIX)/sbin|g' $< > $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H)
	uname -r > vmlinux/$(ARCH)/SOURCE_KERNEL

clean:
	rm -rf $(BUILD)

help:
	@echo "make            build memvigil and the test workloads into $(BUILD)/"
	@echo "make demo       build, then trace the bundled leaking demo and print the report"
	@echo "make test       the whole suite: unit, fuzz corpora, integration (root), kernel matrix,"
	@echo "                ASan/UBSan"
	@echo "make bench      overhead benchmarks (bench/), ratios measured side by side"
	@echo "make bench-build  build the benchmarks without running them (part of make test)"
	@echo "make install    install to \$$DESTDIR\$$PREFIX (default $(PREFIX))"
	@echo "make vmlinux    regenerate $(VMLINUX_H) from this kernel's BTF"
	@echo "make clean      remove $(BUILD)/"
	@echo "V=1 shows the commands; CI=true adds -Werror"

# ---- begin sampler (issue 13): libmemvigil-sampler.so, see sampler/sampler.mk ----
include sampler/sampler.mk
all: $(SAMPLER_SO)
# The bench's sampler rows preload the library built beside memvigil.
bench: $(SAMPLER_SO)
install: install-sampler
help: help-sampler
.PHONY: help-sampler
help-sampler:
	@echo "make sampler   build $(SAMPLER_SO) only"
	@echo "make test-sampler  the sampler's stress programs under the library (tests/sampler)"
# ---- end sampler ----

# ---- fuzzing (issue 17): make fuzz, make test-fuzz; see tests/fuzz/fuzz.mk ----
include tests/fuzz/fuzz.mk
help: help-fuzz
.PHONY: help-fuzz
help-fuzz:
	@echo "make fuzz      run each fuzz target for FUZZ_SECONDS (default 60) under libFuzzer"
	@echo "make test-fuzz replay the fuzz corpora and regression inputs (part of make test)"
# ---- end fuzzing ----

# ---- soak (issue 17): an ASan build traces a churning cgroup; see bench/soak.py ----
SOAK_MINUTES ?= 10
SOAK_OUT     ?= bench/soak.json
SOAK_RUN     = $(PYTHON) bench/soak.py --memvigil $(BUILD)/asan/memvigil \
		--workloads $(BUILD)/bench/workloads --sampler $(SAMPLER_SO)
.PHONY: soak test-soak soak-build help-soak
soak-build: $(SAMPLER_SO) bench-build | deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 $(BUILD)/asan/memvigil
soak: soak-build
	$(Q)$(SOAK_RUN) --minutes $(SOAK_MINUTES) --out $(SOAK_OUT)
# 20 s of the same, as one test of make test.
test-soak: soak-build
	$(Q)$(SOAK_RUN) --seconds 20 --out $(BUILD)/soak-smoke.json --summary
help: help-soak
help-soak:
	@echo "make soak      SOAK_MINUTES (default 10) of tracing a churning cgroup with an ASan build;"
	@echo "               figures to bench/soak.json (not part of make test)"
	@echo "make test-soak the same for 20 s (part of make test)"
# ---- end soak ----

-include $(wildcard $(BUILD)/bpf/*.d $(BUILD)/user/*.d $(BUILD)/user/*/*.d $(BUILD)/tests/unit/*.d \
	$(BUILD)/tests/kmatrix/*.d)

# ---- unwind: tables from call frame information, the BPF walker, their proof ----
# Self-contained (issue 12): user/unwind/cfi_table.c and the files it reads
# call frame information with (cfi_parse, cfi_reader, cfi_interp, cfi_rows;
# of the rest of memvigil only lib/grow), bpf/unwind.bpf.h, and tests/unwind/: a workload without
# frame pointers, its own BPF program and skeleton, the loader that proves
# the walk. Everything goes to $(BUILD)/unwind/.
#   make test-unwind    the proof (root); last line "N passed, N failed"
#   make bench-unwind   table build cost for libc and libstdc++, walk cost
UW_DIR        := $(BUILD)/unwind
UW_CPPFLAGS   := -Iinclude -Iuser -Itests/unwind -I$(UW_DIR)
UW_LIBS       := -Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz
UW_CFI_OBJS   := $(patsubst %,$(UW_DIR)/%.o,cfi_table cfi_parse cfi_reader cfi_interp cfi_rows) \
		 $(UW_DIR)/grow.o
UW_TEST_OBJS  := $(UW_DIR)/unwind_test.o $(UW_DIR)/proc_unwind.o $(UW_DIR)/elf_syms.o
UW_SKEL       := $(UW_DIR)/unwind_test.skel.h
# The proof's workload: the chain in deep_chain.h, -O2 without frame
# pointers, and again in fp/ with them (for the frame-pointer walk's cost).
UW_WL_CFLAGS  := -O2 -g -Wall -Wextra
UW_WL_NOFP    := -fomit-frame-pointer
UW_WL_FP      := -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer
UW_WORKLOADS  := $(UW_DIR)/deep_chain $(UW_DIR)/libdeep_chain.so \
		 $(UW_DIR)/fp/deep_chain $(UW_DIR)/fp/libdeep_chain.so
UW_CFI_TEST   := $(BUILD)/tests/unit/test_cfi_table
UW_CFI_DATA   := $(BUILD)/tests/unit/data/cfi_rules.so $(BUILD)/tests/unit/data/cfi_debug_frame.so
BENCH_UNWIND_LOOPS ?= 20000
BENCH_UNWIND_ROUNDS ?= 5

.PHONY: unwind test-unwind bench-unwind

unwind: $(UW_DIR)/unwind_test $(UW_DIR)/cfi_stat $(UW_WORKLOADS) $(UW_CFI_TEST)

$(UW_DIR)/%.o: user/unwind/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UW_CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(UW_DIR)/grow.o: user/lib/grow.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UW_CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(UW_DIR)/%.o: tests/unwind/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(UW_CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(UW_DIR)/unwind_test.o: $(UW_SKEL)

$(UW_DIR)/unwind_test.bpf.o: tests/unwind/unwind_test.bpf.c $(VMLINUX_H) | deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Itests/unwind -MMD -MP -c $< -o $@

$(UW_DIR)/unwind_test.linked.o: $(UW_DIR)/unwind_test.bpf.o
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(UW_SKEL): $(UW_DIR)/unwind_test.linked.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name unwind_test_bpf > $@

$(UW_DIR)/unwind_test: $(UW_TEST_OBJS) $(UW_CFI_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(UW_LIBS) -o $@

$(UW_DIR)/cfi_stat: $(UW_DIR)/cfi_stat.o $(UW_CFI_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lelf -lz -o $@

# $(1): the subfolder ("" or fp/), $(2): its frame-pointer flags.
define UW_WORKLOAD_RULES
$(UW_DIR)/$(1)libdeep_chain.so: tests/unwind/deep_lib.c tests/unwind/deep_chain.h
	$$(call msg,CC,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $$(UW_WL_CFLAGS) $(2) -fPIC -shared $$< -o $$@

$(UW_DIR)/$(1)deep_chain: tests/unwind/deep_chain.c tests/unwind/deep_chain.h \
		$(UW_DIR)/$(1)libdeep_chain.so
	$$(call msg,CC,$$@)
	$$(Q)$$(CC) $$(UW_WL_CFLAGS) $(2) $$< -L$$(@D) -ldeep_chain -Wl,-rpath,'$$$$ORIGIN' -o $$@
endef
$(eval $(call UW_WORKLOAD_RULES,,$(UW_WL_NOFP)))
$(eval $(call UW_WORKLOAD_RULES,fp/,$(UW_WL_FP)))

# The unit test's synthetic CFI comes from assembler directives in
# tests/unit/data/cfi_rules.S.
$(BUILD)/tests/unit/data/cfi_rules.so: tests/unit/data/cfi_rules.S
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -shared -nostdlib -Wl,--eh-frame-hdr $< -o $@

# cfi_debug_frame.so: .debug_frame only, stripped; its frames in cfi_debug_frame.debug.
$(BUILD)/tests/unit/data/cfi_debug_frame.so: tests/unwind/debug_frame_lib.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fno-asynchronous-unwind-tables -fno-exceptions -fPIC -shared -nostdlib \
		$< -o $@.full
	$(Q)$(OBJCOPY) --only-keep-debug $@.full $(@:.so=.debug)
	$(Q)$(OBJCOPY) --strip-debug $@.full $@
	$(Q)rm -f $@.full

# test_cfi_table is built by the unit-test rule (cfi_table is in $(LIB)); it reads these.
$(UW_CFI_TEST): $(UW_CFI_DATA)

test-unwind: $(UW_DIR)/unwind_test $(UW_WORKLOADS)
	$(Q)$(UW_DIR)/unwind_test $(UW_DIR)

bench-unwind: $(UW_DIR)/unwind_test $(UW_DIR)/cfi_stat $(UW_WORKLOADS)
	$(Q)grep -m1 'model name' /proc/cpuinfo
	$(Q)$(UW_DIR)/cfi_stat -r 11 /lib/x86_64-linux-gnu/libc.so.6 \
		/usr/lib/x86_64-linux-gnu/libstdc++.so.6
	$(Q)$(UW_DIR)/unwind_test --bench $(BENCH_UNWIND_LOOPS) $(BENCH_UNWIND_ROUNDS) $(UW_DIR)

-include $(wildcard $(UW_DIR)/*.d)
# ---- end of the unwind block ----
