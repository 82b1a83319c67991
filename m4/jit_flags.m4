# SPDX-License-Identifier: ISC
# JIT_CHECK_CFLAG(FLAG, VARIABLE): appends FLAG to VARIABLE when $CC
# compiles and links a small program with it and -Werror, as OpenSSH's
# configure probes each hardening flag: a flag the compiler or the target
# does not have (-fcf-protection on arm64) is left out, never an error.
AC_DEFUN([JIT_CHECK_CFLAG], [
  AC_MSG_CHECKING([whether $CC accepts $1])
  jit_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS -Werror $1"
  AC_LINK_IFELSE([AC_LANG_SOURCE([[#include <stdio.h>
int main(int argc, char **argv) { (void)argv; printf("%d\n", argc); return 0; }]])],
    [AC_MSG_RESULT([yes])
     $2="$$2 $1"],
    [AC_MSG_RESULT([no])])
  CFLAGS=$jit_save_CFLAGS
])

# JIT_CHECK_LDFLAG(FLAG, VARIABLE): the same for a linker flag.
AC_DEFUN([JIT_CHECK_LDFLAG], [
  AC_MSG_CHECKING([whether $CC links with $1])
  jit_save_LDFLAGS=$LDFLAGS
  LDFLAGS="$LDFLAGS -Werror $1"
  AC_LINK_IFELSE([AC_LANG_SOURCE([[int main(void) { return 0; }]])],
    [AC_MSG_RESULT([yes])
     $2="$$2 $1"],
    [AC_MSG_RESULT([no])])
  LDFLAGS=$jit_save_LDFLAGS
])
