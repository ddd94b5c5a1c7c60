/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "guest.h"
#include "xstore.h"

/*
 * Disk inspection of guests without an agent: pvh-inspect runs on a
 * guest's disks in a sandbox (shared/spawn.h), and its report is read like
 * a guest's nodes (guest_apply_report). The sandbox: new mount, network,
 * IPC, UTS and PID namespaces; a private read-only root with the system's
 * programs, the inspector, the disks and a /tmp of INSPECT_TMP_MAX bytes;
 * each disk readable through a path of its own by the sandbox's user only
 * (a device node of its own for a block device, an idmapped read-only
 * bind for an image file), read-only; then no groups, that user, no
 * capabilities, no new privileges, and limits on CPU time, address space,
 * file size, open files, processes and core dumps.
 */
#define INSPECT_USER "pvh-inspect"      /* the package's system user; "nobody" when absent */
#define INSPECT_TMP_MAX (640ull << 20)  /* what the inspector may copy from the disks, in memory */
#define INSPECT_COPY_MAX (512ull << 20) /*   of which files, the rest for their directories */
#define INSPECT_AS_MAX (1ull << 30)     /* address space */
#define INSPECT_FSIZE_MAX (257ull << 20) /* one file: the largest kernel or initramfs read, and one byte */
#define INSPECT_CPU_DEFAULT 30           /* CPU seconds; the wall clock allows four times more */
#define INSPECTOR_DEFAULT PKGLIBEXECDIR "/pvh-inspect"

struct inspect_opts {
        const char *inspector;     /* pvh-inspect */
        const char *user;          /* NULL: INSPECT_USER, else nobody */
        unsigned cpu_s;
};

struct inspect_disk {
        char *vdev;
        char *path;
};

void inspect_disks_free(struct inspect_disk *d, size_t n);
/* The raw disks of an xl configuration (cdroms left out); *ret_why says why there are none. */
int inspect_disks_from_config(const char *path, struct inspect_disk **ret, size_t *ret_n, char **ret_why);
/* The disks of a running domain, from its block backends' nodes in dom0's tree. */
int inspect_disks_from_xenstore(struct xstore *x, unsigned domid, struct inspect_disk **ret, size_t *ret_n,
                                char **ret_why);
/* "xvda=/dev/vg0/a xvdb=..." */
char *inspect_disks_text(const struct inspect_disk *d, size_t n);

struct inspect_result {
        char *report;              /* the inspector's output, at most PROTO_REPORT_MAX */
        size_t len;
        char *failure;             /* NULL, or why the inspector did not report */
};

void inspect_result_done(struct inspect_result *r);
/* Runs the inspector on the disks; guest_type (PV, PVH, HVM or NULL) is the toolstack's. */
int inspect_run(const struct inspect_opts *o, const char *guest_type, const struct inspect_disk *d, size_t n,
                struct inspect_result *ret);
/* The toolstack's type of a running domain (/libxl/DOMID/type): "PV", "PVH", "HVM", or NULL. */
const char *inspect_domain_type(struct xstore *x, unsigned domid);

/*
 * Inspects a running domain now: its disks from the xl configuration at
 * config (NULL: from its disk backends), the inspector run, its report
 * shown in g (which guest_read() filled; its agent, if any, is set aside)
 * and kept in the database. A failed inspection is no error here: g says
 * why (guest_inspection_ok()).
 */
int inspect_guest(struct xstore *x, struct db *d, const struct inspect_opts *o, const char *config, struct guest *g);
