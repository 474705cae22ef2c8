/* libmnv3: the MNV3_ERROR domain
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "mnv3.h"

/* Not G_DEFINE_QUARK: gst-indent would space its stringified name into
 * "mnv3 - error - quark". */
GQuark
mnv3_error_quark (void)
{
  return g_quark_from_static_string ("mnv3-error-quark");
}
