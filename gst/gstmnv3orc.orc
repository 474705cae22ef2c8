# ORC source for mnv3classify preprocessing (placeholder, being written)
.function mnv3_orc_placeholder
.dest 1 d1
.source 1 s1
copyb d1, s1
