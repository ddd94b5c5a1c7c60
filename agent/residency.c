/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An idle daemon's resident set: see residency.h. A private file mapping
 * that was never written has only clean page-cache pages, so
 * MADV_DONTNEED on it unmaps them and the next access maps them again
 * from the cache: nothing is lost, not even a read from disk. MADV_RANDOM
 * first turns off fault-around (and read-ahead) for those ranges, so what
 * comes back is what runs.
 */
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "residency.h"

struct trim {
        uintptr_t page;
        uintptr_t vdso;
        size_t dropped;
};

static void drop(struct trim *t, uintptr_t lo, uintptr_t hi)
{
        /* Only whole pages inside the segment. */
        lo = (lo + t->page - 1) & ~(t->page - 1);
        hi &= ~(t->page - 1);
        if (hi <= lo)
                return;
        if (madvise((void *)lo, hi - lo, MADV_RANDOM) < 0 || madvise((void *)lo, hi - lo, MADV_DONTNEED) < 0)
                return;
        t->dropped += hi - lo;
}

static int each_object(struct dl_phdr_info *info, size_t size, void *userdata)
{
        struct trim *t = userdata;
        uintptr_t relro_lo = 0, relro_hi = 0;

        (void)size;
        /* The vDSO is the kernel's, not a file's. */
        if (t->vdso && (uintptr_t)info->dlpi_phdr >= t->vdso && (uintptr_t)info->dlpi_phdr < t->vdso + 4 * t->page)
                return 0;
        for (int i = 0; i < info->dlpi_phnum; i++)
                if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
                        relro_lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
                        relro_hi = relro_lo + info->dlpi_phdr[i].p_memsz;
                }
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *p = &info->dlpi_phdr[i];
                uintptr_t lo = info->dlpi_addr + p->p_vaddr, hi = lo + p->p_filesz;

                /* Writable or relocated: state, never dropped. */
                if (p->p_type != PT_LOAD || (p->p_flags & PF_W))
                        continue;
                if (relro_hi > relro_lo && relro_lo < hi + t->page && relro_hi + t->page > lo)
                        continue;
                drop(t, lo, hi);
        }
        return 0;
}

size_t residency_trim(void)
{
        struct trim t = { .page = (uintptr_t)sysconf(_SC_PAGESIZE), .vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR) };

        if (t.page == 0 || (t.page & (t.page - 1)))
                return 0;
        dl_iterate_phdr(each_object, &t);
        return t.dropped;
}
