/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * old-kernel [--no-netlink] CMD [ARGS...]: runs CMD as on Linux 3.10 (CentOS
 * 7's kernel), as far as system calls go: every call that kernel did not
 * have fails with ENOSYS. A seccomp filter by number, for x86-64 (3.10 ended
 * at 313, finit_module) and i386 (350), so that one filter serves a 64-bit
 * and a 32-bit CMD alike; it stays on across execve. --no-netlink also
 * refuses netlink sockets to 64-bit programs (EAFNOSUPPORT), as a sandbox
 * without AF_NETLINK does. What it cannot show: flags and features an old
 * kernel lacks inside calls it had.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define LAST_X86_64_3_10 313
#define LAST_I386_3_10 350

#define X86_64_SOCKET 41

int main(int argc, char **argv)
{
        bool no_netlink = argc > 1 && strcmp(argv[1], "--no-netlink") == 0;
        struct sock_filter f[] = {
                /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
                /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                /* 3 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, LAST_X86_64_3_10, 6, 0),
                /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, no_netlink ? X86_64_SOCKET : ~0U, 0, 7),
                /* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
                /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 4, 5),
                /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 4),
                /* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                /* 9 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, LAST_I386_3_10, 0, 2),
                /* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
                /* 11 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA)),
                /* 12 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

        argv += no_netlink;
        argc -= no_netlink;
        if (argc < 2) {
                fprintf(stderr, "usage: old-kernel [--no-netlink] CMD [ARGS...]\n");
                return 2;
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
                fprintf(stderr, "old-kernel: seccomp: %s\n", strerror(errno));
                return 77;
        }
        execvp(argv[1], argv + 1);
        fprintf(stderr, "old-kernel: %s: %s\n", argv[1], strerror(errno));
        return 127;
}
