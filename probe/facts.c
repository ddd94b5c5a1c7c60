/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cpio.h"
#include "facts.h"
#include "grubvars.h"
#include "log.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

#define SMALL_FILE_MAX (64u << 10)
#define HOOK_FILE_MAX (256u << 10)
#define BUILTIN_MAX (1u << 20)

/* A file's bytes; one that is there but cannot be read is noted in f->unreadable. */
static int read_noted(int root_fd, struct facts *f, const char *path, size_t max, char **ret)
{
        int r = root_read_file(root_fd, path, max, ret, NULL);

        if (r < 0 && root_unreadable_add(&f->unreadable, path, r) < 0)
                return -ENOMEM;
        return r;
}

/* A one-line file (sysfs, procfs) without its trailing newline; NULL when absent. */
static char *read_line(int root_fd, struct facts *f, const char *path)
{
        char *text = NULL;

        if (read_noted(root_fd, f, path, 4096, &text) < 0)
                return NULL;
        text[strcspn(text, "\n")] = '\0';
        return text;
}

static char *unquote(const char *v)
{
        size_t n = strlen(v);

        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
                return strndup(v + 1, n - 2);
        return strdup(v);
}

/* KEY=VALUE lines of os-release (not shell: no expansion): the value of key, last one wins. */
static int shell_var(const char *text, const char *key, char **val)
{
        size_t klen = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                _cleanup_free_ char *line = NULL;

                l += strspn(l, " \t");
                if (strncmp(l, "export ", 7) == 0)
                        l += 7;
                if (strncmp(l, key, klen) != 0 || l[klen] != '=')
                        continue;
                line = strndup(l + klen + 1, strcspn(l + klen + 1, "\n"));
                if (!line)
                        return -ENOMEM;
                free(*val);
                *val = unquote(line);
                if (!*val)
                        return -ENOMEM;
        }
        return 0;
}

static bool word_in(const char *list, const char *w)
{
        return list && cmdline_has_word(list, w);
}

static enum os_family family_of(const char *id, const char *like)
{
        if (!id)
                return OS_OTHER;
        if (streq(id, "nixos"))
                return OS_NIXOS;
        if (streq(id, "ubuntu") || word_in(like, "ubuntu"))
                return OS_UBUNTU;
        if (streq(id, "debian") || word_in(like, "debian"))
                return OS_DEBIAN;
        if (streq(id, "fedora"))
                return OS_FEDORA;
        if (word_in(like, "rhel") || word_in(like, "centos") || streq(id, "rhel") || streq(id, "centos") ||
            streq(id, "ol"))
                return OS_RHEL;
        if (word_in(like, "fedora"))
                return OS_FEDORA;
        if (word_in(like, "suse") || startswith(id, "opensuse") || streq(id, "sles"))
                return OS_SUSE;
        if (streq(id, "arch") || word_in(like, "arch"))
                return OS_ARCH;
        return OS_OTHER;
}

static int gather_os(int root_fd, struct facts *f)
{
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_noted(root_fd, f, "/etc/os-release", SMALL_FILE_MAX, &text);
        if (r < 0 && r != -ENOMEM)
                r = read_noted(root_fd, f, "/usr/lib/os-release", SMALL_FILE_MAX, &text);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if ((r = shell_var(text, "ID", &f->os_id)) < 0 || (r = shell_var(text, "ID_LIKE", &f->os_id_like)) < 0 ||
            (r = shell_var(text, "VERSION_ID", &f->os_version_id)) < 0 ||
            (r = shell_var(text, "PRETTY_NAME", &f->os_name)) < 0)
                return r;
        f->family = family_of(f->os_id, f->os_id_like);
        return 0;
}

/* The machine from a release suffix: "-amd64", ".x86_64", "-686-pae", ".i686". */
static const char *arch_from_release(const char *rel)
{
        if (!rel)
                return NULL;
        if (strstr(rel, "amd64") || strstr(rel, "x86_64"))
                return "x86_64";
        if (strstr(rel, "686") || strstr(rel, "i386") || strstr(rel, "i586"))
                return "i686";
        return NULL;
}

static int gather_running(int root_fd, bool host_root, struct facts *f)
{
        struct utsname u;
        const char *a;

        f->guest_type = read_line(root_fd, f, "/sys/hypervisor/guest_type");
        f->running_release = read_line(root_fd, f, "/proc/sys/kernel/osrelease");
        f->arch = read_line(root_fd, f, "/proc/sys/kernel/arch");
        if (host_root && (!f->running_release || !f->arch) && uname(&u) == 0) {
                if (!f->running_release && !(f->running_release = strdup(u.release)))
                        return -ENOMEM;
                if (!f->arch && !(f->arch = strdup(u.machine)))
                        return -ENOMEM;
        }
        a = arch_from_release(f->running_release);
        if (!f->arch && a && !(f->arch = strdup(a)))
                return -ENOMEM;
        return 0;
}

/* A result that says more about this probe (its budget spent) than about the image: not kept. */
static bool budget_error(int r)
{
        return r == -EDQUOT || r == -ETIME;
}

static int inspect_kernel(int root_fd, struct kcache *cache, struct decomp_budget *budget, struct facts *f)
{
        struct mapped m;
        int r;

        r = root_map(root_fd, f->nb.kernel_path, &m);
        if (r < 0)
                return root_unreadable_add(&f->unreadable, f->nb.kernel_path, r) < 0 ? -ENOMEM : r;
        if (!kcache_get_kimage(cache, &m.st, &f->img)) {
                r = kimage_inspect(m.data, m.len, budget, &f->img);
                if (r >= 0 && !budget_error(f->img.notes_error))
                        r = kcache_put_kimage(cache, &m.st, &f->img);
                log_debug("Inspected %s: %s, %s; notes %s after %" PRIu64 " of %" PRIu32 " bytes (%" PRIu64
                          " skipped).",
                          f->nb.kernel_path, kformat_name(f->img.format), kcomp_name(f->img.comp),
                          f->img.notes_error == 0 ? "read" : "not read", f->img.out_bytes, f->img.usize,
                          f->img.skipped_bytes);
        } else
                log_debug("Kernel image %s: cached result.", f->nb.kernel_path);
        mapped_done(&m);
        return r;
}

static char *release_from_name(const char *path)
{
        static const char *const prefixes[] = { "vmlinuz-", "vmlinux-", "kernel-", "bzImage-" };
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(base, prefixes[i]) && base[strlen(prefixes[i])])
                        return strdup(base + strlen(prefixes[i]));
        return NULL;
}

/* The release of the next-boot kernel: its header, its build salt note, then its file name. */
static char *next_release(const struct facts *f)
{
        if (f->kernel_error == 0 && f->img.version[0])
                return strndup(f->img.version, strcspn(f->img.version, " "));
        if (f->kernel_error == 0 && f->img.notes.salt[0])
                return strdup(f->img.notes.salt);
        return f->nb.kernel ? release_from_name(f->nb.kernel) : NULL;
}

static int gather_builtin(int root_fd, struct facts *f)
{
        static const char *const dirs[] = { "/lib/modules/", "/usr/lib/modules/" };

        f->builtin_blkfront = -1;
        for (size_t i = 0; f->next_release && i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *path = strdup_printf("%s%s/modules.builtin", dirs[i], f->next_release);
                _cleanup_free_ char *text = NULL;
                int r;

                if (!path)
                        return -ENOMEM;
                r = read_noted(root_fd, f, path, BUILTIN_MAX, &text);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                f->builtin_blkfront = strstr(text, "/xen-blkfront.ko") != NULL;
                return 0;
        }
        return 0;
}

static int blkfront_entry(const char *name, void *userdata)
{
        static const char *const names[] = { "xen-blkfront.ko", "xen-blkfront.ko.xz", "xen-blkfront.ko.zst",
                                             "xen-blkfront.ko.gz" };
        const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(base, names[i]))
                        return 1;
        return 0;
}

static int scan_initrd(int root_fd, struct kcache *cache, struct decomp_budget *budget,
                       struct facts *f, const char *path)
{
        struct mapped m;
        int r;

        r = root_map(root_fd, path, &m);
        if (r < 0)
                return root_unreadable_add(&f->unreadable, path, r) < 0 ? -ENOMEM : r;
        if (!kcache_get_initrd(cache, &m.st, &r)) {
                r = initramfs_walk(m.data, m.len, budget, blkfront_entry, NULL);
                if (r != -ENOMEM && !budget_error(r) && kcache_put_initrd(cache, &m.st, r) < 0)
                        r = -ENOMEM;
        }
        mapped_done(&m);
        return r;
}

/* Every initramfs of the entry (microcode first, then the main one) is looked at. */
static int gather_initrd(int root_fd, struct kcache *cache, struct decomp_budget *budget, struct facts *f)
{
        f->initrd_blkfront = INITRD_NONE;
        for (size_t i = 0; i < f->nb.n_initrd; i++) {
                int r = scan_initrd(root_fd, cache, budget, f, f->nb.initrd_paths[i]);

                if (r == -ENOMEM)
                        return r;
                if (free_and_strdup(&f->initrd_scanned, f->nb.initrd_paths[i]) < 0)
                        return -ENOMEM;
                f->initrd_blkfront = r;
                if (r == 1)
                        break;
        }
        return 0;
}

/* The kernel and every initramfs share one budget: see struct decomp_budget. */
static int gather_next_kernel(int root_fd, struct kcache *cache, struct facts *f)
{
        struct decomp_budget budget;
        int r = next_boot_find(root_fd, &f->nb);

        if (r < 0)
                return r;
        decomp_budget_init(&budget, PROBE_BYTES_MAX, PROBE_CPU_SEC_MAX);
        f->kernel_error = f->nb.kernel_path ? inspect_kernel(root_fd, cache, &budget, f) : -ENOENT;
        if (f->kernel_error == -ENOMEM)
                return -ENOMEM;
        f->next_release = next_release(f);
        r = kconfig_load(root_fd, f->next_release,
                         f->next_release && f->running_release && streq(f->next_release, f->running_release),
                         &f->unreadable, &f->kcfg);
        if (r == -ENOMEM)
                return r;
        r = gather_builtin(root_fd, f);
        return r < 0 ? r : gather_initrd(root_fd, cache, &budget, f);
}

static int eval_grub_file(int root_fd, struct facts *f, struct grubvars *vars, const char *path)
{
        _cleanup_free_ char *text = NULL;
        int r = read_noted(root_fd, f, path, SMALL_FILE_MAX, &text);

        if (r < 0)
                return r;
        return grubvars_eval(vars, path, text);
}

static bool is_cfg(const char *name)
{
        size_t n = strlen(name);

        return !startswith(name, ".") && n > 4 && streq(name + n - 4, ".cfg");
}

/* Whether a grub.d file sourced after prepare's drop-in sets what it sets; records why in grub_late_why. */
static int check_late(int root_fd, const char *name, const char *path, struct facts *f)
{
        static const char *const managed[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_TERMINAL",
                                               "GRUB_TERMINAL_INPUT", "GRUB_TERMINAL_OUTPUT", "GRUB_SERIAL_COMMAND" };
        _cleanup_(grubvars_done) struct grubvars late = {};
        int r;

        if (f->grub_late_why || strcmp(name, PREPARE_DEBIAN_DROPIN) <= 0)
                return 0;
        r = eval_grub_file(root_fd, f, &late, path);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < ELEMENTSOF(managed); i++)
                if (grubvars_get(&late, managed[i])) {
                        f->grub_late_why = strdup_printf("by hand where it is set last (%s is sourced after the "
                                                         "agent's drop-in %s), then run update-grub",
                                                         path, PREPARE_DEBIAN_DROPIN);
                        return f->grub_late_why ? 0 : -ENOMEM;
                }
        return 0;
}

/*
 * The settings the next grub-mkconfig uses, with the one evaluator prepare
 * uses too: /etc/default/grub, then (Debian's and Ubuntu's grub-mkconfig
 * only) /etc/default/grub.d/NAME.cfg in the shell's glob order, prepare's
 * own drop-in included.
 */
static int gather_default_grub(int root_fd, struct facts *f)
{
        _cleanup_strv_ char **names = NULL;
        size_t n = 0;
        int r = eval_grub_file(root_fd, f, &f->grub, "/etc/default/grub");

        if (r == -ENOMEM)
                return r;
        f->has_default_grub = r >= 0;
        f->default_grub_error = r < 0 && r != -ENOENT && r != -ENOTDIR ? r : 0;
        if (r < 0 || (f->family != OS_DEBIAN && f->family != OS_UBUNTU))
                return 0;
        if (root_list_dir(root_fd, "/etc/default/grub.d", &names, &n) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;

                if (!is_cfg(names[i]))
                        continue;
                if (!(path = strdup_printf("/etc/default/grub.d/%s", names[i])))
                        return -ENOMEM;
                if ((r = check_late(root_fd, names[i], path, f)) < 0)
                        return r;
                r = eval_grub_file(root_fd, f, &f->grub, path);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

static bool unpacks_kernels(const char *t)
{
        if (strstr(t, "extract-vmlinux"))
                return true;
        if (!strstr(t, "vmlinu"))
                return false;
        return strstr(t, "lz4 -d") || strstr(t, "lz4cat") || strstr(t, "unlz4") || strstr(t, "zstd -d") ||
               strstr(t, "zstdcat") || strstr(t, "unzstd") || strstr(t, "decompress");
}

static int gather_hooks(int root_fd, struct facts *f)
{
        _cleanup_strv_ char **names = NULL;
        size_t n = 0;

        if (root_list_dir(root_fd, "/etc/kernel/postinst.d", &names, &n) < 0)
                return 0;
        for (size_t i = 0; i < n && !f->decompress_hook; i++) {
                _cleanup_free_ char *path = strdup_printf("/etc/kernel/postinst.d/%s", names[i]), *text = NULL;
                int r;

                if (!path)
                        return -ENOMEM;
                /* run-parts passes directories over: so does this. */
                r = root_read_file(root_fd, path, HOOK_FILE_MAX, &text, NULL);
                if (r < 0 && r != -EISDIR && root_unreadable_add(&f->unreadable, path, r) < 0)
                        return -ENOMEM;
                if (r >= 0 && unpacks_kernels(text))
                        f->decompress_hook = TAKE_PTR(path);
        }
        return 0;
}

int facts_gather_running(int root_fd, bool host_root, struct facts *ret)
{
        struct facts f = {};
        int r;

        if ((r = gather_running(root_fd, host_root, &f)) < 0 || (r = gather_os(root_fd, &f)) < 0) {
                facts_done(&f);
                return r;
        }
        *ret = f;
        return 0;
}

int facts_gather(int root_fd, bool host_root, struct kcache *cache, struct facts *ret)
{
        struct facts f = {};
        int r;

        if ((r = gather_running(root_fd, host_root, &f)) < 0 || (r = gather_os(root_fd, &f)) < 0 ||
            (r = gather_next_kernel(root_fd, cache, &f)) < 0 || (r = gather_default_grub(root_fd, &f)) < 0 ||
            (r = gather_hooks(root_fd, &f)) < 0) {
                facts_done(&f);
                return r;
        }
        *ret = f;
        return 0;
}

static bool release_safe(const char *rel)
{
        return rel && rel[0] && strlen(rel) < 128 &&
               strspn(rel, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-") == strlen(rel);
}

enum prepare_family facts_prepare_family(const struct facts *f)
{
        if (f->nb.source == MENU_LEGACY)
                return PREPARE_MANUAL;
        switch (f->family) {
        case OS_DEBIAN:
        case OS_UBUNTU:
                return PREPARE_DEBIAN;
        case OS_RHEL:
        case OS_FEDORA:
                return PREPARE_FEDORA;
        case OS_SUSE:
        case OS_ARCH:
        case OS_NIXOS:
        case OS_OTHER:
                break;
        }
        return PREPARE_MANUAL;
}

bool facts_initramfs_fixable(const struct facts *f)
{
        char v = f->kcfg.val[KCONF_XEN_BLKDEV_FRONTEND];
        bool module = f->builtin_blkfront == 0 || (v == 'm' && f->builtin_blkfront != 1);

        return facts_prepare_family(f) == PREPARE_DEBIAN && module && v != 'y' &&
               f->initrd_blkfront == 0 && release_safe(f->next_release);
}

void facts_done(struct facts *f)
{
        free(f->guest_type);
        free(f->running_release);
        free(f->arch);
        free(f->os_id);
        free(f->os_id_like);
        free(f->os_version_id);
        free(f->os_name);
        next_boot_done(&f->nb);
        free(f->next_release);
        kconfig_done(&f->kcfg);
        free(f->initrd_scanned);
        grubvars_done(&f->grub);
        free(f->grub_late_why);
        free(f->decompress_hook);
        root_unreadable_done(&f->unreadable);
        *f = (struct facts){};
}
