# SPDX-License-Identifier: GPL-2.0
# blkprio build rules. What is built from what is listed in Kbuild.
#
#   make              build build/blkprio (and the other programs)
#   make run          set up (Debian packages), build, run the main job
#   make test         set up, build, run every test; ends "N passed, N failed"
#   make test-vm      only the VM leg of make test (Debian's kernel under QEMU)
#   make bench        benchmarks (figures, not pass/fail)
#   make fuzz         short libFuzzer runs of the parsers (clang)
#   make install      programs, unit, default config, man pages, completion
#   make uninstall    remove them again (an edited blkpriod.conf stays)
#                     PREFIX=/usr/local DESTDIR= BINDIR SBINDIR MANDIR SYSCONFDIR
#                     UNITDIR COMPLETIONDIR
#   NODEPS=1          skip the set-up step (packages: debian/control has them)
#   V=1               show full commands        O=DIR   build folder (default build/)
#   ASAN=1            ASan+UBSan build (default folder build-asan/)

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:

ifeq ($(ASAN),1)
O ?= build-asan
else
O ?= build
endif
V ?= 0
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif

CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
KSRC_TAR ?= $(firstword $(wildcard /usr/src/linux-source-6.12.tar.xz) /usr/src/linux-source-6.12.tar.xz)
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.1)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
	    -Wmissing-prototypes -Wstrict-prototypes -fno-strict-aliasing
CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DBLKPRIO_VERSION='"$(VERSION)"' \
	    -Iinclude -I$(O)/include
LDFLAGS  ?=
ifeq ($(ASAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
DEPFLAGS  = -MMD -MP -MF $(@:.o=.d)

include Kbuild

# ---- derived lists -----------------------------------------------------------
all-libs   := $(foreach l,$(lib-y),$(O)/$(l).a)
all-progs  := $(foreach p,$(prog-y),$(O)/$(p))
all-tests  := $(foreach t,$(test-y),$(O)/tests/$(t))
all-fuzz   := $(foreach f,$(fuzz-y),$(O)/fuzz/$(f))
vm-test-of  = $(foreach t,$(1),$(if $(filter %.sh,$(t)),$(t),$(O)/tests/$(t)))
vm-tests   := $(call vm-test-of,$(vm-y))
vm1-tests  := $(call vm-test-of,$(vm1-y))
all-skels  := $(foreach b,$(bpf-y),$(O)/include/$(b).skel.h)
harness    := $(O)/include/kselftest_harness.h
objs-of     = $(addprefix $(O)/,$($(1)-y))
libs-of     = $(foreach l,$($(1)-libs),$(O)/$(l).a)
ldlibs-of   = $(foreach l,$($(1)-libs),$($(l)-ldlibs)) $($(1)-ldlibs)
all-objs   := $(foreach x,$(lib-y) $(prog-y) $(test-y),$(call objs-of,$(x)))

.PHONY: all deps run test test-vm bench fuzz clean help install uninstall
all: $(all-progs)

# ---- set-up: Debian packages (fast and silent when all are there) ------------
deps:
	$(Q)$(if $(filter 1,$(NODEPS)),true,scripts/deps.sh)

# Every compile waits for the set-up step and the generated headers.
$(all-objs): | deps $(all-skels)

$(O)/%.o: %.c
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

define lib_rule
$(O)/$(1).a: $(call objs-of,$(1))
	$$(call msg,AR,$$@)
	$(Q)rm -f $$@ && $(AR) rcs $$@ $$^
endef
$(foreach l,$(lib-y),$(eval $(call lib_rule,$(l))))

define prog_rule
$(O)/$(1): $(call objs-of,$(1)) $(call libs-of,$(1))
	$$(call msg,LD,$$@)
	$(Q)$(CC) $(LDFLAGS) -o $$@ $(call objs-of,$(1)) $(call libs-of,$(1)) $(call ldlibs-of,$(1))
endef
$(foreach p,$(prog-y),$(eval $(call prog_rule,$(p))))

# The harness header is not written for our warning set.
$(O)/tests/%.o: CFLAGS += -Wno-sign-compare -Wno-missing-prototypes -Wno-format-overflow \
	-Wno-format-truncation

# Tests link every library and its system libraries.
define test_rule
$(call objs-of,$(1)): | $(harness)
$(O)/tests/$(1): $(call objs-of,$(1)) $(all-libs)
	$$(call msg,LD,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CC) $(LDFLAGS) -o $$@ $(call objs-of,$(1)) $(all-libs) \
		$(foreach l,$(lib-y),$($(l)-ldlibs)) $($(1)-ldlibs) -lpthread
endef
$(foreach t,$(test-y),$(eval $(call test_rule,$(t))))

# ---- kselftest harness, from Debian's linux-source-6.12 (never committed) ----
$(harness): scripts/harness.sh | deps
	$(call msg,GEN,$@)
	$(Q)scripts/harness.sh $(KSRC_TAR) $(O)/include

# ---- BPF: vmlinux.h from the running kernel's BTF, objects, skeletons --------
VMLINUX_H ?= $(O)/include/vmlinux.h
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I$(dir $(VMLINUX_H)) -Ibpf -Iinclude

$(O)/include/vmlinux.h: | deps
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(O)/bpf/%.bpf.o: bpf/%.bpf.c bpf/%.h $(VMLINUX_H) | deps
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/include/%.skel.h: $(O)/bpf/%.bpf.o
	$(call msg,GENSKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# ---- fuzzing (clang's libFuzzer, ASan+UBSan) ---------------------------------
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS)
define fuzz_rule
$(O)/fuzz/$(1): $($(1)-y) $(foreach l,$(lib-y),$($(l)-y:.o=.c)) | deps $(all-skels)
	$$(call msg,FUZZ,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -o $$@ $$^ $(foreach l,$(lib-y),$($(l)-ldlibs)) -lpthread
endef
$(foreach f,$(fuzz-y),$(eval $(call fuzz_rule,$(f))))

FUZZ_SECONDS ?= 20
fuzz: $(all-fuzz)
	$(Q)for f in $(fuzz-y); do \
		mkdir -p $(O)/fuzz/corpus-$$f; \
		echo "  FUZZ    $$f ($(FUZZ_SECONDS) s)"; \
		$(O)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -timeout=5 \
			$(O)/fuzz/corpus-$$f tests/fuzz/seeds-$$f 2>$(O)/fuzz/$$f.log \
			|| { tail -40 $(O)/fuzz/$$f.log; exit 1; }; \
		tail -1 $(O)/fuzz/$$f.log; \
	done

# ---- the two set-up commands and friends -------------------------------------
run: all
	$(Q)scripts/run.sh $(O)

# The host's kernel first, then the VM leg: the privileged tests again under
# Debian's stock kernel, on pure cgroup v2 and on v1 blkio.
test: all $(all-tests)
	$(Q)O=$(O) VM_TESTS="$(vm-tests)" VM_TESTS_V1="$(vm1-tests)" scripts/run-tests.sh $(all-tests) $(test-sh-y) vm:v2 vm:v1

test-vm: all $(all-tests)
	$(Q)O=$(O) VM_TESTS="$(vm-tests)" VM_TESTS_V1="$(vm1-tests)" scripts/run-tests.sh vm:v2 vm:v1

bench: all
	$(Q)for b in $(bench-y); do O=$(O) $$b || exit 1; done

# ---- install: an admin tool's places (DESTDIR for packages and tests) --------
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
MANDIR        ?= $(PREFIX)/share/man
# /etc whatever the PREFIX: blkprio and blkpriod both read
# /etc/blkprio/blkpriod.conf unless told another one (--config).
SYSCONFDIR    ?= /etc
UNITDIR       ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL       ?= install

man8 := man/blkprio.8 man/blkpriod.8
man5 := man/blkpriod.conf.5
dest-conf := $(DESTDIR)$(SYSCONFDIR)/blkprio/blkpriod.conf
# Another SYSCONFDIR is named in the unit; the CLI needs --config there.
unit-config := $(if $(filter /etc,$(SYSCONFDIR)),, --config $(SYSCONFDIR)/blkprio/blkpriod.conf)

# blkprio goes to bin: img, dd and bench are of use without root.
# The config is installed only where there is none: it is the admin's.
install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(SYSCONFDIR)/blkprio
	$(Q)$(INSTALL) -m 0755 $(O)/blkprio $(DESTDIR)$(BINDIR)/blkprio
	$(Q)$(INSTALL) -m 0755 $(O)/blkpriod $(DESTDIR)$(SBINDIR)/blkpriod
	$(Q)sed 's|^ExecStart=/usr/sbin/blkpriod|ExecStart=$(SBINDIR)/blkpriod$(unit-config)|' \
		userspace/daemon/blkpriod.service >$(DESTDIR)$(UNITDIR)/blkpriod.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/blkpriod.service
	$(Q)[ -e $(dest-conf) ] || $(INSTALL) -m 0644 userspace/daemon/blkpriod.conf $(dest-conf)
	$(Q)$(INSTALL) -m 0644 $(man8) $(DESTDIR)$(MANDIR)/man8/
	$(Q)$(INSTALL) -m 0644 $(man5) $(DESTDIR)$(MANDIR)/man5/
	$(Q)$(INSTALL) -m 0644 contrib/bash-completion/blkprio $(DESTDIR)$(COMPLETIONDIR)/blkprio

# Folders are removed only when empty; blkpriod.conf only when unedited.
uninstall:
	$(call msg,UNINST,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(BINDIR)/blkprio $(DESTDIR)$(SBINDIR)/blkpriod \
		$(DESTDIR)$(UNITDIR)/blkpriod.service \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(man8))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(man5))) \
		$(DESTDIR)$(COMPLETIONDIR)/blkprio
	$(Q)if cmp -s userspace/daemon/blkpriod.conf $(dest-conf); then rm -f $(dest-conf); \
	elif [ -e $(dest-conf) ]; then echo "  KEEP    $(dest-conf) (edited)"; fi
	$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/blkprio 2>/dev/null || true

clean:
	$(call msg,CLEAN,$(O))
	$(Q)rm -rf $(O)

help:
	@sed -n '2,16s/^# \{0,1\}//p' Makefile

-include $(all-objs:.o=.d)
