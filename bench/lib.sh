# bench/lib.sh: shell helpers shared by the bench/ scripts (sourced, not run)
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later

# Prints "NAME: message" on stderr and exits 1; NAME is the sourcing script's.
die () {
  echo "$(basename "$0" .sh): $*" >&2
  exit 1
}

# The value of key=... in a line of key=value words.
field () {
  sed -n "s/\\(^\\|.* \\)$1=\\([^ ]*\\).*/\\2/p" | tail -n 1
}

# Median of the numbers on stdin, one per line.
median () {
  sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan";
      else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
