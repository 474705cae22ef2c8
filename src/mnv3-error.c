/* libmnv3: the MNV3_ERROR domain
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "mnv3.h"

/* The indenter would space the dashes of the quark name. */
/* *INDENT-OFF* */
G_DEFINE_QUARK (mnv3-error-quark, mnv3_error);
/* *INDENT-ON* */
