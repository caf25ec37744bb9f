# fuzz.mk - the fuzz harnesses of tests/fuzz (included by build.mk).
#
# Each harness tests/fuzz/fuzz_T.c defines LLVMFuzzerTestOneInput for one
# parser that reads hostile input. It is built two ways:
#
#   replay: with the normal compiler (and, in `make unit-san`, under
#           ASan/UBSan) and fuzz_replay.c as main(): BUILD/test/fuzz/
#           fuzz_T_test runs the committed corpus tests/fuzz/corpus/T/.
#           `make unit` and `make unit-san` (so `make check`) run these.
#   fuzz:   with clang -fsanitize=fuzzer,address,undefined into
#           build/fuzz/bin/fuzz_T; `make fuzz` builds them and runs each
#           for FUZZ_TIME seconds (default 300), one job at a time.
#
# Variables: FUZZ_TARGETS (default: all), FUZZ_TIME (seconds per target),
# FUZZ_FLAGS (more libFuzzer options), FUZZ_CC (default clang).

FUZZ_SRC = $(TOP)/tests/fuzz
FUZZ_TARGETS ?= $(patsubst fuzz_%.c,%,$(filter-out fuzz_util.c fuzz_replay.c,$(notdir $(wildcard $(FUZZ_SRC)/fuzz_*.c))))
FUZZ_TIME ?= 300
FUZZ_FLAGS ?=
FUZZ_CC ?= clang
FUZZ_BUILD = $(TOP)/build/fuzz

# Program objects a harness drives (the file with main() left out).
fuzz_prog_srcs = $(filter-out $(1).c $(2) %_test.c,$(notdir $(wildcard $(TOP)/src/$(1)/*.c)))
FUZZ_SMTPD_SRCS = $(call fuzz_prog_srcs,smtpd,)
FUZZ_SMTP_SRCS = $(call fuzz_prog_srcs,smtp,)
fuzz_objs_smtpd = $(FUZZ_SMTPD_SRCS:%.c=$(1)/obj/smtpd/%.o)
# fuzz_policy.c compiles smtpd_policy.c in (it closes the cached connection).
fuzz_objs_policy = $(filter-out %/smtpd_policy.o,$(call fuzz_objs_smtpd,$(1)))
fuzz_objs_smtp = $(FUZZ_SMTP_SRCS:%.c=$(1)/obj/smtp/%.o)

FUZZ_INC = -I$(FUZZ_SRC) -I$(TOP)/src/util -I$(TOP)/src/global -I$(TOP)/src/smtpd -I$(TOP)/src/smtp
# The libraries every program links and their compile flags, as
# mk/rules.mk says (so a library added there for a new table type or
# feature reaches the harnesses too).
$(eval FUZZ_LIBS = $(shell sed -n 's/^LIBS = //p' $(TOP)/mk/rules.mk))
$(eval FUZZ_LIB_CFLAGS = $(shell sed -n '/^CFLAGS = /,/-MMD/p' $(TOP)/mk/rules.mk | \
	grep -o '$$([A-Z0-9_]*_CFLAGS)' | grep -v EXTRA_CFLAGS | tr '\n' ' '))
# Every header (the harnesses see much of the tree), and smtpd.c, which
# fuzz_smtpd.c includes; files under src/ are prerequisites only, never
# compiled here.
FUZZ_DEPS = $(FUZZ_SRC)/fuzz.h $(FUZZ_SRC)/fuzz_smtpd.h $(FUZZ_SRC)/fuzz_util.c $(wildcard $(TOP)/src/*/*.h)
fuzz_srcs = $(filter-out $(TOP)/src/%,$(filter %.c %.o,$^))

.PHONY: fuzz fuzz-build fuzz-replay

# --- replay binaries (FZ_BUILD and FZ_SAN are set by the caller) ---------
FZ_BUILD ?= $(BUILD)
ifeq ($(FZ_SAN),1)
FZ_SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
FZ_CFLAGS = $(OPT) $(DEBUG) $(WARN) $(SYSDEFS) $(FUZZ_INC) $(FUZZ_LIB_CFLAGS) \
	$(FZ_SANFLAGS) $(EXTRA_CFLAGS)
FZ_REPLAY = $(FUZZ_TARGETS:%=$(FZ_BUILD)/test/fuzz/fuzz_%_test)

fuzz-replay: $(FZ_REPLAY)

$(FZ_BUILD)/test/fuzz/fuzz_%_test: $(FUZZ_SRC)/fuzz_%.c $(FUZZ_SRC)/fuzz_replay.c $(FUZZ_DEPS) \
    $(FZ_BUILD)/lib/libglobal.a $(FZ_BUILD)/lib/libutil.a
	@mkdir -p $(@D)
	$(CC) $(FZ_CFLAGS) -DFUZZ_NAME='"$*"' -o $@ $(fuzz_srcs) \
	    $(FZ_BUILD)/lib/libglobal.a $(FZ_BUILD)/lib/libutil.a $(FZ_SANFLAGS) $(EXTRA_LDFLAGS) $(FUZZ_LIBS)

$(FZ_BUILD)/test/fuzz/fuzz_smtpd_test: $(call fuzz_objs_smtpd,$(FZ_BUILD)) $(TOP)/src/smtpd/smtpd.c
$(FZ_BUILD)/test/fuzz/fuzz_policy_test: $(call fuzz_objs_policy,$(FZ_BUILD)) \
    $(TOP)/src/smtpd/smtpd.c $(TOP)/src/smtpd/smtpd_policy.c
$(FZ_BUILD)/test/fuzz/fuzz_smtp_test: $(call fuzz_objs_smtp,$(FZ_BUILD))
$(FZ_BUILD)/test/fuzz/fuzz_smtp_body_test: $(call fuzz_objs_smtp,$(FZ_BUILD))

# --- libFuzzer binaries ------------------------------------------------------
FUZZ_WARN = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
FUZZ_MAKE = $(MAKE) -s --no-print-directory BUILD=$(FUZZ_BUILD) SAN=1 CC=$(FUZZ_CC) \
	WARN="$(FUZZ_WARN)" EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(EXTRA_CFLAGS)"
FUZZ_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/bin/fuzz_%)

fuzz-build:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) is missing (apt-get install clang libclang-rt-14-dev)"; exit 1; }
	@$(FUZZ_MAKE) -C $(TOP)/src/util all
	@$(FUZZ_MAKE) -C $(TOP)/src/global all
	@$(FUZZ_MAKE) -C $(TOP)/src/smtpd $(FUZZ_SMTPD_SRCS:%.c=$(FUZZ_BUILD)/obj/smtpd/%.o)
	@$(FUZZ_MAKE) -C $(TOP)/src/smtp $(FUZZ_SMTP_SRCS:%.c=$(FUZZ_BUILD)/obj/smtp/%.o)
	@$(MAKE) -s --no-print-directory -f $(TOP)/build.mk $(FUZZ_BINS)

$(FUZZ_BUILD)/bin/fuzz_%: $(FUZZ_SRC)/fuzz_%.c $(FUZZ_DEPS) \
    $(FUZZ_BUILD)/lib/libglobal.a $(FUZZ_BUILD)/lib/libutil.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(OPT) -g $(FUZZ_WARN) $(SYSDEFS) $(FUZZ_INC) $(FUZZ_LIB_CFLAGS) \
	    $(FUZZ_SAN) -o $@ $(fuzz_srcs) \
	    $(FUZZ_BUILD)/lib/libglobal.a $(FUZZ_BUILD)/lib/libutil.a $(FUZZ_LIBS)

$(FUZZ_BUILD)/bin/fuzz_smtpd: $(call fuzz_objs_smtpd,$(FUZZ_BUILD)) $(TOP)/src/smtpd/smtpd.c
$(FUZZ_BUILD)/bin/fuzz_policy: $(call fuzz_objs_policy,$(FUZZ_BUILD)) \
    $(TOP)/src/smtpd/smtpd.c $(TOP)/src/smtpd/smtpd_policy.c
$(FUZZ_BUILD)/bin/fuzz_smtp: $(call fuzz_objs_smtp,$(FUZZ_BUILD))
$(FUZZ_BUILD)/bin/fuzz_smtp_body: $(call fuzz_objs_smtp,$(FUZZ_BUILD))

# Run every target for FUZZ_TIME seconds; new inputs go to build/fuzz/corpus,
# crashes to build/fuzz/crash-T-*. Ends with one line per target.
fuzz: fuzz-build
	@sh $(TOP)/mk/run-fuzz $(FUZZ_BUILD) $(FUZZ_SRC) $(FUZZ_TIME) "$(FUZZ_FLAGS)" $(FUZZ_TARGETS)
