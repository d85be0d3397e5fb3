// SPDX-License-Identifier: GPL-2.0
/*
 * guest-exit: end the QEMU guest with an exit status through the isa-debug-exit device
 * (iobase 0xf4). QEMU exits with (value << 1) | 1, so the host sees 1 + 2 * value.
 *
 * usage: guest-exit VALUE   (0..127)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <unistd.h>

#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	long value;

	if (argc != 2) {
		fprintf(stderr, "usage: %s VALUE\n", argv[0]);
		return 2;
	}
	value = strtol(argv[1], NULL, 0);
	if (value < 0 || value > 127) {
		fprintf(stderr, "%s: VALUE must be 0..127\n", argv[0]);
		return 2;
	}
	sync();
	if (ioperm(DEBUG_EXIT_PORT, 4, 1)) {
		perror("ioperm");
		return 1;
	}
	outl((unsigned int)value, DEBUG_EXIT_PORT);
	/* Not reached with the device present. */
	fprintf(stderr, "%s: isa-debug-exit device missing\n", argv[0]);
	return 1;
}
