/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect.h"
#include "conffile.h"
#include "db.h"
#include "filter.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "monitor.h"
#include "render.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

/* The host's migrate settings (etc/migrate.conf): the table of boot loaders. */
#define SETTINGS_DEFAULT "/etc/pvh-monitor/migrate.conf"
#define SETTINGS_FILE_MAX (64u << 10)

struct margs {
        const char *db;
        int64_t id;
        bool json, dry_run, all, replace;
        bool same_settings; /* --same-settings: the newest migration's */
        unsigned parallel; /* --parallel, 0 when not given */
        struct filter filter;
        /* The table of boot loaders from the command line: pv[i] becomes pvh[i] (NULL: --pvhgrub). */
        char **pv, **pvh;
        size_t n_pv, n_pvh;
        char *pvhgrub; /* --pvhgrub */
        const char *settings;
        bool loaders_given;  /* the command line's table of boot loaders replaces the file's */
        bool kind_given, program_given, uri_given; /* the command line's win over the file's */
        char **domains;
        int n_domains;
        struct mig_settings s;
};

static void migrate_help(FILE *f)
{
        fputs("Usage: pvh-monitor migrate plan [OPTIONS] [--all | --filter/--exclude KEY=GLOB... | DOMAIN...]\n"
                "       pvh-monitor migrate run [--dry-run] [--parallel N] [--json] [--id N]\n"
                "                               [--db FILE]\n"
                "       pvh-monitor migrate resume [--parallel N] [--json] [--id N] [--db FILE]\n"
                "       pvh-monitor migrate status [--json] [--id N] [--db FILE]\n"
                "       pvh-monitor migrate list [--json] [--db FILE]\n"
                "       pvh-monitor migrate abort [--json] [--id N] [--db FILE]\n"
                "\n"
                "Staged PV -> PVH migration. plan picks the guests, orders them by risk (ready,\n"
                "then fixable; blocked and unswitchable guests are skipped with the reason) and\n"
                "splits them into waves: a canary, then waves growing by a factor. run takes each\n"
                "guest through: check -> prepare (fixable guests, when the agent offers it) ->\n"
                "verdict ready -> configuration switched to PVH (the PV original kept as\n"
                "CFG" XLCFG_BACKUP_SUFFIX ") -> XL shutdown -w NAME, XL create CFG (or libvirt's or\n"
                "XAPI's own, --toolstack) -> verified: the agent\n"
                "reports guest_type PVH, a new boot id and its addresses. On failure: the PV\n"
                "configuration back, restarted, rollback requested, the guest marked failed.\n"
                "A wave starts only while fewer guests failed than --max-failures, and never\n"
                "after a canary failed. Every step is recorded before it acts: resume continues\n"
                "a run that was killed; abort stops a run (the guest in progress is rolled back\n"
                "when no run is alive, else the run stops before its next guest).\n"
                "\n"
                "plan (its agent must answer a ping within " STRINGIFY(MIG_PING_TIMEOUT) " s, at plan and again\n"
                "before the guest's turn: else it is skipped, \"no answer\"):\n"
                "  --all | DOMAIN...      the guests (default all)\n"
                "  --filter KEY=GLOB      only guests whose KEY matches the shell glob; repeated:\n"
                "                         every one must match (keys as for status --filter)\n"
                "  --exclude KEY=GLOB     no guest whose KEY matches; repeatable\n"
                "  --replace              replace a migration planned and not run yet\n"
                "  --canary N             guests in the first wave (default 1)\n"
                "  --growth N             each wave N times the previous one (default 2)\n"
                "  --max-wave N           at most N guests in a wave (default 0: no bound)\n"
                "  --max-failures N       a wave starts only while fewer failed (default 1)\n"
                "  --toolstack KIND       xl (default), libvirt (virsh: the domain's persistent\n"
                "                         XML) or xapi (xe: the VM's domain-type); the\n"
                "                         settings' toolstack = when not given\n"
                "  --toolstack-program P  the toolstack's program, run without a shell\n"
                "                         (default " XL_DEFAULT ", " VIRSH_DEFAULT "\n"
                "                         or " XE_DEFAULT "); --xl P is the same\n"
                "  --libvirt-uri URI      libvirt's connection (default " LIBVIRT_URI_DEFAULT ")\n"
                "  --config PATTERN       the guest's definition, %n the domain name: xl's\n"
                "                         configuration (default " CONFIG_DEFAULT "),\n"
                "                         libvirt's PVH XML written for virsh define (default\n"
                "                         " LIBVIRT_CONFIG_DEFAULT "); xapi: the plan's xapi:UUID\n"
                "  --pvgrub PATH          a PV grub image kernel = may name; repeatable (default\n"
                "                         the settings' table, else\n"
                "                         " PVGRUB_DEFAULT " and\n"
                "                         " PVGRUB32_DEFAULT ")\n"
                "  --pvhgrub PATH         what replaces those (default\n"
                "                         " PVHGRUB_DEFAULT ")\n"
                "  --boot-loader PV=PVH   kernel = PV becomes kernel = PVH; repeatable, with --pvgrub\n"
                "                         it replaces the settings' table\n"
                "  --settings FILE        the table of boot loaders (default\n"
                "                         " SETTINGS_DEFAULT ")\n"
                "  --config-hook PROG     switch other formats: PROG to-pvh|to-pv NAME CFG\n"
                "  --toolstack-timeout S  for each XL command (default 300)\n"
                "  --boot-timeout S       for a guest to come back (default 300)\n"
                "  --request-timeout S    for prepare and rollback answers (default 600)\n"
                "  --agentless            plan guests without an agent whose disks' inspection\n"
                "                         (pvh-monitor inspect, run now) says ready; a fixable one\n"
                "                         is skipped with the manual change for its owner. Before\n"
                "                         the switch it is inspected again; after, verified\n"
                "                         without an agent: the toolstack runs it as PVH, every\n"
                "                         disk and network frontend connects, and it stays up\n"
                "                         for the settle time\n"
                "  --settle S             agentless guests: seconds a PVH boot must stay up (30)\n"
                "  --agent-settle S       guests with an agent: seconds a PVH boot must stay up,\n"
                "                         neither crashed nor shut down, once its agent reported\n"
                "                         it (0, the default: verified at the report)\n"
                "  --max-restarts N       a guest the toolstack restarts N times while it is\n"
                "                         verified fails at once, as one it shows crashed (2)\n"
                "  --no-prepare           switch only guests ready as they are: no guest is\n"
                "                         prepared, a fixable one is skipped (also when it turns\n"
                "                         fixable after the plan)\n"
                "  --inspector PATH       the inspector (default " INSPECTOR_DEFAULT ")\n"
                "  --inspect-time-limit S its CPU seconds per guest (default 30)\n"
                "  --console-log PATH     each guest's console log, %n the name\n"
                "                         (default " CONSOLE_LOG_DEFAULT "); a\n"
                "                         kernel panic or GRUB unable to load the kernel\n"
                "                         written there since the switch fails the boot at\n"
                "                         once; a guest without one is verified without it\n"
                "  --before-guest PROG    run PROG (no shell, no arguments, PVH_* in its\n"
                "                         environment) before each guest: a non-zero exit\n"
                "                         skips the guest, its output the reason\n"
                "  --after-guest PROG     run PROG after each guest (PVH_OUTCOME: done, failed,\n"
                "                         skipped, cancelled); a failure is only journaled\n"
                "  --require-trial        plan only guests whose newest trial boot (pvh-monitor\n"
                "                         trial) booted, and whose kernel serve saw change\n"
                "                         not since; the others are skipped with the reason\n"
                "  --at-next-reboot       restart nothing: run prepares each guest, writes the\n"
                "                         PVH configuration to CFG and, with XL config-update\n"
                "                         NAME CFG, to the running domain (libvirt: virsh\n"
                "                         define does both), and leaves it armed;\n"
                "                         it switches at its own next reboot, verified by\n"
                "                         serve, which resumes the migration when an armed\n"
                "                         guest restarts or its verdict turns blocked (then it\n"
                "                         is disarmed: PV again in both places)\n"
                "  --same-settings        the settings of the newest migration (toolstack,\n"
                "                         configuration path, boot loaders, hooks, timeouts)\n"
                "                         in place of those given here: how serve arms a\n"
                "                         guest whose owner asked (pvh-agent switch)\n"
                "common:\n"
                "  --db FILE              the database (default " DB_DEFAULT_PATH ")\n"
                "  --id N                 the migration (default the newest)\n"
                "  --json                 JSON (run, resume, abort: JSON lines; else a line per\n"
                "                         step with its time and a summary at the end)\n"
                "  --dry-run              run: print what would be done, change nothing\n"
                "  --parallel N           plan, run, resume: up to N guests of a wave in their\n"
                "                         steps at once (default 1, at most " STRINGIFY(MRUN_PARALLEL_MAX) ": each\n"
                "                         one holds a xenstore connection and runs its own\n"
                "                         toolstack commands); run's and resume's override plan's\n"
                "\n"
                "Exit status: 0 done (every guest), 1 failed (no guest done, or the run\n"
                "stopped or was aborted), 2 partial (some guests done, others not), 4 usage,\n"
                "5 internal.\n",
              f);
}

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
        if (safe_atou(s, ret) < 0 || *ret > max)
                return log_error_errno(-EINVAL, "Bad number '%s'.", s);
        return 0;
}

static int set_str(char **dst, const char *v)
{
        free(*dst);
        *dst = strdup(v);
        return *dst ? 0 : -ENOMEM;
}

enum {
        O_DB = 256, O_ID, O_JSON, O_DRY, O_PARALLEL, O_ALL, O_FILTER, O_CANARY, O_GROWTH, O_MAXWAVE,
        O_MAXFAIL, O_CONFIG, O_PVGRUB, O_PVHGRUB, O_HOOK, O_XL, O_TS_TO, O_BOOT_TO, O_REQ_TO,
        O_AGENTLESS, O_SETTLE, O_AGENT_SETTLE, O_INSPECTOR, O_INSPECT_TIME, O_CONSOLE_LOG, O_EXCLUDE, O_REPLACE,
        O_BOOT_LOADER, O_SETTINGS, O_BEFORE, O_AFTER, O_MAX_RESTARTS, O_NO_PREPARE,
        O_AT_NEXT_REBOOT,
        O_SAME_SETTINGS,
        O_REQUIRE_TRIAL,
        O_TOOLSTACK,
        O_LIBVIRT_URI,
};

/*
 * A boot loader's path goes between the quotes of kernel = and into a list
 * of lines: absolute, printable, without quotes.
 */
static int loader_path_check(const char *p, size_t n)
{
        if (n == 0 || n > PATH_MAX || p[0] != '/')
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '"' || p[i] == '\'')
                        return -EINVAL;
        return 0;
}

/* --boot-loader PV=PVH, or --pvgrub PV (pvh NULL: --pvhgrub's image). */
static int add_loader(struct margs *a, const char *pv, size_t pv_len, const char *pvh)
{
        bool pv_ok = loader_path_check(pv, pv_len) >= 0;
        char *k;

        if (!pv_ok || (pvh && loader_path_check(pvh, strlen(pvh)) < 0)) {
                _cleanup_free_ char *e = pv_ok ? render_escape(pvh, strlen(pvh)) : render_escape(pv, pv_len);

                return log_error_errno(-EINVAL, "A boot loader is an absolute path without quotes or "
                                       "control characters: '%s'.", e ? e : "?");
        }
        k = strndup(pv, pv_len);
        if (!k || strv_push(&a->pv, &a->n_pv, k) < 0 || strv_push_dup(&a->pvh, &a->n_pvh, pvh ? pvh : "") < 0)
                return log_error_errno(-ENOMEM, "Out of memory.");
        return 0;
}

static int parse_boot_loader(struct margs *a, const char *arg)
{
        const char *eq = strchr(arg, '=');

        if (!eq)
                return log_error_errno(-EINVAL, "--boot-loader wants PV-IMAGE=PVH-IMAGE.");
        return add_loader(a, arg, (size_t)(eq - arg), eq + 1);
}

/* A hook is executed as it is named, without a shell or a search of PATH: an absolute path. */
static int set_hook(char **dst, const char *v)
{
        if (v[0] != '/')
                return log_error_errno(-EINVAL, "A hook must be an absolute path: '%s'.", v);
        if (access(v, X_OK) < 0)
                return log_error_errno(-errno, "Hook '%s' is not executable: %m", v);
        return set_str(dst, v);
}

static int set_kind(struct margs *a, const char *v)
{
        int k = mts_kind_from_string(v);

        if (k < 0)
                return log_error_errno(-EINVAL, "Unknown toolstack '%s' (xl, libvirt, xapi).", v);
        a->s.kind = (enum mts_kind)k;
        return 0;
}

/* A libvirt URI goes into virsh's argument vector: one word, printable, not an option. */
static int set_uri(struct margs *a, const char *v)
{
        for (const char *p = v; *p; p++)
                if ((unsigned char)*p <= 0x20 || *p == 0x7f)
                        return log_error_errno(-EINVAL, "Bad libvirt URI '%s'.", v);
        if (!*v || v[0] == '-' || !strstr(v, "://"))
                return log_error_errno(-EINVAL, "Bad libvirt URI '%s' (xen:///system, say).", v);
        return set_str(&a->s.toolstack_uri, v);
}

static int parse_opt(int c, struct margs *a)
{
        unsigned v;

        switch (c) {
        case O_DB:
                a->db = optarg;
                return 0;
        case O_ID:
                return parse_uint(optarg, 1u << 30, &v) < 0 ? -EINVAL : (a->id = v, 0);
        case O_JSON:
                a->json = true;
                return 0;
        case O_DRY:
                a->dry_run = true;
                return 0;
        case O_PARALLEL:
                /* Bounded: xenstored and the toolstack take much of each guest's work one at a time. */
                if (safe_atou(optarg, &a->parallel) < 0 || a->parallel < 1 || a->parallel > MRUN_PARALLEL_MAX)
                        return log_error_errno(-EINVAL, "--parallel takes 1 to %u: each guest in flight holds "
                                               "its own xenstore connection and runs its own toolstack "
                                               "commands, which must not overrun xenstored and the "
                                               "toolstack.", MRUN_PARALLEL_MAX);
                return 0;
        case O_ALL:
                a->all = true;
                return 0;
        case O_FILTER:
        case O_EXCLUDE:
                return filter_add(&a->filter, optarg, c == O_EXCLUDE);
        case O_REPLACE:
                a->replace = true;
                return 0;
        case O_BOOT_LOADER:
                a->loaders_given = true;
                return parse_boot_loader(a, optarg);
        case O_SETTINGS:
                a->settings = optarg;
                return 0;
        case O_CANARY:
                return parse_uint(optarg, 100000, &a->s.canary);
        case O_GROWTH:
                return parse_uint(optarg, 1000, &a->s.growth);
        case O_MAXWAVE:
                return parse_uint(optarg, 100000, &a->s.max_wave);
        case O_MAXFAIL:
                return parse_uint(optarg, 100000, &a->s.max_failures);
        case O_CONFIG:
                return set_str(&a->s.config, optarg);
        case O_PVGRUB:
                a->loaders_given = true;
                return add_loader(a, optarg, strlen(optarg), NULL);
        case O_PVHGRUB:
                if (loader_path_check(optarg, strlen(optarg)) < 0)
                        return log_error_errno(-EINVAL, "--pvhgrub wants an absolute path without quotes.");
                return set_str(&a->pvhgrub, optarg);
        case O_HOOK:
                return set_str(&a->s.hook, optarg);
        case O_XL:
                a->program_given = true;
                return set_str(&a->s.xl, optarg);
        case O_TOOLSTACK:
                a->kind_given = true;
                return set_kind(a, optarg);
        case O_LIBVIRT_URI:
                a->uri_given = true;
                return set_uri(a, optarg);
        case O_TS_TO:
                return parse_uint(optarg, 86400, &a->s.toolstack_timeout);
        case O_BOOT_TO:
                return parse_uint(optarg, 86400, &a->s.boot_timeout);
        case O_REQ_TO:
                return parse_uint(optarg, 86400, &a->s.request_timeout);
        case O_AGENTLESS:
                a->s.agentless = true;
                return 0;
        case O_SETTLE:
                return parse_uint(optarg, 86400, &a->s.settle);
        case O_AGENT_SETTLE:
                return parse_uint(optarg, 86400, &a->s.agent_settle);
        case O_INSPECTOR:
                return set_str(&a->s.inspector, optarg);
        case O_INSPECT_TIME:
                return parse_uint(optarg, 3600, &a->s.inspect_time);
        case O_CONSOLE_LOG:
                return set_str(&a->s.console_log, optarg);
        case O_BEFORE:
                return set_hook(&a->s.before_guest, optarg);
        case O_AFTER:
                return set_hook(&a->s.after_guest, optarg);
        case O_MAX_RESTARTS:
                return parse_uint(optarg, 1000, &a->s.max_restarts);
        case O_NO_PREPARE:
                a->s.no_prepare = true;
                return 0;
        case O_AT_NEXT_REBOOT:
                a->s.at_next_reboot = true;
                return 0;
        case O_SAME_SETTINGS:
                a->same_settings = true;
                return 0;
        case O_REQUIRE_TRIAL:
                a->s.require_trial = true;
                return 0;
        default:
                return -EINVAL;
        }
}

static int margs_parse(int argc, char **argv, bool plan, struct margs *a)
{
        static const struct option opts[] = {
                { "db", required_argument, NULL, O_DB },
                { "id", required_argument, NULL, O_ID },
                { "json", no_argument, NULL, O_JSON },
                { "dry-run", no_argument, NULL, O_DRY },
                { "parallel", required_argument, NULL, O_PARALLEL },
                { "all", no_argument, NULL, O_ALL },
                { "filter", required_argument, NULL, O_FILTER },
                { "exclude", required_argument, NULL, O_EXCLUDE },
                { "replace", no_argument, NULL, O_REPLACE },
                { "boot-loader", required_argument, NULL, O_BOOT_LOADER },
                { "settings", required_argument, NULL, O_SETTINGS },
                { "canary", required_argument, NULL, O_CANARY },
                { "growth", required_argument, NULL, O_GROWTH },
                { "max-wave", required_argument, NULL, O_MAXWAVE },
                { "max-failures", required_argument, NULL, O_MAXFAIL },
                { "config", required_argument, NULL, O_CONFIG },
                { "pvgrub", required_argument, NULL, O_PVGRUB },
                { "pvhgrub", required_argument, NULL, O_PVHGRUB },
                { "config-hook", required_argument, NULL, O_HOOK },
                { "xl", required_argument, NULL, O_XL },
                { "toolstack-program", required_argument, NULL, O_XL },
                { "toolstack", required_argument, NULL, O_TOOLSTACK },
                { "libvirt-uri", required_argument, NULL, O_LIBVIRT_URI },
                { "toolstack-timeout", required_argument, NULL, O_TS_TO },
                { "boot-timeout", required_argument, NULL, O_BOOT_TO },
                { "request-timeout", required_argument, NULL, O_REQ_TO },
                { "agentless", no_argument, NULL, O_AGENTLESS },
                { "settle", required_argument, NULL, O_SETTLE },
                { "agent-settle", required_argument, NULL, O_AGENT_SETTLE },
                { "inspector", required_argument, NULL, O_INSPECTOR },
                { "inspect-time-limit", required_argument, NULL, O_INSPECT_TIME },
                { "console-log", required_argument, NULL, O_CONSOLE_LOG },
                { "before-guest", required_argument, NULL, O_BEFORE },
                { "after-guest", required_argument, NULL, O_AFTER },
                { "max-restarts", required_argument, NULL, O_MAX_RESTARTS },
                { "no-prepare", no_argument, NULL, O_NO_PREPARE },
                { "at-next-reboot", no_argument, NULL, O_AT_NEXT_REBOOT },
                { "same-settings", no_argument, NULL, O_SAME_SETTINGS },
                { "require-trial", no_argument, NULL, O_REQUIRE_TRIAL },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                if (c == 'h') {
                        migrate_help(stdout);
                        return 0;
                }
                if (!plan && c >= O_ALL)
                        return log_error_errno(-EINVAL, "That option belongs to migrate plan.");
                if (parse_opt(c, a) < 0)
                        return -EINVAL;
        }
        a->domains = argv + optind;
        a->n_domains = argc - optind;
        if (!plan && a->n_domains > 0)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        if ((a->all || !filter_empty(&a->filter)) && a->n_domains > 0)
                return log_error_errno(-EINVAL, "--all, --filter and --exclude take no DOMAIN.");
        if (plan && (a->s.canary == 0 || a->s.growth == 0 || a->s.max_failures == 0))
                return log_error_errno(-EINVAL, "--canary, --growth and --max-failures must be at least 1.");
        return 1;
}

static bool key_is(const char *key, size_t kn, const char *want)
{
        return kn == strlen(want) && memcmp(key, want, kn) == 0;
}

/* toolstack, toolstack-program, libvirt-uri: the command line's win. */
static int on_toolstack_setting(struct margs *a, unsigned line, const char *key, size_t kn, const char *v)
{
        if (key_is(key, kn, "toolstack"))
                return a->kind_given ? 0 : set_kind(a, v);
        if (key_is(key, kn, "libvirt-uri"))
                return a->uri_given ? 0 : set_uri(a, v);
        if (v[0] != '/')
                return log_error_errno(-EINVAL, "%s: line %u: toolstack-program wants an absolute path.",
                                       a->settings, line);
        return a->program_given ? 0 : set_str(&a->s.xl, v);
}

/*
 * boot-loader = PV-IMAGE PVH-IMAGE (it may be repeated; the command line's
 * table replaces the file's), toolstack, toolstack-program, libvirt-uri.
 */
static int on_setting(unsigned line, const char *key, size_t kn, const char *v, size_t vn, void *userdata)
{
        struct margs *a = userdata;
        const char *sp = memchr(v, ' ', vn);
        _cleanup_free_ char *pvh = NULL, *value = NULL;

        if (key_is(key, kn, "toolstack") || key_is(key, kn, "toolstack-program") || key_is(key, kn, "libvirt-uri")) {
                value = strndup(v, vn);
                return value ? on_toolstack_setting(a, line, key, kn, value) : log_error_errno(-ENOMEM, "Out of memory.");
        }
        if (!key_is(key, kn, "boot-loader"))
                return log_error_errno(-EINVAL, "%s: line %u: unknown key '%.*s' (known: boot-loader, "
                                       "toolstack, toolstack-program, libvirt-uri).",
                                       a->settings, line, (int)kn, key);
        if (a->loaders_given)
                return 0;
        if (!sp || memchr(sp + 1, ' ', vn - (size_t)(sp + 1 - v)) || memchr(v, '\t', vn))
                return log_error_errno(-EINVAL, "%s: line %u: boot-loader takes PV-IMAGE PVH-IMAGE, "
                                       "one space between them.", a->settings, line);
        pvh = strndup(sp + 1, vn - (size_t)(sp + 1 - v));
        if (!pvh)
                return log_error_errno(-ENOMEM, "Out of memory.");
        return add_loader(a, v, (size_t)(sp - v), pvh);
}

/* The settings file: its table of boot loaders and its toolstack; a missing file has none. */
static int settings_file(struct margs *a)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        char error[256] = "";
        size_t len;
        int r;

        if (!a->settings)
                a->settings = SETTINGS_DEFAULT;
        fd = root_open_regular_at(AT_FDCWD, a->settings, O_RDONLY);
        if (fd == -ENOENT)
                return 0;
        r = fd < 0 ? fd : read_full_fd(fd, &text, SETTINGS_FILE_MAX, &len);
        if (r < 0)
                return log_error_errno(r, "Failed to read the settings %s: %s", a->settings, root_strerror(r));
        r = conffile_parse(text, len, on_setting, a, error, sizeof(error));
        if (r < 0 && error[0])
                log_error("%s: %s.", a->settings, error);
        return r;
}

/* The lines of v, '\n' between them; an empty line is fill. */
static char *join_lines(char *const *v, size_t n, const char *fill)
{
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%s", i ? "\n" : "", v[i][0] ? v[i] : fill);
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

/*
 * The table of boot loaders into the settings, as the PV and PVH lists
 * xlcfg.h reads: the command line's, else the settings file's, else
 * Debian's two pvgrub2 images, both to pvhgrub. pvhgrub boots 32- and
 * 64-bit kernels alike (GRUB builds its linux command for i386-xen_pvh from
 * the x86 boot protocol loader, loader/i386/linux.c, as for i386-pc).
 */
static int loader_table(struct margs *a)
{
        int r;

        if ((r = settings_file(a)) < 0)
                return r;
        if (a->n_pv == 0 && (add_loader(a, PVGRUB_DEFAULT, strlen(PVGRUB_DEFAULT), NULL) < 0 ||
                             add_loader(a, PVGRUB32_DEFAULT, strlen(PVGRUB32_DEFAULT), NULL) < 0))
                return -ENOMEM;
        for (size_t i = 0; i < a->n_pv; i++)
                for (size_t j = 0; j < i; j++)
                        if (streq(a->pv[i], a->pv[j]))
                                return log_error_errno(-EINVAL, "The boot loader %s is in the table twice.",
                                                       a->pv[i]);
        free(a->s.pvgrub);
        free(a->s.pvhgrub);
        a->s.pvgrub = join_lines(a->pv, a->n_pv, "");
        a->s.pvhgrub = join_lines(a->pvh, a->n_pvh, a->pvhgrub ? a->pvhgrub : PVHGRUB_DEFAULT);
        return a->s.pvgrub && a->s.pvhgrub ? 0 : -ENOMEM;
}

static void margs_done(struct margs *a)
{
        filter_done(&a->filter);
        strv_free(a->pv);
        strv_free(a->pvh);
        free(a->pvhgrub);
        mig_settings_done(&a->s);
}

/* What only xl can do (read an agentless guest's disks from its file), and what XAPI cannot (arm a running VM). */
static int toolstack_check(const struct mig_settings *s)
{
        if (s->kind == MTS_XL)
                return 1;
        if (s->agentless)
                return log_error_errno(-EINVAL, "--agentless needs --toolstack xl: a guest's disks are "
                                       "read from its xl configuration.");
        if (s->at_next_reboot && s->kind == MTS_XAPI)
                return log_error_errno(-EINVAL, "--at-next-reboot needs --toolstack xl or libvirt: the "
                                       "xapi driver cannot switch a running VM at its next reboot.");
        if (s->toolstack_uri && s->kind != MTS_LIBVIRT)
                return log_error_errno(-EINVAL, "--libvirt-uri belongs to --toolstack libvirt.");
        return 1;
}

static int settings_defaults(struct mig_settings *s)
{
        if ((!s->xl && set_str(&s->xl, mts_program_default(s->kind)) < 0) ||
            (!s->config && set_str(&s->config, mts_config_default(s->kind)) < 0) ||
            (!s->inspector && set_str(&s->inspector, INSPECTOR_DEFAULT) < 0) ||
            (!s->console_log && set_str(&s->console_log, CONSOLE_LOG_DEFAULT) < 0))
                return -ENOMEM;
        return 0;
}

/* ---- plan ------------------------------------------------------------------ */

struct cand {
        struct mguest g;
        int rank; /* 0 ready, 1 fixable, 2 ready without an agent, 3 skipped */
};

static int cand_cmp(const void *a, const void *b)
{
        const struct cand *x = a, *y = b;

        if (x->rank != y->rank)
                return x->rank - y->rank;
        return strcmp(x->g.name, y->g.name);
}

static char *skip_reason(const struct margs *a, const struct msnap *s)
{
        char *r = NULL;

        if (s->agent == GUEST_AGENT_NONE)
                return strdup("no agent (plan with --agentless to judge it by its disks)");
        if (s->agent != GUEST_AGENT_OK)
                return asprintf(&r, "no compatible agent (%s)", s->verdict) < 0 ? NULL : r;
        if (!streq(s->guest_type, "PV"))
                return asprintf(&r, "the guest runs as %s, not PV",
                                s->guest_type[0] ? s->guest_type : "unknown") < 0 ? NULL : r;
        if (streq(s->verdict, "blocked"))
                return asprintf(&r, "blocked: %s", s->failing && *s->failing ? s->failing : "a check fails") < 0 ? NULL : r;
        if (streq(s->verdict, "fixable") && !(s->actions & (1u << PROTO_ACTION_PREPARE)))
                return mguest_no_prepare(s);
        if (streq(s->verdict, "fixable") && a->s.no_prepare)
                return mguest_fixable_unprepared(s);
        if (!streq(s->verdict, "ready") && !streq(s->verdict, "fixable"))
                return asprintf(&r, "verdict %s", s->verdict) < 0 ? NULL : r;
        if (!s->boot_id[0])
                return strdup("the agent publishes no boot id: a restart could not be verified");
        return NULL;
}

static char *config_reason(const struct margs *a, const char *name, const char *path)
{
        char *why = NULL;
        int r;

        if (a->s.hook)
                return NULL;
        r = mts_inspect(&a->s, name, path, &why);
        if (r < 0 && !why)
                return strdup(strerror(-r));
        return why;
}

/* Whether the guest passes --filter and --exclude, judged as status judges it. */
static int selected(struct xstore *x, const struct margs *a, unsigned domid)
{
        struct guest g;
        int r;

        if (filter_empty(&a->filter))
                return 1;
        r = guest_read(x, domid, GUEST_READ_REASONS, &g);
        if (r >= 0)
                r = filter_match_guest(&a->filter, &g);
        guest_done(&g);
        return r;
}

/* Why the guest is skipped: a dead agent first (its state is stale), then what it published. */
static int guest_reason(struct xstore *x, struct mdb *d, const struct margs *a, const struct cand *c,
                        const struct msnap *s, char **ret)
{
        int r;

        if (s->agent == GUEST_AGENT_NONE && a->s.agentless)
                return 0;
        if (s->agent == GUEST_AGENT_OK) {
                r = mguest_ping(x, d, c->g.domid, c->g.name, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        *ret = skip_reason(a, s);
        if (!*ret && c->g.config)
                *ret = config_reason(a, c->g.name, c->g.config);
        if (!*ret && a->s.require_trial)
                return mdb_trial_reason(d, c->g.name, ret);
        return 0;
}

/* A guest without an agent, planned from its disks' inspection (migrate-agentless.c). */
static int plan_agentless(struct xstore *x, const struct margs *a, struct cand *c)
{
        free(c->g.verdict);
        c->g.agentless = true;
        c->g.reason = magentless_plan(x, a->db, &a->s, c->g.domid, c->g.config, &c->g.verdict);
        if (!c->g.verdict && !(c->g.verdict = strdup("none")))
                return -ENOMEM;
        c->rank = c->g.reason ? 3 : 2;
        c->g.state = c->g.reason ? MG_SKIPPED : MG_PENDING;
        return 0;
}

/* One guest into the candidates; 0 when left out. */
static int plan_one(struct xstore *x, struct mdb *d, const struct margs *a, unsigned domid, struct cand *ret)
{
        _cleanup_free_ char *name = NULL;
        struct msnap s = {};
        char path[PROTO_DOMAIN_PATH_MAX];
        size_t len;
        int r;

        proto_domain_path(domid, "name", path, sizeof(path));
        r = xstore_read(x, path, GUEST_NAME_MAX, &name, &len);
        if (r < 0 || !mig_name_ok(name)) {
                log_warning("Domain %u has no name usable in a path: left out.", domid);
                return 0;
        }
        r = selected(x, a, domid);
        if (r <= 0)
                return r < 0 ? log_error_errno(r, "Failed to read domain %u: %m", domid) : 0;
        r = mguest_snapshot(x, domid, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to read domain %u: %m", domid);
        *ret = (struct cand){ .g = { .name = TAKE_PTR(name), .domid = domid, .old_domid = domid,
                                     .state = MG_PENDING, .step_done = true, .wave = -1 } };
        ret->g.verdict = strdup(s.verdict);
        ret->g.config = mig_config_path(a->s.config, ret->g.name);
        if (ret->g.config && (r = mts_plan_config(&a->s, x, domid, &ret->g.config)) < 0) {
                msnap_done(&s);
                return log_error_errno(r, "Failed to read domain %u: %m", domid);
        }
        r = guest_reason(x, d, a, ret, &s, &ret->g.reason);
        if (r < 0) {
                msnap_done(&s);
                return log_error_errno(r, "Failed to ping domain %u: %m", domid);
        }
        ret->rank = ret->g.reason ? 3 : streq(s.verdict, "ready") ? 0 : 1;
        if (ret->g.reason)
                ret->g.state = MG_SKIPPED;
        else if (s.agent == GUEST_AGENT_NONE && ret->g.config && (r = plan_agentless(x, a, ret)) < 0) {
                msnap_done(&s);
                return r;
        }
        msnap_done(&s);
        return ret->g.verdict && ret->g.config ? 1 : -ENOMEM;
}

static void assign_waves(struct cand *c, unsigned n, const struct mig_settings *s)
{
        unsigned size = s->canary, in_wave = 0;
        int wave = 0;

        for (unsigned i = 0; i < n; i++) {
                c[i].g.pos = i;
                if (c[i].g.state == MG_SKIPPED)
                        continue;
                if (in_wave == size) {
                        wave++;
                        in_wave = 0;
                        size = size * s->growth;
                        if (s->max_wave && size > s->max_wave)
                                size = s->max_wave;
                }
                c[i].g.wave = wave;
                in_wave++;
        }
}

/*
 * migrate tells guests by name, as xl and libvirt do, which keep names
 * unique; XAPI does not. A guest whose name another running domain has is
 * skipped, once (the plan keeps a name once): its steps could act on the
 * other. *n is the candidates left.
 */
static int skip_shared_names(struct xstore *x, struct cand *c, unsigned *n)
{
        struct mnames t;
        unsigned k = 0;
        int r = mnames_read(x, &t);

        if (r < 0)
                return r;
        for (unsigned i = 0; i < *n; i++) {
                bool seen = false;

                for (unsigned j = 0; j < k && !seen; j++)
                        seen = streq(c[j].g.name, c[i].g.name);
                if (seen)
                        mguest_done(&c[i].g);
                else
                        c[k++] = c[i];
        }
        *n = k;
        for (unsigned i = 0; i < k && r >= 0; i++) {
                unsigned same = 0;

                for (unsigned d = 0; d < t.n; d++)
                        same += t.name[d] && streq(t.name[d], c[i].g.name);
                if (same < 2)
                        continue;
                free(c[i].g.reason);
                if (asprintf(&c[i].g.reason, "%u running domains are named %s: migrate tells guests by name; "
                             "rename them apart", same, c[i].g.name) < 0) {
                        c[i].g.reason = NULL;
                        r = -ENOMEM;
                }
                c[i].g.state = MG_SKIPPED;
                c[i].rank = 3;
        }
        mnames_done(&t);
        return r;
}

static int plan_select(struct xstore *x, struct mdb *d, struct margs *a, struct cand **ret, unsigned *ret_n)
{
        _cleanup_free_ unsigned *ids = NULL;
        struct cand *c;
        unsigned n, k = 0;
        int r;

        r = domains_select(x, a->domains, a->n_domains, &ids, &n);
        if (r < 0)
                return r;
        c = calloc(n ? n : 1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                r = plan_one(x, d, a, ids[i], &c[k]);
                if (r < 0) {
                        for (unsigned j = 0; j < k; j++)
                                mguest_done(&c[j].g);
                        free(c);
                        return r;
                }
                k += r;
        }
        r = skip_shared_names(x, c, &k);
        if (r < 0) {
                for (unsigned j = 0; j < k; j++)
                        mguest_done(&c[j].g);
                free(c);
                return log_error_errno(r, "Failed to read the domains' names: %m");
        }
        qsort(c, k, sizeof(*c), cand_cmp);
        assign_waves(c, k, &a->s);
        *ret = c;
        *ret_n = k;
        return 0;
}

/* ---- printing ---------------------------------------------------------------- */

static void print_guest_json(struct mdb *d, const struct mguest *g)
{
        int64_t start = 0, end = 0;

        mdb_times(d, g->mig, g->name, &start, &end);
        printf("{\"pos\":%u,\"started\":", g->pos);
        mview_json_time(stdout, start);
        printf(",\"ended\":");
        mview_json_time(stdout, end);
        printf(",\"wave\":");
        if (g->wave >= 0)
                printf("%d", g->wave + 1);
        else
                fputs("null", stdout);
        printf(",\"name\":");
        render_json_cstr(stdout, g->name);
        printf(",\"domid\":%u,\"verdict\":", g->domid);
        render_json_cstr(stdout, g->verdict);
        printf(",\"config\":");
        render_json_cstr(stdout, g->config);
        printf(",\"boot_id_before\":");
        render_json_cstr(stdout, g->boot_id);
        printf(",\"addresses_before\":");
        render_json_cstr(stdout, g->addrs);
        printf(",\"agentless\":%s", g->agentless ? "true" : "false");
        printf(",\"state\":\"%s\",\"step\":\"%s\",\"step_done\":%s,\"reason\":",
               mg_state_to_string(g->state), mg_step_to_string(g->step),
               g->step_done ? "true" : "false");
        render_json_cstr(stdout, g->reason);
        printf("}");
}

static void print_json(struct mdb *d, const struct mig *m, const struct mguest *g, unsigned n)
{
        const struct mig_settings *s = &m->s;
        int64_t times[2] = {};

        mdb_times(d, m->id, NULL, &times[0], &times[1]);

        printf("{\"id\":%" PRId64 ",\"state\":\"%s\",\"reason\":", m->id, mig_state_text(m));
        render_json_cstr(stdout, m->reason);
        printf(",\"canary\":%u,\"growth\":%u,\"max_wave\":%u,\"max_failures\":%u,\"parallel\":%u,"
               "\"toolstack\":\"%s\",\"xl\":",
               s->canary, s->growth, s->max_wave, s->max_failures, s->parallel, mts_kind_to_string(s->kind));
        render_json_cstr(stdout, s->xl);
        printf(",\"libvirt_uri\":");
        render_json_cstr(stdout, s->kind == MTS_LIBVIRT && !s->toolstack_uri ? LIBVIRT_URI_DEFAULT : s->toolstack_uri);
        printf(",\"config\":");
        render_json_cstr(stdout, s->config);
        printf(",\"pvgrub\":");
        render_json_cstr(stdout, s->pvgrub);
        printf(",\"pvhgrub\":");
        render_json_cstr(stdout, s->pvhgrub);
        printf(",\"config_hook\":");
        render_json_cstr(stdout, s->hook);
        printf(",\"before_guest\":");
        render_json_cstr(stdout, s->before_guest);
        printf(",\"after_guest\":");
        render_json_cstr(stdout, s->after_guest);
        printf(",\"created\":%" PRId64 ",\"started\":", m->created);
        mview_json_time(stdout, times[0]);
        printf(",\"ended\":");
        mview_json_time(stdout, times[1]);
        printf(",\"toolstack_timeout\":%u,\"boot_timeout\":%u,\"request_timeout\":%u,\"agent_settle\":%u,"
               "\"guests\":[",
               s->toolstack_timeout, s->boot_timeout, s->request_timeout, s->agent_settle);
        for (unsigned i = 0; i < n; i++) {
                if (i)
                        putchar(',');
                print_guest_json(d, &g[i]);
        }
        printf("]}\n");
}

static void print_table(struct mdb *d, const struct mig *m, const struct mguest *g, unsigned n)
{
        char created[MVIEW_CLOCK_MAX], started[MVIEW_CLOCK_MAX], ended[MVIEW_CLOCK_MAX];
        unsigned count[_MG_STATE_MAX] = {};
        int64_t t[2] = {};

        for (unsigned i = 0; i < n; i++)
                count[g[i].state]++;
        mdb_times(d, m->id, NULL, &t[0], &t[1]);
        printf("migration %" PRId64 ": %s%s%s\n", m->id, mig_state_text(m),
               m->reason ? ": " : "", m->reason ? m->reason : "");
        printf("created %s, started %s, ended %s\n", mview_clock(m->created, true, created),
               mview_clock(t[0], true, started), mview_clock(t[1], true, ended));
        /* xl is the default, and the line would only repeat it. */
        if (m->s.kind == MTS_LIBVIRT)
                printf("toolstack: libvirt, %s -c %s\n", m->s.xl,
                       m->s.toolstack_uri ? m->s.toolstack_uri : LIBVIRT_URI_DEFAULT);
        else if (m->s.kind == MTS_XAPI)
                printf("toolstack: xapi, %s\n", m->s.xl);
        printf("guests: %u", n);
        for (int s = 0; s < _MG_STATE_MAX; s++)
                if (count[s])
                        printf(", %u %s", count[s], mg_state_to_string((enum mg_state)s));
        printf("\n\n%-4s %-20s %-6s %-8s %-9s %-10s %-8s %-7s %s\n", "WAVE", "NAME", "DOMID",
               "VERDICT", "STATE", "STEP", "STARTED", "TIME", "REASON");
        for (unsigned i = 0; i < n; i++) {
                char wave[12] = "-", start[MVIEW_CLOCK_MAX], took[MVIEW_CLOCK_MAX];

                if (g[i].wave >= 0)
                        snprintf(wave, sizeof(wave), "%d", g[i].wave + 1);
                mview_guest_times(d, m->id, g[i].name, start, took);
                printf("%-4s %-20s %-6u %-8s %-9s %-10s %-8s %-7s %s\n", wave, g[i].name,
                       g[i].domid, g[i].verdict ? g[i].verdict : "-", mg_state_to_string(g[i].state),
                       g[i].step == MS_NONE ? "-" : mg_step_to_string(g[i].step), start, took,
                       g[i].reason ? g[i].reason : "");
        }
}

static int show(struct mdb *d, int64_t id, bool json)
{
        struct mguest *g = NULL;
        struct mig m = {};
        unsigned n = 0;
        int r;

        r = mdb_load(d, id, &m);
        if (r == -ENOENT) {
                log_error("No migration%s.", id ? " with that id" : " planned yet");
                return EXIT_FAILED;
        }
        if (r < 0 || mdb_guests(d, m.id, &g, &n) < 0) {
                mig_done(&m);
                return EXIT_INTERNAL;
        }
        if (json)
                print_json(d, &m, g, n);
        else
                print_table(d, &m, g, n);
        for (unsigned i = 0; i < n; i++)
                mguest_done(&g[i]);
        free(g);
        mig_done(&m);
        return EXIT_DONE;
}

/* ---- subcommands -------------------------------------------------------------- */

/*
 * An unfinished migration blocks a new plan: a running one (resume or abort
 * it), and a planned one unless --replace says to replace it. *ret is the
 * newest migration (id 0 when there is none).
 */
static int check_previous(struct mdb *d, bool replace, struct mig *ret)
{
        int r = mdb_load(d, 0, ret);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (ret->state == MIG_RUNNING || ret->state == MIG_ARMED) {
                log_error("Migration %" PRId64 " is unfinished: resume or abort it first.", ret->id);
                return -EBUSY;
        }
        if (ret->state == MIG_PLANNED && !replace) {
                log_error("Migration %" PRId64 " is planned and not run yet: run or abort it, or plan "
                          "again with --replace to replace it.", ret->id);
                return -EBUSY;
        }
        return 0;
}

static int retire_previous(struct mdb *d, struct mig *m)
{
        if (m->id == 0 || m->state != MIG_PLANNED)
                return 0;
        m->state = MIG_ABORTED;
        free(m->reason);
        m->reason = strdup("replaced by a new plan");
        return mdb_set_state(d, m);
}

/* No guest to switch: said with every guest's reason, and nothing saved. */
static int nothing_to_do(const struct cand *c, unsigned n)
{
        for (unsigned i = 0; i < n; i++)
                if (c[i].g.state != MG_SKIPPED)
                        return 0;
        log_error("Nothing to do: %s; no plan saved.", n ? "every guest selected is skipped" : "no guest selected");
        for (unsigned i = 0; i < n; i++)
                log_error("  %s: %s", c[i].g.name, c[i].g.reason ? c[i].g.reason : "");
        return 1;
}

/*
 * --same-settings: the newest migration's settings replace the command
 * line's, all but --at-next-reboot and --parallel.
 */
static int take_settings(struct margs *a, struct mig *prev)
{
        struct mig_settings mine = a->s;

        if (prev->id == 0)
                return log_error_errno(-ENOENT, "No migration to take the settings of (--same-settings).");
        a->s = prev->s;
        prev->s = mine;
        a->s.at_next_reboot = mine.at_next_reboot;
        a->s.parallel = mine.parallel;
        return 0;
}

static int do_plan(struct mdb *d, struct margs *a)
{
        struct mig m = { .s = a->s }, prev = {};
        struct xstore *x = NULL;
        struct cand *c = NULL;
        struct mguest *g = NULL;
        unsigned n = 0;
        int r;

        r = check_previous(d, a->replace, &prev);
        if (r >= 0 && a->same_settings)
                r = take_settings(a, &prev);
        if (r < 0) {
                mig_done(&prev);
                return r == -EBUSY || r == -ENOENT ? EXIT_FAILED : EXIT_INTERNAL;
        }
        if (toolstack_check(&a->s) < 0) {
                mig_done(&prev);
                return EXIT_USAGE;
        }
        m.s = a->s;
        r = xstore_open(&x);
        if (r < 0) {
                mig_done(&prev);
                log_error_errno(r, "Failed to connect to xenstore: %m");
                return EXIT_INTERNAL;
        }
        r = plan_select(x, d, a, &c, &n);
        xstore_close(x);
        if (r < 0) {
                mig_done(&prev);
                return r == -ENOENT ? EXIT_FAILED : EXIT_INTERNAL;
        }
        if (nothing_to_do(c, n))
                r = -ENODATA;
        else if ((r = retire_previous(d, &prev)) >= 0) {
                g = calloc(n ? n : 1, sizeof(*g));
                for (unsigned i = 0; g && i < n; i++)
                        g[i] = c[i].g;
                r = g ? mdb_create(d, &m, g, n, &m.id) : -ENOMEM;
        }
        for (unsigned i = 0; i < n; i++)
                mguest_done(&c[i].g);
        free(c);
        free(g);
        mig_done(&prev);
        if (r == -ENODATA)
                return EXIT_FAILED;
        if (r < 0) {
                log_error_errno(r, "Failed to save the plan: %m");
                return EXIT_INTERNAL;
        }
        return show(d, m.id, a->json);
}

/* "pid N", or "another process" when the holder wrote no pid. */
static const char *holder_text(pid_t holder, char buf[static 32])
{
        if (holder <= 0)
                return "another process";
        snprintf(buf, 32, "pid %d", (int)holder);
        return buf;
}

/*
 * abort while another process holds the lock: only a running migration is
 * flagged, for that process to stop at its next guest. A migration that is
 * merely planned is no business of the holder's, and a flag would make its
 * own run stop before its first guest.
 */
static int abort_running(struct mdb *d, const struct margs *a, pid_t holder)
{
        struct mig m = {};
        char who[32];
        int r;

        r = mdb_load(d, a->id, &m);
        if (r == -ENOENT)
                log_error("No migration%s.", a->id ? " with that id" : " planned yet");
        if (r < 0) {
                mig_done(&m);
                return r == -ENOENT ? EXIT_FAILED : EXIT_INTERNAL;
        }
        if (m.state != MIG_RUNNING) {
                log_error("Migration %" PRId64 " is %s, not running, and %s holds the migration "
                          "lock: nothing to abort now; try again once it has ended.",
                          m.id, mig_state_to_string(m.state), holder_text(holder, who));
                mig_done(&m);
                return EXIT_FAILED;
        }
        r = mdb_request_abort(d, m.id);
        mig_done(&m);
        if (r < 0)
                return EXIT_INTERNAL;
        printf("abort requested: the run in progress (%s) stops before its next guest\n",
               holder_text(holder, who));
        return EXIT_DONE;
}

static int do_run(struct mdb *d, const struct margs *a, const char *verb)
{
        struct mrun_opts o = { .db_path = a->db, .json = a->json, .dry_run = a->dry_run,
                               .abort = streq(verb, "abort"), .lock_fd = -1 };
        struct xstore *x = NULL;
        struct mig m = {};
        pid_t holder = 0;
        int lock = -1, r;

        if (!a->dry_run) {
                r = mdb_lock(a->db, false, &lock, &holder);
                if (r == -EBUSY && o.abort)
                        return abort_running(d, a, holder);
                if (r == -EBUSY) {
                        char who[32];

                        log_error("A migration run is in progress (%s).", holder_text(holder, who));
                        return EXIT_FAILED;
                }
                if (r < 0)
                        return EXIT_INTERNAL;
        }
        r = mdb_load(d, a->id, &m);
        if (r < 0) {
                if (r == -ENOENT)
                        log_error("No migration%s.", a->id ? " with that id" : " planned yet");
                r = r == -ENOENT ? EXIT_FAILED : EXIT_INTERNAL;
                goto out;
        }
        if ((streq(verb, "run") && m.state != MIG_PLANNED) ||
            (streq(verb, "resume") && m.state != MIG_RUNNING && m.state != MIG_ARMED) ||
            (o.abort && m.state != MIG_PLANNED && m.state != MIG_RUNNING && m.state != MIG_ARMED)) {
                log_error("Migration %" PRId64 " is %s: nothing to %s%s.", m.id,
                          mig_state_to_string(m.state), verb,
                          m.state == MIG_RUNNING ? " (it was interrupted: resume it)" : "");
                r = EXIT_FAILED;
                goto out;
        }
        if (!a->dry_run && xstore_open(&x) < 0) {
                log_error("Failed to connect to xenstore.");
                r = EXIT_INTERNAL;
                goto out;
        }
        o.lock_fd = lock;
        o.parallel = a->parallel ? a->parallel : m.s.parallel ? m.s.parallel : 1;
        r = mrun(d, x, &m, &o);
out:
        xstore_close(x);
        mig_done(&m);
        mdb_unlock(lock);
        return r;
}

int cmd_migrate(int argc, char **argv)
{
        struct margs a = { .db = DB_DEFAULT_PATH,
                           .s = { .canary = 1, .growth = 2, .max_failures = 1, .toolstack_timeout = 300,
                                  .boot_timeout = 300, .request_timeout = 600, .settle = 30,
                                  .max_restarts = 2 } };
        const char *verb = argc > 1 ? argv[1] : NULL;
        struct mdb *d = NULL;
        int r;

        if (!verb || streq(verb, "--help") || streq(verb, "-h")) {
                migrate_help(verb ? stdout : stderr);
                return verb ? EXIT_DONE : EXIT_USAGE;
        }
        if (!streq(verb, "plan") && !streq(verb, "run") && !streq(verb, "resume") &&
            !streq(verb, "status") && !streq(verb, "abort") && !streq(verb, "list")) {
                log_error("Unknown migrate command '%s' (plan, run, resume, status, list, abort).",
                          verb);
                return EXIT_USAGE;
        }
        r = margs_parse(argc - 1, argv + 1, streq(verb, "plan"), &a);
        if (r > 0 && streq(verb, "plan") && (r = loader_table(&a)) >= 0)
                r = 1;
        if (r > 0 && settings_defaults(&a.s) < 0)
                r = -ENOMEM;

        if (r <= 0) {
                margs_done(&a);
                return r == -ENOMEM ? EXIT_INTERNAL : r < 0 ? EXIT_USAGE : EXIT_DONE;
        }
        if (a.dry_run && !streq(verb, "run")) {
                margs_done(&a);
                return log_error("--dry-run belongs to migrate run."), EXIT_USAGE;
        }
        if (a.parallel && !streq(verb, "plan") && !streq(verb, "run") && !streq(verb, "resume")) {
                margs_done(&a);
                return log_error("--parallel belongs to migrate plan, run and resume."), EXIT_USAGE;
        }
        a.s.parallel = a.parallel ? a.parallel : 1;
        /* Only plan makes the database: any other command on a mistyped --db would make an empty one. */
        if (!streq(verb, "plan") && access(a.db, F_OK) < 0) {
                log_error_errno(-errno, "No database '%s' (migrate plan makes it): %m", a.db);
                margs_done(&a);
                return EXIT_FAILED;
        }
        r = mdb_open(a.db, &d);
        if (r < 0) {
                margs_done(&a);
                return EXIT_INTERNAL;
        }
        if (streq(verb, "plan"))
                r = do_plan(d, &a);
        else if (streq(verb, "status"))
                r = show(d, a.id, a.json);
        else if (streq(verb, "list"))
                r = mview_list(d, a.json);
        else
                r = do_run(d, &a, verb);
        mdb_close(d);
        margs_done(&a);
        return r;
}
