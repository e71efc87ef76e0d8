# SPDX-License-Identifier: GPL-2.0
# libmemvigil-sampler.so (the in-process sampler, include/memvigil/sampler.h),
# its unit tests and its stress programs. Included by the top-level Makefile,
# whose BUILD, CC, CXX, PYTHON, CI, Q and msg it uses.
#
# Four builds of the library: the one installed, one whose probe functions
# also jump to test hooks (tests only), and that one under ThreadSanitizer and
# under AddressSanitizer.

SAMPLER_SO      := $(BUILD)/lib/memvigil/libmemvigil-sampler.so
SAMPLER_TEST_SO := $(BUILD)/sampler/test/libmemvigil-sampler.so
SAMPLER_TSAN_SO := $(BUILD)/sampler/tsan/libmemvigil-sampler.so
SAMPLER_ASAN_SO := $(BUILD)/sampler/asan/libmemvigil-sampler.so

SAMPLER_SRCS    := $(filter-out sampler/gen_log2_table.c,$(wildcard sampler/*.c)) sampler/probes.S
SAMPLER_PURE    := sampler/addr_set.c sampler/sample_math.c
SAMPLER_LOG2    := $(BUILD)/sampler/log2_table.h
SAMPLER_GEN     := $(BUILD)/sampler/gen_log2_table

SAMPLER_WARN    := -Wall -Wextra
ifeq ($(CI),true)
SAMPLER_WARN    += -Werror
endif
# Frame pointers so that a frame-pointer walk from a probe passes through the
# entry point's frame; no endbr64 before the probe functions' nop; no builtin
# malloc knowledge in the file that defines malloc; only exports.map exported.
SAMPLER_CFLAGS  := -O2 -g -std=gnu11 -D_GNU_SOURCE -fPIC -fno-omit-frame-pointer \
		   -fcf-protection=none -fno-builtin -fvisibility=hidden \
		   -fasynchronous-unwind-tables -fno-stack-protector $(SAMPLER_WARN) \
		   -Iinclude -I$(BUILD)/sampler
SAMPLER_LDFLAGS := -shared -Wl,--version-script=sampler/exports.map \
		   -Wl,-soname,libmemvigil-sampler.so -Wl,-z,now -Wl,-z,relro \
		   -Wl,--no-undefined -Wl,--as-needed
SAMPLER_LDLIBS  := -ldl -lpthread
SAMPLER_TSAN    := -fsanitize=thread
# Under TSan only the files with shared state are instrumented: the entry
# points and the resolver run inside TSan's own start-up (its dlsym calls
# malloc) before it can take an instrumented call; trace.c and the rest run
# only once a mode is set. Their memory accesses are instrumented, not their
# function entries: TSan starting a thread calls realloc (pthread_getattr_np)
# before that thread's shadow stack exists.
SAMPLER_TSAN_FILES := trace addr_set sample_math
SAMPLER_TSAN_LIB := $(SAMPLER_TSAN) --param=tsan-instrument-func-entry-exit=0
# Under ASan the same files only, for the same reason (the entry points run
# before ASan's start-up); libasan comes in as the library's dependency, after
# it in symbol lookup, so the library's malloc forwards to ASan's.
SAMPLER_ASAN_LIB := -fsanitize=address

sampler_objs = $(patsubst sampler/%,$(1)/%.o,$(SAMPLER_SRCS))
SAMPLER_OBJS      := $(call sampler_objs,$(BUILD)/sampler/obj)
SAMPLER_TEST_OBJS := $(call sampler_objs,$(BUILD)/sampler/test/obj)
SAMPLER_TSAN_OBJS := $(call sampler_objs,$(BUILD)/sampler/tsan/obj)
SAMPLER_ASAN_OBJS := $(call sampler_objs,$(BUILD)/sampler/asan/obj)

# Stress programs (tests/sampler/*.c, *.cc), once plain and once under TSan,
# and the shared objects they load or preload.
SAMPLER_ST_SRCS := $(wildcard tests/sampler/st_*.c tests/sampler/st_*.cc)
SAMPLER_ST_BINS := $(patsubst tests/sampler/%,$(BUILD)/tests/sampler/%,$(basename $(SAMPLER_ST_SRCS)))
SAMPLER_ST_TSAN := $(patsubst tests/sampler/%,$(BUILD)/tests/sampler/tsan/%,$(basename $(SAMPLER_ST_SRCS)))
SAMPLER_ST_LIBS := $(BUILD)/tests/sampler/plugin.so $(BUILD)/tests/sampler/bump_alloc.so \
		   $(BUILD)/tests/sampler/dlsym_alloc.so $(BUILD)/tests/sampler/sampler_ctl
SAMPLER_ST_FLAGS  := -O1 -g -fno-omit-frame-pointer -fno-builtin -pthread -D_GNU_SOURCE \
		     $(SAMPLER_WARN) -Iinclude -Itests/sampler -rdynamic
SAMPLER_ST_CFLAGS := -std=gnu11 $(SAMPLER_ST_FLAGS)
SAMPLER_ST_CXXFLAGS := -std=c++17 $(SAMPLER_ST_FLAGS)
# What every stress program links: the control object's accessor and the hooks.
SAMPLER_ST_HELPERS := ctl_access stress
SAMPLER_ST_OBJS := $(patsubst %,$(BUILD)/tests/sampler/obj/%.o,$(SAMPLER_ST_HELPERS))
SAMPLER_ST_TSAN_OBJS := $(patsubst %,$(BUILD)/tests/sampler/tsan/obj/%.o,$(SAMPLER_ST_HELPERS))
.SECONDARY: $(SAMPLER_ST_OBJS) $(SAMPLER_ST_TSAN_OBJS)

# Unit tests of the pure parts: tests/unit/test_sampler_*.c. This rule's stem
# is shorter than that of $(BUILD)/tests/unit/%, so make picks it. Not under
# TSan: Criterion maps its arena MAP_FIXED at random addresses, which TSan
# refuses; tests/sampler/st_set_race.c runs the threaded cases under TSan.
SAMPLER_UNIT_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer \
		       $(SAMPLER_WARN) -Iinclude -Iuser -Isampler -I$(BUILD)/sampler -pthread

.PHONY: sampler sampler-test-build test-sampler install-sampler

sampler: $(SAMPLER_SO)

sampler-test-build: $(SAMPLER_SO) $(SAMPLER_TEST_SO) $(SAMPLER_TSAN_SO) $(SAMPLER_ASAN_SO) $(SAMPLER_ST_BINS) \
		    $(SAMPLER_ST_TSAN) $(SAMPLER_ST_LIBS)

$(SAMPLER_GEN): sampler/gen_log2_table.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -Wextra -Iinclude $< -lm -o $@

$(SAMPLER_LOG2): $(SAMPLER_GEN)
	$(call msg,GEN,$@)
	$(Q)$< > $@

# $(1) objects, $(2) flags, $(3) the library, $(4) its objects, $(5) flags of the
# files in SAMPLER_TSAN_FILES and of the link.
define sampler_variant
$(1)/%.c.o: sampler/%.c | $(SAMPLER_LOG2)
	$$(call msg,CC,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $$(SAMPLER_CFLAGS) $(2) $$(if $$(filter $$*,$$(SAMPLER_TSAN_FILES)),$(5)) \
		-MMD -MP -c $$< -o $$@

$(1)/%.S.o: sampler/%.S
	$$(call msg,AS,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $$(SAMPLER_CFLAGS) $(2) -MMD -MP -c $$< -o $$@

$(3): $(4) sampler/exports.map
	$$(call msg,LD,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $$(SAMPLER_LDFLAGS) $(2) $(5) $(4) $$(SAMPLER_LDLIBS) -o $$@
endef

$(eval $(call sampler_variant,$(BUILD)/sampler/obj,,$(SAMPLER_SO),$(SAMPLER_OBJS)))
$(eval $(call sampler_variant,$(BUILD)/sampler/test/obj,-DMVS_TEST_HOOKS,$(SAMPLER_TEST_SO),$(SAMPLER_TEST_OBJS)))
$(eval $(call sampler_variant,$(BUILD)/sampler/tsan/obj,-DMVS_TEST_HOOKS,$(SAMPLER_TSAN_SO),$(SAMPLER_TSAN_OBJS),$(SAMPLER_TSAN_LIB)))
$(eval $(call sampler_variant,$(BUILD)/sampler/asan/obj,-DMVS_TEST_HOOKS,$(SAMPLER_ASAN_SO),$(SAMPLER_ASAN_OBJS),$(SAMPLER_ASAN_LIB)))

$(BUILD)/tests/unit/test_sampler_%: tests/unit/test_sampler_%.c $(SAMPLER_PURE) user/model/sampling.c \
				    $(SAMPLER_LOG2) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLER_UNIT_CFLAGS) -MMD -MP $< $(SAMPLER_PURE) user/model/sampling.c \
		-lcriterion -lm -o $@

$(BUILD)/tests/sampler/obj/%.o: tests/sampler/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLER_ST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/sampler/tsan/obj/%.o: tests/sampler/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLER_ST_CFLAGS) $(SAMPLER_TSAN) -MMD -MP -c $< -o $@

$(BUILD)/tests/sampler/%: tests/sampler/%.c $(SAMPLER_ST_OBJS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLER_ST_CFLAGS) -MMD -MP $< $(SAMPLER_ST_OBJS) -ldl -o $@

$(BUILD)/tests/sampler/%: tests/sampler/%.cc $(SAMPLER_ST_OBJS) | deps
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(SAMPLER_ST_CXXFLAGS) -MMD -MP $< $(SAMPLER_ST_OBJS) -ldl -o $@

$(BUILD)/tests/sampler/tsan/%: tests/sampler/%.c $(SAMPLER_ST_TSAN_OBJS) | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLER_ST_CFLAGS) $(SAMPLER_TSAN) -MMD -MP $< $(SAMPLER_ST_TSAN_OBJS) -ldl -o $@

$(BUILD)/tests/sampler/tsan/%: tests/sampler/%.cc $(SAMPLER_ST_TSAN_OBJS) | deps
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) $(SAMPLER_ST_CXXFLAGS) $(SAMPLER_TSAN) -MMD -MP $< $(SAMPLER_ST_TSAN_OBJS) \
		-ldl -o $@

# The address table alone, no library: plain and under TSan.
$(BUILD)/tests/sampler/st_set_race: tests/sampler/st_set_race.c sampler/addr_set.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLER_ST_CFLAGS) -Isampler $^ -o $@

$(BUILD)/tests/sampler/tsan/st_set_race: tests/sampler/st_set_race.c sampler/addr_set.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLER_ST_CFLAGS) $(SAMPLER_TSAN) -Isampler $^ -o $@

$(BUILD)/tests/sampler/plugin.so: tests/sampler/plugin.cc | deps
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) -O1 -g -fPIC -shared $(SAMPLER_WARN) $< -o $@

$(BUILD)/tests/sampler/bump_alloc.so: tests/sampler/bump_alloc.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fPIC -shared -mcx16 -fno-builtin -D_GNU_SOURCE $(SAMPLER_WARN) $< -o $@

$(BUILD)/tests/sampler/dlsym_alloc.so: tests/sampler/dlsym_alloc.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fPIC -shared -D_GNU_SOURCE $(SAMPLER_WARN) $< -ldl -o $@

test-sampler: sampler-test-build
	$(Q)$(PYTHON) tests/sampler/run.py --build $(BUILD)

install-sampler: $(SAMPLER_SO)
	install -D -m 0644 $(SAMPLER_SO) $(DESTDIR)$(PREFIX)/lib/memvigil/libmemvigil-sampler.so

-include $(wildcard $(BUILD)/sampler/obj/*.d $(BUILD)/sampler/test/obj/*.d \
	$(BUILD)/sampler/tsan/obj/*.d $(BUILD)/sampler/asan/obj/*.d \
	$(BUILD)/tests/sampler/*.d $(BUILD)/tests/sampler/tsan/*.d \
	$(BUILD)/tests/sampler/obj/*.d $(BUILD)/tests/sampler/tsan/obj/*.d \
	$(BUILD)/tests/unit/test_sampler_*.d)
