/* libmnv3: activation reference kernel (ReLU, h-swish, h-sigmoid)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * relu(x) = max (x, 0); h-sigmoid(x) = relu6 (x + 3) / 6;
 * h-swish(x) = x * relu6 (x + 3) / 6. In place over n floats.
 */
#include "kernels.h"

void
mnv3_f32_act__ref (float *x, const struct mnv3_act_params *p)
{
  for (size_t i = 0; i < p->n; i++)
    x[i] = mnv3_apply_act (x[i], p->act);
}
