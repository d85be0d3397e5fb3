# SPDX-License-Identifier: GPL-2.0
#
# The user's entry point. `make help` lists the targets.
#
# Everything runs inside the project's Debian 13 toolchain chroot (scripts/setup-toolchain.sh),
# cached under ~/.cache/gunyah-vm, so the only host requirements are root and Debian's mirror.

SHELL := /bin/bash
TOP := $(abspath .)
SCRIPTS := $(TOP)/scripts

# KDIR: a kernel build tree for `make modules` / `make install`; the project's test kernel by
# default.
KDIR ?=

.PHONY: help toolchain kernel modules bindings check-bindings check check-harness demo shell clean

help:
	@echo 'Gunyah VM manager: targets'
	@echo '  make demo           set up what is missing, boot the test kernel, run the sample VM'
	@echo '  make check          every test tier; ends with "N passed, N failed"'
	@echo '  make check-harness  prove the harness turns red on failures, KASAN and hangs'
	@echo '  make toolchain      create the Debian 13 toolchain chroot (cached)'
	@echo '  make kernel         build the test kernel (cached)'
	@echo '  make modules        build the modules against KDIR (default: the test kernel)'
	@echo '  make bindings       regenerate the Rust bindings in bindings/ (bindgen, pinned)'
	@echo '  make check-bindings check that bindings/ is what its inputs generate'
	@echo '  make shell          boot the test guest with the modules loaded, interactively'
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

check-harness:
	@$(SCRIPTS)/check-harness.sh

demo:
	@$(SCRIPTS)/demo.sh

shell:
	@$(SCRIPTS)/demo.sh --shell

clean:
	@find c tests -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' -o -name 'Module.symvers' | xargs rm -f
	@rm -f Module.symvers modules.order
	@rm -rf build
