/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * xl domain configuration files (xl.cfg(5)): what type a domain boots as,
 * and its switch from PV with pvgrub to PVH with pvhgrub. Only the lines
 * that matter are touched; every other byte stays as it was. Files are
 * replaced atomically (a temporary file, fsync, rename, fsync of the
 * directory) and the PV original is kept next to the file as its backup.
 */

#define XLCFG_SIZE_MAX (256 * 1024)
#define XLCFG_BACKUP_SUFFIX ".pv-backup"

enum xlcfg_type {
        XLCFG_PV,
        XLCFG_PVH,
        XLCFG_HVM,
        XLCFG_UNKNOWN,
};

/*
 * The table of boot loaders: line i of pvhgrub (lines end at '\n') is the
 * PVH counterpart of the PV image on line i of pvgrub. A configuration
 * whose kernel = names one of the PV images is switched to its counterpart.
 */
struct xlcfg_paths {
        const char *pvgrub;  /* the PV grub images kernel = may name, one a line */
        const char *pvhgrub; /* their PVH counterparts, one a line */
};

const char *xlcfg_type_to_string(enum xlcfg_type t);

/* The PVH counterpart in the table of the PV image pv (len bytes); NULL when the table has none. */
const char *xlcfg_pvh_loader(const struct xlcfg_paths *p, const char *pv, size_t len, size_t *ret_len);
/* Whether a boot image's file name says grub: a boot loader, not a kernel dom0 loads. */
bool xlcfg_looks_like_grub(const char *path, size_t len);
/* The PV images of the table, a space between them, for a reason (malloc'd). */
char *xlcfg_table_text(const struct xlcfg_paths *p);

int xlcfg_load(const char *path, char **ret, size_t *ret_len);

/*
 * The type a configuration boots as. When it cannot be switched to PVH by
 * xlcfg_to_pvh(), *ret_reason (allocated) says why; else it is NULL.
 */
int xlcfg_inspect(const char *text, const struct xlcfg_paths *p, enum xlcfg_type *ret_type,
                  char **ret_reason);

/* The PVH text of a switchable PV configuration (see xlcfg_inspect). */
int xlcfg_to_pvh(const char *text, const struct xlcfg_paths *p, char **ret);

/*
 * The file a configuration's path leads to, every symbolic link followed:
 * switch and restore replace that file and leave the links as they are
 * (xendomains' /etc/xen/auto holds links, configuration management often
 * makes them). A file with more than one hard link cannot be replaced
 * without detaching the other names, nor written in place atomically:
 * -EINVAL with *ret_reason, as for a file that is not regular.
 */
int xlcfg_target(const char *path, char **ret_target, char **ret_reason);

/* xlcfg_inspect() of the file at path; one xlcfg_target() refuses is XLCFG_UNKNOWN, with its reason. */
int xlcfg_inspect_file(const char *path, const struct xlcfg_paths *p, enum xlcfg_type *ret_type,
                       char **ret_reason);

/* name = "..." of the configuration; -ENOENT when absent. */
int xlcfg_name(const char *text, char **ret);

/*
 * Switches the file at path (its xlcfg_target()) to PVH: keeps the PV
 * original beside it as target + XLCFG_BACKUP_SUFFIX, then replaces it.
 * Idempotent: a file already PVH is left alone (returns 0, and 1 when it
 * changed the file). -EINVAL with *ret_reason when the file cannot be
 * switched.
 */
int xlcfg_switch(const char *path, const struct xlcfg_paths *p, char **ret_reason);

/*
 * Puts the PV original back from the backup beside the target. Idempotent:
 * 0 when the file is already the original or was never switched (PV, no
 * backup), 1 when it restored it. -ENOENT when the file is not PV and there
 * is no backup; -EMLINK when it has more than one hard link.
 */
int xlcfg_restore(const char *path);

/*
 * The disks of disk = [ 'SPEC', ... ] (the last assignment, over several
 * lines if need be), at most XLCFG_DISKS_MAX, as xl-disk-configuration(5)
 * writes them.
 */
#define XLCFG_DISKS_MAX 16
struct xlcfg_disk {
        char *target;   /* the image or device, legacy prefixes ("phy:", "file:", "tap:aio:") removed */
        char *vdev;     /* "xvda" */
        char *format;   /* "raw" unless said otherwise */
        bool cdrom;
};

int xlcfg_disks(const char *text, struct xlcfg_disk **ret, size_t *ret_n);
void xlcfg_disks_free(struct xlcfg_disk *d, size_t n);

/*
 * A throwaway copy of a guest for a trial boot (pvh-monitor trial): the
 * configuration text with its name, UUID, memory and disks replaced by
 * these, and without network cards, passed-through devices (pci, usbdev,
 * dtdev, iomem, ioports, irqs, rdm), 9pfs shares, vTPMs, PV calls or
 * channels, and the domain kept, shut down, rather than restarted or
 * destroyed when it reboots, powers off or crashes: the trial reads why it
 * stopped, then destroys it itself.
 * Every other line stays as it was.
 */
struct xlcfg_trial {
        const char *name;
        const char *uuid;
        unsigned memory_mib;       /* 0: the memory lines are left alone */
        const char *const *disks;  /* xl-disk-configuration(5) specs */
        size_t n_disks;
};

int xlcfg_to_trial(const char *text, const struct xlcfg_trial *t, char **ret);
/* memory = N (MiB) of the configuration; -ENOENT when absent or not a number. */
int xlcfg_memory(const char *text, unsigned *ret);
