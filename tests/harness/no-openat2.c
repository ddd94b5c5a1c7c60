/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * no-openat2 [-e EPERM] PROGRAM [ARG...]: runs PROGRAM where openat2(2)
 * fails with ENOSYS (or EPERM), as on Linux before 5.6 or under a seccomp
 * filter, for it and everything it starts. Exits 77 when no filter can be
 * installed here.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "no-openat2.h"

int main(int argc, char **argv)
{
        int err = ENOSYS, first = 1, r;

        if (argc > 2 && strcmp(argv[1], "-e") == 0) {
                if (strcmp(argv[2], "EPERM") == 0)
                        err = EPERM;
                else if (strcmp(argv[2], "ENOSYS") != 0) {
                        fprintf(stderr, "no-openat2: -e takes ENOSYS or EPERM\n");
                        return 99;
                }
                first = 3;
        }
        if (first >= argc) {
                fprintf(stderr, "usage: no-openat2 [-e ENOSYS|EPERM] PROGRAM [ARG...]\n");
                return 99;
        }
        r = no_openat2(err);
        if (r < 0) {
                fprintf(stderr, "no-openat2: cannot make openat2 fail here: %s\n", strerror(-r));
                return 77;
        }
        execvp(argv[first], argv + first);
        fprintf(stderr, "no-openat2: %s: %s\n", argv[first], strerror(errno));
        return 99;
}
