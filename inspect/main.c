/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "inspection.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "util.h"

#define TIMEOUT_DEFAULT_S 60
#define TOTAL_DEFAULT (512u << 20)

struct args {
        const char *work;
        uint64_t total_max;
        bool verbose;
};

static void help(FILE *out)
{
        fprintf(out,
                "Usage: pvh-inspect [OPTIONS] [NAME=]DISK...\n"
                "\n"
                "Reads a guest's disks with GRUB's own file system code (grub-fstest), the\n"
                "way pvhgrub will: the menu it finds, the kernel that menu boots next, its\n"
                "initramfs and configuration, the GRUB settings; copies what the readiness\n"
                "checks read into a private directory and runs them there. Nothing is\n"
                "written to the disks. Prints the report (protocol/PROTOCOL.md, \"Disk\n"
                "inspection report\"). pvh-monitor inspect runs it in a sandbox.\n"
                "\n"
                "  NAME=DISK           a disk image or block device, and its name in the guest\n"
                "  --guest-type TYPE   PV, PVH or HVM, as the toolstack runs the guest\n"
                "  --grub-fstest PATH  default " GRUB_FSTEST "\n"
                "  --work DIR          where the files read are kept meanwhile (default /tmp)\n"
                "  --image-max BYTES   the largest kernel or initramfs read (default %u MiB)\n"
                "  --total-max BYTES   the most read in all (default %u MiB)\n"
                "  --timeout S         for each read of the disks (default %u)\n"
                "  -v                  debug messages on stderr\n"
                "\n"
                "Exit status: 0 judged, 1 the inspection failed (the report says why),\n"
                "4 usage, 5 internal error.\n",
                INSPECT_IMAGE_MAX >> 20, TOTAL_DEFAULT >> 20, TIMEOUT_DEFAULT_S);
}

static int parse_bytes(const char *s, uint64_t *ret)
{
        if (safe_atou64(s, ret) < 0 || *ret == 0)
                return log_error_errno(-EINVAL, "Bad size '%s'.", s);
        return 0;
}

static int add_disk(struct inspection *in, const char *arg)
{
        const char *eq = strchr(arg, '=');
        size_t n = in->fs.n_disks, m = n;
        int r;

        r = strv_push(&in->names, &m, eq ? strndup(arg, (size_t)(eq - arg)) : strdup_printf("disk%zu", n));
        if (r >= 0)
                r = strv_push_dup(&in->fs.disks, &in->fs.n_disks, eq ? eq + 1 : arg);
        return r;
}

/* Returns 1 to go on, 0 when done (--help), < 0 on a usage error. */
static int parse_argv(int argc, char **argv, struct args *a, struct inspection *in)
{
        enum { O_TYPE = 256, O_FSTEST, O_WORK, O_IMAGE, O_TOTAL, O_TIMEOUT };
        static const struct option opts[] = {
                { "guest-type", required_argument, NULL, O_TYPE },
                { "grub-fstest", required_argument, NULL, O_FSTEST },
                { "work", required_argument, NULL, O_WORK },
                { "image-max", required_argument, NULL, O_IMAGE },
                { "total-max", required_argument, NULL, O_TOTAL },
                { "timeout", required_argument, NULL, O_TIMEOUT },
                { "help", no_argument, NULL, 'h' },
                { "verbose", no_argument, NULL, 'v' },
                {},
        };
        unsigned t;
        int c;

        while ((c = getopt_long(argc, argv, "hv", opts, NULL)) >= 0)
                switch (c) {
                case O_TYPE:
                        if (proto_guest_type_from_string(optarg, strlen(optarg)) < 0)
                                return log_error_errno(-EINVAL, "Bad guest type '%s'.", optarg);
                        in->guest_type = optarg;
                        break;
                case O_FSTEST:
                        in->fs.prog = optarg;
                        break;
                case O_WORK:
                        a->work = optarg;
                        break;
                case O_IMAGE:
                        if (parse_bytes(optarg, &in->image_max) < 0)
                                return -EINVAL;
                        break;
                case O_TOTAL:
                        if (parse_bytes(optarg, &a->total_max) < 0)
                                return -EINVAL;
                        break;
                case O_TIMEOUT:
                        if (safe_atou(optarg, &t) < 0 || t == 0 || t > 86400)
                                return log_error_errno(-EINVAL, "Bad timeout '%s'.", optarg);
                        in->fs.timeout_usec = (uint64_t)t * 1000000;
                        break;
                case 'v':
                        a->verbose = true;
                        break;
                case 'h':
                        help(stdout);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind >= argc)
                return log_error_errno(-EINVAL, "No disk given.");
        for (int i = optind; i < argc; i++)
                if (add_disk(in, argv[i]) < 0)
                        return -ENOMEM;
        return 1;
}

int main(int argc, char **argv)
{
        struct inspection in = { .fs = { .prog = GRUB_FSTEST, .timeout_usec = TIMEOUT_DEFAULT_S * 1000000ull },
                                 .image_max = INSPECT_IMAGE_MAX, .tree = { .root_fd = -1, .dir_fd = -1 } };
        struct args a = { .work = "/tmp", .total_max = TOTAL_DEFAULT };
        struct kvset result = {};
        int r;

        log_setup("pvh-inspect", false);
        r = parse_argv(argc, argv, &a, &in);
        if (r <= 0) {
                inspection_done(&in);
                strv_free(in.names);
                strv_free(in.fs.disks);
                return r < 0 ? EXIT_USAGE : EXIT_DONE;
        }
        /* The report is the output: without -v nothing else is written, not even warnings. */
        log_setup("pvh-inspect", a.verbose);
        if (!a.verbose)
                log_set_max_level(LOG_EMERG);
        r = stage_catch_cpu_limit();
        if (r >= 0)
                r = tree_open(a.work, a.total_max, &in.tree);
        if (r >= 0)
                r = locate(&in);
        if (r >= 0)
                r = extract_and_judge(&in, &result);
        if (r < 0 && !in.error)
                inspection_fail(&in, r == -ENOMEM ? "limit" : "internal", "%s", strerror(-r));
        r = report_write(STDOUT_FILENO, &in, &result);
        kvset_clear(&result);
        r = r < 0 ? EXIT_INTERNAL : in.error ? EXIT_FAILED : EXIT_DONE;
        inspection_done(&in);
        strv_free(in.names);
        strv_free(in.fs.disks);
        return r;
}
