/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The toolstack drivers of migrate: how a guest's definition is switched to
 * PVH and back, and how its domain is stopped, started and asked after, with
 * xl (the definition is an xl configuration file), libvirt (the persistent
 * domain XML, through virsh) or XAPI (the VM's domain-type, through xe).
 * Every command runs without a shell, under the toolstack timeout; the ones
 * that change something are returned to the run, which records them in the
 * journal before they run (see run_cmd in migrate-run.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileedit.h"
#include "log.h"
#include "lvxml.h"
#include "macro.h"
#include "migrate.h"
#include "render.h"
#include "strv.h"
#include "util.h"
#include "xlcfg.h"

#define QUERY_OUTPUT_MAX (16u << 10)
#define XE_UUID_LEN 36

/* Each driver's word and defaults, by kind. */
static const struct {
        const char *word, *program, *config;
} drivers[_MTS_MAX] = {
        [MTS_XL] = { "xl", XL_DEFAULT, CONFIG_DEFAULT },
        [MTS_LIBVIRT] = { "libvirt", VIRSH_DEFAULT, LIBVIRT_CONFIG_DEFAULT },
        [MTS_XAPI] = { "xapi", XE_DEFAULT, XAPI_CONFIG_DEFAULT },
};

const char *mts_kind_to_string(enum mts_kind k)
{
        return k < _MTS_MAX ? drivers[k].word : NULL;
}

int mts_kind_from_string(const char *s)
{
        for (int k = 0; k < _MTS_MAX; k++)
                if (s && streq(s, drivers[k].word))
                        return k;
        return -EINVAL;
}

const char *mts_program_default(enum mts_kind k)
{
        return drivers[k < _MTS_MAX ? k : MTS_XL].program;
}

const char *mts_config_default(enum mts_kind k)
{
        return drivers[k < _MTS_MAX ? k : MTS_XL].config;
}

/* virsh takes a name made of digits for a domain id, and one shaped as a UUID for a UUID. */
static bool virsh_name_ok(const char *name)
{
        size_t n = strlen(name), hex = strspn(name, "0123456789abcdefABCDEF-");

        return strspn(name, "0123456789") != n && !(n == XE_UUID_LEN && hex == n);
}

static int argv_of(char ***ret, ...)
{
        _cleanup_strv_ char **v = NULL;
        const char *w;
        size_t n = 0;
        va_list ap;
        int r = 0;

        va_start(ap, ret);
        while (r >= 0 && (w = va_arg(ap, const char *)))
                r = strv_push_dup(&v, &n, w);
        va_end(ap);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

/* virsh -c URI VERB ARGS...: the connection is always named, as the default one may be QEMU's. */
#define VIRSH(s, ret, ...) argv_of(ret, (s)->xl, "-c", (s)->toolstack_uri ? (s)->toolstack_uri : LIBVIRT_URI_DEFAULT, \
                                   __VA_ARGS__, NULL)

/* The command's output, a failure as a reason in *ret_why. */
static int query(const struct mig_settings *s, char **argv, size_t max, char **ret, char **ret_why)
{
        /* The verb: after the program, and virsh's -c URI. */
        const char *verb = argv[1] && streq(argv[1], "-c") && argv[2] ? argv[3] : argv[1];
        _cleanup_free_ char *out = NULL, *said = NULL;
        int r = mexec_output(argv, s->toolstack_timeout, max, &out);

        if (r == 0) {
                *ret = TAKE_PTR(out);
                return 0;
        }
        if (r == -ENOMEM)
                return r;
        /* The first line of what it said, escaped (it may repeat a name), for the reason. */
        if (out && !(said = render_escape(out, strcspn(out, "\n"))))
                return -ENOMEM;
        if (r == -ETIMEDOUT)
                r = asprintf(ret_why, "%s %s: no end after %u s", argv[0], verb, s->toolstack_timeout);
        else if (r < 0)
                r = asprintf(ret_why, "%s %s: %s", argv[0], verb, strerror(-r));
        else
                r = asprintf(ret_why, "%s %s: exit status %d%s%s", argv[0], verb, r, said && *said ? ": " : "",
                             said ? said : "");
        return r < 0 ? -ENOMEM : 1;
}

/* ---- XAPI ----------------------------------------------------------------- */

/* The UUID of the one VM named name; 1 with *ret_why when there is none, or more than one. */
static int xe_uuid(const struct mig_settings *s, const char *name, char ret[static XE_UUID_LEN + 1], char **ret_why)
{
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *out = NULL, *label = strdup_printf("name-label=%s", name);
        size_t n;
        int r;

        if (!label || argv_of(&argv, s->xl, "vm-list", label, "params=uuid", "--minimal", NULL) < 0)
                return -ENOMEM;
        r = query(s, argv, QUERY_OUTPUT_MAX, &out, ret_why);
        if (r != 0)
                return r;
        n = strcspn(out, "\n");
        out[n] = 0;
        if (n == 0)
                return asprintf(ret_why, "XAPI has no VM named %s", name) < 0 ? -ENOMEM : 1;
        if (strchr(out, ','))
                return asprintf(ret_why, "XAPI has more than one VM named %s: rename them apart", name) < 0
                               ? -ENOMEM
                               : 1;
        if (n != XE_UUID_LEN || strspn(out, "0123456789abcdef-") != n)
                return asprintf(ret_why, "xe vm-list printed no UUID for %s", name) < 0 ? -ENOMEM : 1;
        memcpy(ret, out, n + 1);
        return 0;
}

const char *mts_config_uuid(const char *config)
{
        const char *u = config && startswith(config, "xapi:") ? config + STRLEN("xapi:") : NULL;

        return u && strlen(u) == XE_UUID_LEN && strspn(u, "0123456789abcdef-") == XE_UUID_LEN ? u : NULL;
}

/*
 * The guest's VM: by the UUID of its domain when the plan read one (names
 * in XAPI need not be unique, and the domain keeps the name it started
 * with), else by its name.
 */
static int xapi_vm(const struct mig_settings *s, const char *name, const char *config,
                   char ret[static XE_UUID_LEN + 1], char **ret_why)
{
        const char *u = mts_config_uuid(config);

        if (!u)
                return xe_uuid(s, name, ret, ret_why);
        memcpy(ret, u, XE_UUID_LEN + 1);
        return 0;
}

/* A parameter of the VM: the first line of its value. */
static int xe_param(const struct mig_settings *s, const char *uuid, const char *param, char **ret, char **ret_why)
{
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *u = strdup_printf("uuid=%s", uuid), *p = strdup_printf("param-name=%s", param);
        char *out = NULL;
        int r;

        if (!u || !p || argv_of(&argv, s->xl, "vm-param-get", u, p, NULL) < 0)
                return -ENOMEM;
        r = query(s, argv, QUERY_OUTPUT_MAX, &out, ret_why);
        if (r != 0)
                return r;
        out[strcspn(out, "\n")] = 0;
        *ret = out;
        return 0;
}

static int xe_set_type(const struct mig_settings *s, const char *uuid, const char *type, char ***ret)
{
        _cleanup_free_ char *u = strdup_printf("uuid=%s", uuid), *t = strdup_printf("domain-type=%s", type);

        if (!u || !t)
                return -ENOMEM;
        return argv_of(ret, s->xl, "vm-param-set", u, t, NULL);
}

/* Why the VM cannot be switched (1, *ret_why), 0 when it can, with its UUID and domain-type. */
static int xapi_inspect(const struct mig_settings *s, const char *name, const char *config,
                        char uuid[static XE_UUID_LEN + 1], char **ret_type, char **ret_why)
{
        _cleanup_free_ char *type = NULL, *loader = NULL;
        int r = xapi_vm(s, name, config, uuid, ret_why);

        if (r != 0)
                return r;
        r = xe_param(s, uuid, "domain-type", &type, ret_why);
        if (r != 0)
                return r;
        if (!streq(type, "pv") && !streq(type, "pvh"))
                return asprintf(ret_why, "XAPI's domain-type of %s is %s, not pv", name, type) < 0 ? -ENOMEM : 1;
        /*
         * XAPI boots a PVH VM as it boots a PV one, but without pvgrub: pygrub
         * in dom0 reads the guest's menu and its kernel is started directly,
         * in a PVH container; a kernel of dom0's (PV-kernel) is not what the
         * guest's agent judged.
         */
        if (streq(type, "pv")) {
                r = xe_param(s, uuid, "PV-bootloader", &loader, ret_why);
                if (r != 0)
                        return r;
                if (!streq(loader, "pygrub"))
                        return asprintf(ret_why, "XAPI boots %s %s%s: its PVH boot reads the guest's menu "
                                        "with pygrub only; set PV-bootloader=pygrub first", name,
                                        *loader ? "with PV-bootloader=" : "a kernel of dom0's (PV-kernel)",
                                        loader) < 0
                                       ? -ENOMEM
                                       : 1;
        }
        *ret_type = TAKE_PTR(type);
        return 0;
}

/* ---- libvirt -------------------------------------------------------------- */

/* The persistent definition, secrets included: a definition without them would lose them. */
static int virsh_dumpxml(const struct mig_settings *s, const char *name, char **ret, char **ret_why)
{
        _cleanup_strv_ char **argv = NULL;

        if (!virsh_name_ok(name))
                return asprintf(ret_why, "virsh would take the name %s for a domain id or UUID", name) < 0
                               ? -ENOMEM
                               : 1;
        if (VIRSH(s, &argv, "dumpxml", "--inactive", "--security-info", name) < 0)
                return -ENOMEM;
        return query(s, argv, LVXML_SIZE_MAX, ret, ret_why);
}

/* Why the definition cannot be switched (1, *ret_why), 0 when it can; *ret_type what it is now. */
static int libvirt_inspect(const struct mig_settings *s, const char *name, char **ret_xml,
                           enum xlcfg_type *ret_type, char **ret_why)
{
        const struct xlcfg_paths p = { s->pvgrub, s->pvhgrub };
        _cleanup_free_ char *xml = NULL, *reason = NULL, *defined = NULL;
        int r = virsh_dumpxml(s, name, &xml, ret_why);

        if (r != 0)
                return r;
        r = lvxml_name(xml, &defined);
        if (r == -ENOMEM)
                return r;
        if (r == -EBADMSG)
                return asprintf(ret_why, "virsh dumpxml %s printed a definition that cannot be read", name) < 0
                               ? -ENOMEM
                               : 1;
        /* What is defined again is this domain's, never another's. */
        if (r < 0 || !streq(defined, name))
                return asprintf(ret_why, "virsh dumpxml %s printed the definition of another domain", name) < 0
                               ? -ENOMEM
                               : 1;
        r = lvxml_inspect(xml, &p, ret_type, &reason);
        if (r == -EBADMSG)
                return asprintf(ret_why, "virsh dumpxml %s printed a definition that cannot be read", name) < 0
                               ? -ENOMEM
                               : 1;
        if (r < 0)
                return r;
        if (ret_xml)
                *ret_xml = TAKE_PTR(xml);
        if (reason && *ret_type != XLCFG_PVH) {
                *ret_why = TAKE_PTR(reason);
                return 1;
        }
        return 0;
}

static int backup_of(const char *config, char **ret)
{
        *ret = strdup_printf("%s" XLCFG_BACKUP_SUFFIX, config);
        return *ret ? 0 : -ENOMEM;
}

/* The directory of the definitions kept (they hold the domain's secrets: root's alone). */
static int private_dir(const char *path)
{
        _cleanup_free_ char *dir = strdup(path);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        _cleanup_close_ int root = -EBADF;

        if (!dir)
                return -ENOMEM;
        if (!slash || slash == dir || path[0] != '/')
                return -EINVAL;
        *slash = 0;
        root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return -errno;
        return fileedit_mkdir_p(root, dir, 0700);
}

static int libvirt_switch(const struct mig_settings *s, const char *name, const char *config, char ***ret_cmd,
                          char **ret_why)
{
        const struct xlcfg_paths p = { s->pvgrub, s->pvhgrub };
        const struct file_meta meta = { .mode = 0600 };
        _cleanup_free_ char *xml = NULL, *pvh = NULL, *bak = NULL;
        enum xlcfg_type t = XLCFG_UNKNOWN;
        int r = libvirt_inspect(s, name, &xml, &t, ret_why);

        if (r != 0)
                return r < 0 ? r : -EINVAL;
        if (t == XLCFG_PVH)
                return 0;
        r = lvxml_to_pvh(xml, &p, &pvh);
        if (r < 0)
                return r;
        r = backup_of(config, &bak);
        if (r >= 0)
                r = private_dir(config);
        /* The definition is PV now: it is the original to keep, whatever an older backup says. */
        if (r >= 0)
                r = fileedit_replace_path(bak, xml, strlen(xml), &meta);
        if (r >= 0)
                r = fileedit_replace_path(config, pvh, strlen(pvh), &meta);
        if (r < 0)
                return asprintf(ret_why, "cannot write %s: %s", config, strerror(-r)) < 0 ? -ENOMEM : -EINVAL;
        return VIRSH(s, ret_cmd, "define", config);
}

static int libvirt_restore(const struct mig_settings *s, const char *name, const char *config, char ***ret_cmd,
                           char **ret_why)
{
        _cleanup_free_ char *bak = NULL, *why = NULL;
        enum xlcfg_type t = XLCFG_UNKNOWN;
        int r = backup_of(config, &bak);

        if (r < 0)
                return r;
        if (access(bak, F_OK) == 0)
                return VIRSH(s, ret_cmd, "define", bak);
        if (errno != ENOENT)
                return asprintf(ret_why, "cannot read %s: %m", bak) < 0 ? -ENOMEM : -EINVAL;
        /* Never switched: nothing to put back while it is PV (t stays unknown when virsh failed). */
        r = libvirt_inspect(s, name, NULL, &t, &why);
        if (r < 0)
                return r;
        if (t == XLCFG_PV)
                return 0;
        return asprintf(ret_why, "no backup %s of the PV definition%s%s", bak, why ? ": " : "", why ? why : "") < 0
                       ? -ENOMEM
                       : -EINVAL;
}

/* ---- the interface -------------------------------------------------------- */

int mts_inspect(const struct mig_settings *s, const char *name, const char *config, char **ret_why)
{
        const struct xlcfg_paths p = { s->pvgrub, s->pvhgrub };
        _cleanup_free_ char *reason = NULL, *type = NULL;
        char uuid[XE_UUID_LEN + 1];
        enum xlcfg_type t = XLCFG_UNKNOWN;
        int r;

        *ret_why = NULL;
        switch (s->kind) {
        case MTS_XL:
                r = xlcfg_inspect_file(config, &p, &t, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return asprintf(ret_why, "cannot read the configuration %s: %s", config, strerror(-r)) < 0
                                       ? -ENOMEM
                                       : 1;
                if (reason)
                        return asprintf(ret_why, "%s: %s", config, reason) < 0 ? -ENOMEM : 1;
                return 0;
        case MTS_LIBVIRT:
                r = libvirt_inspect(s, name, NULL, &t, ret_why);
                if (r == 0 && t == XLCFG_PVH)
                        return (*ret_why = strdup("the definition is PVH already")) ? 1 : -ENOMEM;
                return r;
        case MTS_XAPI:
                r = xapi_inspect(s, name, config, uuid, &type, ret_why);
                if (r == 0 && streq(type, "pvh"))
                        return (*ret_why = strdup("XAPI's domain-type is pvh already")) ? 1 : -ENOMEM;
                return r;
        case _MTS_MAX:
                break;
        }
        return -EINVAL;
}

int mts_switch(const struct mig_settings *s, const char *name, const char *config, char ***ret_cmd, char **ret_why)
{
        const struct xlcfg_paths p = { s->pvgrub, s->pvhgrub };
        _cleanup_free_ char *type = NULL;
        char uuid[XE_UUID_LEN + 1];
        int r;

        *ret_cmd = NULL;
        *ret_why = NULL;
        switch (s->kind) {
        case MTS_XL:
                r = xlcfg_switch(config, &p, ret_why);
                return r < 0 ? r : 0;
        case MTS_LIBVIRT:
                return libvirt_switch(s, name, config, ret_cmd, ret_why);
        case MTS_XAPI:
                r = xapi_inspect(s, name, config, uuid, &type, ret_why);
                if (r != 0)
                        return r < 0 ? r : -EINVAL;
                return streq(type, "pvh") ? 0 : xe_set_type(s, uuid, "pvh", ret_cmd);
        case _MTS_MAX:
                break;
        }
        return -EINVAL;
}

int mts_restore(const struct mig_settings *s, const char *name, const char *config, char ***ret_cmd, char **ret_why)
{
        _cleanup_free_ char *type = NULL;
        char uuid[XE_UUID_LEN + 1];
        int r;

        *ret_cmd = NULL;
        *ret_why = NULL;
        switch (s->kind) {
        case MTS_XL:
                r = xlcfg_restore(config);
                if (r >= 0)
                        return 0;
                return asprintf(ret_why, "cannot restore %s: %s", config, strerror(-r)) < 0 ? -ENOMEM : -EINVAL;
        case MTS_LIBVIRT:
                return libvirt_restore(s, name, config, ret_cmd, ret_why);
        case MTS_XAPI:
                r = xapi_vm(s, name, config, uuid, ret_why);
                if (r == 0)
                        r = xe_param(s, uuid, "domain-type", &type, ret_why);
                if (r != 0)
                        return r < 0 ? r : -EINVAL;
                return streq(type, "pv") ? 0 : xe_set_type(s, uuid, "pv", ret_cmd);
        case _MTS_MAX:
                break;
        }
        return -EINVAL;
}

int mts_command(const struct mig_settings *s, enum mts_op op, const char *name, const char *config, bool dry,
                char ***ret, char **ret_why)
{
        _cleanup_free_ char *u = NULL;
        char uuid[XE_UUID_LEN + 1];
        int r;

        *ret = NULL;
        *ret_why = NULL;
        switch (s->kind) {
        case MTS_XL:
                if (op == MTS_STOP)
                        return argv_of(ret, s->xl, "shutdown", "-w", name, NULL);
                if (op == MTS_START)
                        return argv_of(ret, s->xl, "create", config, NULL);
                if (op == MTS_KILL)
                        return argv_of(ret, s->xl, "destroy", name, NULL);
                return argv_of(ret, s->xl, "config-update", name, config, NULL);
        case MTS_LIBVIRT:
                if (!virsh_name_ok(name))
                        return asprintf(ret_why, "virsh would take the name %s for a domain id or UUID", name) < 0
                                       ? -ENOMEM
                                       : -EINVAL;
                /*
                 * The switch's virsh define is the arming: the libxl driver keeps
                 * a running domain's new definition aside and starts the next
                 * boot from it, a reboot of the guest's own included
                 * (libxlDomainShutdownHandleRestart, after libxlDomainCleanup
                 * made it current). Nothing more to run.
                 */
                if (op == MTS_ARM)
                        return 0;
                return VIRSH(s, ret, op == MTS_STOP ? "shutdown" : op == MTS_KILL ? "destroy" : "start", name);
        case MTS_XAPI:
                if (op == MTS_ARM)
                        break;
                if (dry && !mts_config_uuid(config))
                        u = strdup_printf("uuid=(the UUID of the VM named %s)", name);
                else if ((r = xapi_vm(s, name, config, uuid, ret_why)) != 0)
                        return r < 0 ? r : -EINVAL;
                else
                        u = strdup_printf("uuid=%s", uuid);
                if (!u)
                        return -ENOMEM;
                if (op == MTS_KILL)
                        return argv_of(ret, s->xl, "vm-shutdown", "--force", u, NULL);
                return argv_of(ret, s->xl, op == MTS_STOP ? "vm-shutdown" : "vm-start", u, NULL);
        case _MTS_MAX:
                break;
        }
        return asprintf(ret_why, "the %s driver cannot switch a running domain at its next reboot",
                        mts_kind_to_string(s->kind)) < 0 ? -ENOMEM : -EOPNOTSUPP;
}

/* virsh domstate --reason: "shut off (crashed)", "running (booted)", "shut off (destroyed)", ... */
static int virsh_domstate(const struct mig_settings *s, const char *name, char **ret)
{
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *why = NULL;
        int r;

        if (!virsh_name_ok(name))
                return -EINVAL;
        if (VIRSH(s, &argv, "domstate", "--reason", name) < 0)
                return -ENOMEM;
        r = query(s, argv, QUERY_OUTPUT_MAX, ret, &why);
        return r > 0 ? -EIO : r;
}

static int libvirt_shutdown(const struct mig_settings *s, const char *name, const char **ret_reason)
{
        _cleanup_free_ char *out = NULL;
        int r = virsh_domstate(s, name, &out);

        if (r < 0)
                return r;
        if (startswith(out, "crashed") || startswith(out, "shut off (crashed)")) {
                *ret_reason = "crash";
                return 1;
        }
        /* The libxl driver shows a rebooting guest so for a moment, before it starts it again. */
        if (startswith(out, "shut off (shutdown)"))
                return 0;
        if (startswith(out, "shut off")) {
                *ret_reason = "poweroff";
                return 1;
        }
        if (startswith(out, "pmsuspended")) {
                *ret_reason = "suspend";
                return 1;
        }
        return 0;
}

/* xe vm-param-get power-state: running, halted, paused, suspended. */
static int xapi_shutdown(const struct mig_settings *s, const char *name, const char *config,
                         const char **ret_reason)
{
        _cleanup_free_ char *why = NULL, *state = NULL;
        char uuid[XE_UUID_LEN + 1];
        int r = xapi_vm(s, name, config, uuid, &why);

        if (r == 0)
                r = xe_param(s, uuid, "power-state", &state, &why);
        if (r != 0)
                return r < 0 ? r : -EIO;
        if (streq(state, "halted") || streq(state, "suspended")) {
                *ret_reason = streq(state, "halted") ? "poweroff" : "suspend";
                return 1;
        }
        return 0;
}

int mts_stopped(const struct mig_settings *s, const char *name)
{
        _cleanup_free_ char *out = NULL;
        int r;

        /* xl shutdown -w and xe vm-shutdown return once the domain is stopped. */
        if (s->kind != MTS_LIBVIRT)
                return 1;
        r = virsh_domstate(s, name, &out);
        return r < 0 ? r : startswith(out, "shut off");
}

int mts_shutdown_reason(const struct mig_settings *s, const char *name, const char *config,
                        const char **ret_reason)
{
        switch (s->kind) {
        case MTS_XL:
                return mtoolstack_shutdown(s, name, ret_reason);
        case MTS_LIBVIRT:
                return libvirt_shutdown(s, name, ret_reason);
        case MTS_XAPI:
                return xapi_shutdown(s, name, config, ret_reason);
        case _MTS_MAX:
                break;
        }
        return -EINVAL;
}

char *mts_argv_text(char *const argv[])
{
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return NULL;
        for (size_t i = 0; argv[i]; i++)
                fprintf(f, "%s%s", i ? " " : "", argv[i]);
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(out);
}

int mts_plan_config(const struct mig_settings *s, struct xstore *x, unsigned domid, char **config)
{
        char uuid[PROTO_UUID_LEN + 1];
        char *c;
        int r;

        if (s->kind != MTS_XAPI)
                return 0;
        r = guest_read_uuid(x, domid, uuid);
        if (r < 0 || !uuid[0])
                return r;
        c = strdup_printf("xapi:%s", uuid);
        if (!c)
                return -ENOMEM;
        free(*config);
        *config = c;
        return 0;
}
