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
