/* libmnv3: the element-wise activation-quantization kernels, AVX2 build
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The bodies of quant-tmpl.h built with -mavx2 -O3 -ffp-contract=off (its
 * own static library, src/meson.build): the loops vectorize 8 wide and give
 * the same bits as the reference (tests/kernels checks equality). The
 * emulation runs one such pass per rounding point, so these dominate its
 * cost beyond the convolutions.
 */
#include "kernels.h"

#define QUANT_FN(op) mnv3_f32_##op##__avx2
#include "quant-tmpl.h"
