/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A seccomp filter that makes openat2(2) fail with an errno of our choice
 * (ENOSYS: a kernel before 5.6; EPERM: a container runtime's filter), for
 * this process and every process it starts. The tests run the agent under
 * it to exercise the resolver that works without openat2. Kernels have let
 * an unprivileged process install a filter after PR_SET_NO_NEW_PRIVS since
 * 3.5; the filter is verified by calling openat2 once.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture */
#endif

#if defined(__x86_64__)
#define NO_OPENAT2_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NO_OPENAT2_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NO_OPENAT2_ARCH AUDIT_ARCH_I386
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NO_OPENAT2_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define NO_OPENAT2_ARCH AUDIT_ARCH_S390X
#endif

/* 0, -ENOTSUP (no filter for this architecture), or -errno of the installation. */
static inline int no_openat2(int err)
{
#ifdef NO_OPENAT2_ARCH
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NO_OPENAT2_ARCH, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA)),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
        uint64_t how[3] = { O_RDONLY, 0, 0 }; /* struct open_how: flags, mode, resolve */

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
                return -errno;
        if (syscall(SYS_openat2, AT_FDCWD, "/", how, sizeof(how)) >= 0 || errno != err)
                return -EPROTO;
        return 0;
#else
        (void)err;
        return -ENOTSUP;
#endif
}
