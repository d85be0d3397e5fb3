# SPDX-License-Identifier: GPL-2.0
#
# The user's entry point. `make help` lists the targets.
#
# Everything runs inside the project's Debian 13 toolchain chroot (scripts/setup-toolchain.sh),
# cached under ~/.cache/gunyah-vm, so the only host requirements are root and Debian's mirror.

SHELL := /bin/bash
TOP := $(abspath .)
SCRIPTS := $(TOP)/scripts

# KDIR: a kernel build tree. `make modules` and `make check-docs` default to the project's test
# kernel, `make install` to the running kernel's (/lib/modules/$(uname -r)/build, from Debian's
# linux-headers-$(uname -r)).
KDIR ?=

# The package version, written only in VERSION (dkms.conf reads it too).
VERSION := $(shell cat $(TOP)/VERSION)
# Where `make dkms-install` puts the sources DKMS builds from.
DKMS_SRC := /usr/src/gunyah-$(VERSION)
# What DKMS needs of the tree (Kbuild descends into c/, tests/harness/ and, with CONFIG_RUST,
# rust/), without build outputs.
DKMS_FILES := VERSION dkms.conf Kbuild README.md c uapi tests rust bindings
DKMS_EXCLUDES := --exclude-vcs --exclude=target --exclude='*.o' --exclude='*.ko' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.a' \
	--exclude='modules.order' --exclude='Module.symvers' --exclude='.*.d'
# The modules `make install` keeps (c/Kbuild builds one of the last two, by architecture); the
# others the tree builds (KUnit suites, harness and test modules, the Rust sample) are for
# testing and are not installed. dkms.conf lists the same modules.
INSTALL_MODULES := gunyah_rsc_mgr gunyah_vcpu gunyah_irqfd gunyah_ioeventfd gunyah_hypercall \
	gunyah_sim

.PHONY: help toolchain kernel modules bindings check-bindings check check-harness check-docs fuzz \
	demo shell install dkms-install dkms-uninstall clean

help:
	@echo 'Gunyah VM manager: targets'
	@echo '  make demo           set up what is missing, boot the test kernel, run the sample VM'
	@echo '  make check          every test tier; ends with "N passed, N failed"'
	@echo '  make fuzz           the ioctl fuzzer alone, FUZZ_CALLS=1000000 calls (FUZZ_SEED to repeat)'
	@echo '  make check-harness  prove the harness turns red on failures, KASAN and hangs'
	@echo '  make bench          benchmark kernel in QEMU: ratios against same-boot floors'
	@echo '  make toolchain      create the Debian 13 toolchain chroot (cached)'
	@echo '  make kernel         build the test kernel (cached)'
	@echo '  make modules        build the modules against KDIR (default: the test kernel)'
	@echo '  make bindings       regenerate the Rust bindings in bindings/ (bindgen, pinned)'
	@echo '  make check-bindings check that bindings/ is what its inputs generate'
	@echo '  make check-docs     kernel-doc over what Documentation/ references; every ioctl documented'
	@echo '  make shell          boot the test guest with the modules loaded, interactively'
	@echo '  make install        build and install the modules for KDIR (default: the running kernel)'
	@echo '  make dkms-install   copy the tree to $(DKMS_SRC) and dkms add, build, install it'
	@echo '  make dkms-uninstall dkms remove gunyah/$(VERSION) and delete $(DKMS_SRC)'
	@echo '  make clean          remove build outputs from the work tree (caches stay)'

toolchain:
	@$(SCRIPTS)/setup-toolchain.sh

kernel:
	@$(SCRIPTS)/build-kernel.sh gunyah-test

modules:
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(SCRIPTS)/build-kernel.sh gunyah-test); \
	$(SCRIPTS)/build-modules.sh "$$kdir"

bindings:
	@$(SCRIPTS)/gen-bindings.sh

check-bindings:
	@$(SCRIPTS)/gen-bindings.sh --check

check:
	@$(SCRIPTS)/check.sh

# The ioctl fuzzer alone, longer: FUZZ_CALLS (default 1000000), FUZZ_SEED to repeat a run.
fuzz:
	@$(SCRIPTS)/fuzz.sh

check-harness:
	@$(SCRIPTS)/check-harness.sh

# Benchmarks (Documentation/benchmarks.rst); BENCH_STRICT=1 fails on a ratio over its target.
.PHONY: bench
bench:
	@$(SCRIPTS)/bench.sh

check-docs:
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(SCRIPTS)/build-kernel.sh gunyah-test); \
	$(SCRIPTS)/check-docs.sh "$$kdir"

demo:
	@$(SCRIPTS)/demo.sh

shell:
	@$(SCRIPTS)/demo.sh --shell

# Build against KDIR with the host's compiler (the one the kernel's headers package expects), not
# in the toolchain chroot; modules_install into /lib/modules/<release>/extra (or below
# INSTALL_MOD_PATH), then drop the test modules it installed and run depmod.
install:
	@set -e; \
	kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=/lib/modules/$$(uname -r)/build; \
	if [ ! -f "$$kdir/Makefile" ]; then \
		echo "install: no kernel build tree at $$kdir: apt-get install linux-headers-$$(uname -r), or set KDIR" >&2; \
		exit 1; \
	fi; \
	if [ "$$(id -u)" != 0 ] && [ -z "$(INSTALL_MOD_PATH)" ]; then \
		echo "install: run as root (or set INSTALL_MOD_PATH)" >&2; exit 1; \
	fi; \
	llvm=; if grep -qs '^CONFIG_CC_IS_CLANG=y' "$$kdir/.config"; then llvm=LLVM=1; fi; \
	$(MAKE) -C "$$kdir" M="$(TOP)" $$llvm modules; \
	$(MAKE) -C "$$kdir" M="$(TOP)" $$llvm INSTALL_MOD_DIR=extra modules_install; \
	: "the release modules_install used (Debian's headers name it unlike kernel.release)"; \
	ko=$$(ls -t "$(INSTALL_MOD_PATH)"/lib/modules/*/extra/c/gunyah_rsc_mgr.ko* | head -n 1); \
	dst=$${ko%/c/*}; kver=$$(basename "$$(dirname "$$dst")"); \
	for m in $$(sed -e 's|^$(TOP)/||' -e 's/\.k\{0,1\}o$$//' "$(TOP)/modules.order"); do \
		case " $(INSTALL_MODULES) " in *" $${m##*/} "*) continue ;; esac; \
		rm -f "$$dst/$$m.ko" "$$dst/$$m.ko.gz" "$$dst/$$m.ko.xz" "$$dst/$$m.ko.zst"; \
	done; \
	depmod $(if $(INSTALL_MOD_PATH),-b "$(INSTALL_MOD_PATH)") -a "$$kver"; \
	echo "install: Gunyah modules for $$kver are in $$dst"

# DKMS rebuilds the modules for every kernel installed later (AUTOINSTALL in dkms.conf).
# KERNELVER=<release> builds for that installed kernel instead of the running one.
dkms-install:
	@set -e; \
	[ "$$(id -u)" = 0 ] || { echo "dkms-install: run as root" >&2; exit 1; }; \
	command -v dkms >/dev/null || { echo "dkms-install: apt-get install dkms" >&2; exit 1; }; \
	if [ -n "$$(dkms status -m gunyah -v $(VERSION) 2>/dev/null)" ]; then \
		dkms remove -m gunyah -v $(VERSION) --all; \
	fi; \
	rm -rf "$(DKMS_SRC)"; \
	mkdir -p "$(DKMS_SRC)"; \
	tar -C "$(TOP)" $(DKMS_EXCLUDES) -cf - $(DKMS_FILES) | tar -C "$(DKMS_SRC)" -xf -; \
	dkms add -m gunyah -v $(VERSION); \
	dkms build -m gunyah -v $(VERSION) $(if $(KERNELVER),-k $(KERNELVER)); \
	dkms install -m gunyah -v $(VERSION) $(if $(KERNELVER),-k $(KERNELVER))

dkms-uninstall:
	@set -e; \
	[ "$$(id -u)" = 0 ] || { echo "dkms-uninstall: run as root" >&2; exit 1; }; \
	if command -v dkms >/dev/null && [ -n "$$(dkms status -m gunyah -v $(VERSION) 2>/dev/null)" ]; then \
		dkms remove -m gunyah -v $(VERSION) --all; \
	fi; \
	rm -rf "$(DKMS_SRC)"

clean:
	@find c tests -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' -o -name 'Module.symvers' | xargs rm -f
	@rm -f Module.symvers modules.order
	@rm -rf build
