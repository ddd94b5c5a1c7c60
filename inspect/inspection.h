/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fstest.h"
#include "kvset.h"
#include "macro.h"
#include "probe.h"
#include "tree.h"

/*
 * One inspection: a guest's disks read with GRUB's code as pvhgrub reads
 * them, the files the readiness checks read copied into a private tree,
 * and the checks run on it.
 */
#define INSPECT_FILE_MAX (16u << 20)   /* a menu, a configuration, a hook */
#define INSPECT_IMAGE_MAX (256u << 20) /* a kernel or an initramfs, by default */
#define INSPECT_LIST_MAX 256           /* names read from one directory */

static inline const char *strna(const char *s)
{
        return s ? s : "n/a";
}

/* A directory of a device as GRUB lists it. */
struct listing {
        char *dev;
        char *path;
        struct fstest_entry *e;
        size_t n;
};

struct inspection {
        struct fstest fs;
        char **names;              /* each disk's name in the guest ("xvda"), parallel to fs.disks */
        uint64_t image_max;
        const char *guest_type;    /* the toolstack's, or NULL */

        char **devices;            /* GRUB's names, in pvhgrub's search order */
        size_t n_devices;
        struct listing *listings;  /* directories listed so far */
        size_t n_listings;
        const char *menu_dev;
        const char *menu_file;
        const char *root_dev;
        const char *boot_dev;
        const char *boot_prefix;   /* where /boot is on boot_dev: "/boot", or "" for a /boot file system */

        struct tree tree;
        char **attempted;          /* tree paths asked for already */
        size_t n_attempted;
        char **notes;
        size_t n_notes;
        char *error;               /* a TOKEN of the report */
        char *message;
};

void inspection_done(struct inspection *in);
/* Adds a note for the report (at most PROTO_REPORT_NOTES_MAX are kept). */
int inspection_note(struct inspection *in, const char *fmt, ...) _printf_(2, 3);
/* Records the failure (the first one wins); returns -EIO so that the caller stops. */
int inspection_fail(struct inspection *in, const char *error, const char *fmt, ...) _printf_(3, 4);
/*
 * Whether GRUB can open name in directory dir of device dev, from the
 * directory's listing (read once): 1 and *ret_entry (may be NULL), or 0.
 */
int inspection_find(struct inspection *in, const char *dev, const char *dir, const char *name,
                    const struct fstest_entry **ret_entry);
/* The files (not directories) GRUB lists in a directory of a device, copied. */
int inspection_files(struct inspection *in, const char *dev, const char *dir, char ***ret, size_t *ret_n);
/* GRUB's message with its loop disks named as the guest names them. */
char *inspection_grub_message(const struct inspection *in, const char *msg);
/* A device as the report shows it: "(xvda,msdos1)". */
char *inspection_device_name(const struct inspection *in, const char *dev);

/* locate.c: the devices, the menu pvhgrub reads, the root and /boot file systems. */
int locate(struct inspection *in);

/* extract.c: copy what the checks read, run them until they ask for nothing new. */
int extract_and_judge(struct inspection *in, struct kvset *ret);

/* report.c */
/* What the process is doing, for the report written when a limit ends it. */
void stage_set(const char *fmt, ...) _printf_(1, 2);
/* SIGXCPU reports the CPU limit with the stage, then exits. */
int stage_catch_cpu_limit(void);
/* The identity, namespaces and limits this process runs with, as NAME=VALUE words. */
char *sandbox_describe(void);
/* Writes the report lines: the readiness keys, then the inspection's. */
int report_write(int fd, const struct inspection *in, const struct kvset *result);
