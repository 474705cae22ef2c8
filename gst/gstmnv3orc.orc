# mnv3classify: ORC source for the preprocessing row kernels.
# Single source of truth; gstmnv3orc-dist.[ch] are generated from this file.
#
# The vertical pass of the area-averaging resize works on the raw bytes of a
# source row (any 8-bit format, components still interleaved): every output
# row is a weighted sum of the source rows it covers.

# d1[i] = p1 * (float) s1[i]  (first source row of an output row)
.function mnv3_orc_accum_first_u8_f32
.dest 4 d1 float
.source 1 s1
.floatparam 4 p1
.temp 2 t1
.temp 4 t2
convubw t1, s1
convuwl t2, t1
convlf t2, t2
mulf d1, t2, p1

# d1[i] = d1[i] + p1 * (float) s1[i]  (the other source rows)
.function mnv3_orc_accum_u8_f32
.dest 4 d1 float
.source 1 s1
.floatparam 4 p1
.temp 2 t1
.temp 4 t2
convubw t1, s1
convuwl t2, t1
convlf t2, t2
mulf t2, t2, p1
addf d1, d1, t2

# A source row on the boundary between two output rows feeds both:
# d1[i] = d1[i] + p1 * (float) s1[i] and d2[i] = p2 * (float) s1[i]
.function mnv3_orc_accum_split_u8_f32
.dest 4 d1 float
.dest 4 d2 float
.source 1 s1
.floatparam 4 p1
.floatparam 4 p2
.temp 2 t1
.temp 4 t2
.temp 4 t3
convubw t1, s1
convuwl t2, t1
convlf t2, t2
mulf t3, t2, p1
addf d1, d1, t3
mulf d2, t2, p2

# Rows inside an output row's span all weigh the same (their whole height is
# covered), so the fast path sums their bytes exactly in 16 bits (up to 257
# rows of 255) and converts the sum to float once, instead of converting and
# scaling every row. d1[i] = s1[i] + s2[i]
.function mnv3_orc_sum2_u8_u16
.dest 2 d1 uint16_t
.source 1 s1
.source 1 s2
.temp 2 t1
.temp 2 t2
convubw t1, s1
convubw t2, s2
addw d1, t1, t2

# d1[i] = d1[i] + s1[i] + s2[i]
.function mnv3_orc_add2_u8_u16
.dest 2 d1 uint16_t
.source 1 s1
.source 1 s2
.temp 2 t1
.temp 2 t2
convubw t1, s1
convubw t2, s2
addw t1, t1, t2
addw d1, d1, t1

# d1[i] = d1[i] + s1[i]
.function mnv3_orc_add_u8_u16
.dest 2 d1 uint16_t
.source 1 s1
.temp 2 t1
convubw t1, s1
addw d1, d1, t1

# d1[i] = d1[i] + p1 * (float) s1[i]  (a 16-bit row sum)
.function mnv3_orc_accum_u16_f32
.dest 4 d1 float
.source 2 s1 uint16_t
.floatparam 4 p1
.temp 4 t1
convuwl t1, s1
convlf t1, t1
mulf t1, t1, p1
addf d1, d1, t1

# The 16-bit sum and the boundary row that ends the output row:
# d1[i] = d1[i] + p1 * (float) s1[i] + p2 * (float) s2[i] and
# d2[i] = p3 * (float) s2[i]
.function mnv3_orc_accum_split_u16_u8_f32
.dest 4 d1 float
.dest 4 d2 float
.source 2 s1 uint16_t
.source 1 s2
.floatparam 4 p1
.floatparam 4 p2
.floatparam 4 p3
.temp 4 t1
.temp 2 t2
.temp 4 t3
.temp 4 t4
convuwl t1, s1
convlf t1, t1
mulf t1, t1, p1
convubw t2, s2
convuwl t3, t2
convlf t3, t3
mulf t4, t3, p2
addf t1, t1, t4
addf d1, d1, t1
mulf d2, t3, p3

# 16-bit samples (10-, 12- and 16-bit formats, little-endian in memory like
# the host: the element only picks these on little-endian hosts). The same
# kernels as for bytes; mnv3_orc_accum_u16_f32 above serves as the
# d1[i] = d1[i] + p1 * (float) s1[i] of a 16-bit source row.

# d1[i] = p1 * (float) s1[i]
.function mnv3_orc_accum_first_u16_f32
.dest 4 d1 float
.source 2 s1 uint16_t
.floatparam 4 p1
.temp 4 t1
convuwl t1, s1
convlf t1, t1
mulf d1, t1, p1

# d1[i] = d1[i] + p1 * (float) s1[i] and d2[i] = p2 * (float) s1[i]
.function mnv3_orc_accum_split_u16_f32
.dest 4 d1 float
.dest 4 d2 float
.source 2 s1 uint16_t
.floatparam 4 p1
.floatparam 4 p2
.temp 4 t1
.temp 4 t2
convuwl t1, s1
convlf t1, t1
mulf t2, t1, p1
addf d1, d1, t2
mulf d2, t1, p2

# Exact 32-bit sums of the wholly covered 16-bit rows (up to 256 rows of
# 65535 stay below 2^24, so the float conversion is exact too).
# d1[i] = s1[i] + s2[i]
.function mnv3_orc_sum2_u16_u32
.dest 4 d1 uint32_t
.source 2 s1 uint16_t
.source 2 s2 uint16_t
.temp 4 t1
.temp 4 t2
convuwl t1, s1
convuwl t2, s2
addl d1, t1, t2

# d1[i] = d1[i] + s1[i] + s2[i]
.function mnv3_orc_add2_u16_u32
.dest 4 d1 uint32_t
.source 2 s1 uint16_t
.source 2 s2 uint16_t
.temp 4 t1
.temp 4 t2
convuwl t1, s1
convuwl t2, s2
addl t1, t1, t2
addl d1, d1, t1

# d1[i] = d1[i] + s1[i]
.function mnv3_orc_add_u16_u32
.dest 4 d1 uint32_t
.source 2 s1 uint16_t
.temp 4 t1
convuwl t1, s1
addl d1, d1, t1

# d1[i] = d1[i] + p1 * (float) s1[i]  (a 32-bit row sum, < 2^24)
.function mnv3_orc_accum_u32_f32
.dest 4 d1 float
.source 4 s1 uint32_t
.floatparam 4 p1
.temp 4 t1
convlf t1, s1
mulf t1, t1, p1
addf d1, d1, t1

# d1[i] = d1[i] + p1 * (float) s1[i] + p2 * (float) s2[i] and
# d2[i] = p3 * (float) s2[i]  (32-bit sum, 16-bit boundary row)
.function mnv3_orc_accum_split_u32_u16_f32
.dest 4 d1 float
.dest 4 d2 float
.source 4 s1 uint32_t
.source 2 s2 uint16_t
.floatparam 4 p1
.floatparam 4 p2
.floatparam 4 p3
.temp 4 t1
.temp 4 t3
.temp 4 t4
convlf t1, s1
mulf t1, t1, p1
convuwl t3, s2
convlf t3, t3
mulf t4, t3, p2
addf t1, t1, t4
addf d1, d1, t1
mulf d2, t3, p3
