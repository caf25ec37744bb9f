# Bootstrap Makefile (committed). It runs makedefs to write build.mk and the
# per-directory Makefiles from the Makefile.in files, then hands every target
# to build.mk. `make run` and `make check` first install missing Debian
# packages (as root) or print the apt-get line to run (as a user).

BUILD_TARGETS = all unit unit-san blackbox install bench crashtest
.PHONY: default $(BUILD_TARGETS) check run fuzz bench-compare clean distclean deps deps-test \
	deps-bench makefiles

default: all

$(BUILD_TARGETS): makefiles
	@$(MAKE) --no-print-directory -f build.mk $@

check: deps-test
	@$(MAKE) --no-print-directory makefiles
	@$(MAKE) --no-print-directory -f build.mk check

# Fuzzing needs clang (a test package): build the harnesses, run each for
# FUZZ_TIME seconds (default 300). See HACKING.md.
fuzz: deps-test
	@$(MAKE) --no-print-directory makefiles
	@$(MAKE) --no-print-directory -f build.mk fuzz

run: deps
	@$(MAKE) --no-print-directory makefiles
	@$(MAKE) --no-print-directory -f build.mk run

deps:
	@sh mk/install-deps build

deps-test:
	@sh mk/install-deps build test

# Postern beside Debian's Postfix (root only: Postfix starts as root). The
# bench set adds strace, valgrind and Postfix (mk/install-postfix: never a
# service). See tests/bench/README.
bench-compare:
	@[ "$$(id -u)" -eq 0 ] || { echo "make bench-compare: run it as root (Postfix must be started as root)" 1>&2; exit 1; }
	@sh mk/install-deps build bench
	@$(MAKE) --no-print-directory makefiles
	@$(MAKE) --no-print-directory -f build.mk bench-compare

deps-bench:
	@sh mk/install-deps build bench

makefiles:
	@if [ ! -f build.mk ] || [ ! -f makedefs.out ] || \
	    [ -n "$$(find makedefs Makefile.in src mk -newer makedefs.out \( -name 'Makefile.in' -o -name makedefs -o -name '*.mk' \) 2>/dev/null | head -1)" ]; then \
		sh makedefs; \
	fi

clean:
	rm -rf build run-state
	@[ ! -f build.mk ] || echo "(objects removed; run 'make distclean' to remove generated Makefiles)"

distclean: clean
	rm -f build.mk makedefs.out src/*/Makefile
