/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "xlcfg.h"

/*
 * libvirt's domain XML for Xen (the libxl driver, formatdomain.html): the
 * type a definition boots as, and the switch of a PV definition that boots
 * pvgrub (<os><type>linux</type><kernel>PVGRUB</kernel>) to PVH with
 * pvhgrub (<type machine='xenpvh'>xenpvh</type><kernel>PVHGRUB</kernel>).
 * The text is what virsh dumpxml printed; it is read strictly all the same:
 * DOCTYPEs, CDATA and entities in the values that matter are refused, not
 * guessed at. Only the <type> element and the <kernel> text change; every
 * other byte stays as it was.
 */

#define LVXML_SIZE_MAX (1024 * 1024)

/*
 * The type the definition boots as. When it cannot be switched to PVH by
 * lvxml_to_pvh(), *ret_reason (allocated) says why; else it is NULL.
 * -EBADMSG when the text is not a domain definition this can read.
 */
int lvxml_inspect(const char *xml, const struct xlcfg_paths *p, enum xlcfg_type *ret_type, char **ret_reason);

/* The PVH text of a switchable PV definition (see lvxml_inspect). */
int lvxml_to_pvh(const char *xml, const struct xlcfg_paths *p, char **ret);

/* The <name> of the definition (allocated); -ENOENT when absent. */
int lvxml_name(const char *xml, char **ret);
