# rules.mk - common build rules, included by every src/*/Makefile.
#
# A directory's Makefile.in sets DIR (its name under src/) and either
#   LIB = name            build $(BUILD)/lib/libname.a from every non-test .c
# or
#   PROGS = a b           build $(BUILD)/bin/a from a_SRCS (default: every
#                         non-test .c in the directory when there is one PROG)
# MODULE_SRCS (optional) are left out of the library and the programs: the
# directory's Makefile.in builds them itself (src/util: table modules and
# the TLS module). TEST_SKIP (optional) names tests not to build (their
# library is missing).
# Programs are linked with -rdynamic so that modules resolve against them.
# Unit tests are the files named *_test.c: each becomes $(BUILD)/test/DIR/x_test,
# linked with this directory's library (or its program objects minus the
# file that holds main(), named PROG.c) and the shared libraries.
#
# BUILD selects the output tree (default $(TOP)/build); SAN=1 adds
# AddressSanitizer and UndefinedBehaviorSanitizer.

BUILD ?= $(TOP)/build
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
OBJDIR = $(BUILD)/obj/$(DIR)
BINDIR = $(BUILD)/bin
LIBDIR = $(BUILD)/lib
TESTDIR = $(BUILD)/test/$(DIR)

CFLAGS = $(OPT) $(DEBUG) $(WARN) $(SYSDEFS) -I$(TOP)/src/util -I$(TOP)/src/global \
	$(PCRE_CFLAGS) $(SASL_CFLAGS) $(SANFLAGS) $(EXTRA_CFLAGS) -MMD -MP
LDFLAGS = $(SANFLAGS) -rdynamic $(EXTRA_LDFLAGS)
SHLIBS ?= $(LIBDIR)/libglobal.a $(LIBDIR)/libutil.a
LIBS = $(PCRE_LIBS) $(SASL_LIBS) $(DB_LIBS) $(SYSLIBS)

ALL_SRCS := $(sort $(wildcard *.c))
TEST_SRCS := $(filter-out $(TEST_SKIP),$(filter %_test.c,$(ALL_SRCS)))
CODE_SRCS := $(filter-out $(TEST_SRCS) $(MODULE_SRCS),$(ALL_SRCS))
TEST_BINS := $(TEST_SRCS:%.c=$(TESTDIR)/%)

.PHONY: all tests run-tests clean
.SECONDARY:
all:

ifdef LIB
LIBFILE = $(LIBDIR)/lib$(LIB).a
LIB_OBJS = $(CODE_SRCS:%.c=$(OBJDIR)/%.o)
all: $(LIBFILE)
$(LIBFILE): $(LIB_OBJS) | $(LIBDIR)
	rm -f $@.tmp.$$$$ && ar rcs $@.tmp.$$$$ $(LIB_OBJS) && mv $@.tmp.$$$$ $@
TEST_LINK = $(LIBFILE)
endif

# A program is built only once its main file PROG.c exists.
PROGS := $(basename $(filter $(addsuffix .c,$(PROGS)),$(CODE_SRCS)))
ifneq ($(PROGS),)
ifeq ($(words $(PROGS)),1)
$(PROGS)_SRCS ?= $(CODE_SRCS)
endif
define prog_template
$(1)_OBJS = $$($(1)_SRCS:%.c=$$(OBJDIR)/%.o)
all: $$(BINDIR)/$(1)
$$(BINDIR)/$(1): $$($(1)_OBJS) $$(SHLIBS) | $$(BINDIR)
	$$(CC) $$(LDFLAGS) -o $$@ $$($(1)_OBJS) $$(SHLIBS) $$(LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_template,$(p))))
# Tests in a program directory link every object except the main() files.
TEST_LINK = $(filter-out $(PROGS:%=$(OBJDIR)/%.o),$(CODE_SRCS:%.c=$(OBJDIR)/%.o))
endif

$(OBJDIR)/%.o: %.c | $(OBJDIR)
	$(CC) $(CFLAGS) -c -o $@ $<

$(TESTDIR)/%_test: $(OBJDIR)/%_test.o $(TEST_LINK) $(SHLIBS) | $(TESTDIR)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_LINK) $(SHLIBS) $(LIBS)

tests: $(TEST_BINS)

# Run every unit test; each prints "PASS name" / "FAIL name" lines and exits
# non-zero on failure. The summary line is counted by the top-level Makefile.
run-tests: tests
	@st=0; for t in $(TEST_BINS); do \
		( cd $(TOP)/src/$(DIR) && $$t ) || { echo "FAIL $$t"; st=1; }; \
	done; exit $$st

$(OBJDIR) $(BINDIR) $(LIBDIR) $(TESTDIR):
	@mkdir -p $@

clean:
	rm -rf $(OBJDIR) $(TESTDIR)

-include $(wildcard $(OBJDIR)/*.d)
