# PVH_CC_FLAG(FLAG, ACTION-IF-ACCEPTED)
# Runs ACTION-IF-ACCEPTED when the C compiler accepts FLAG without a warning.
AC_DEFUN([PVH_CC_FLAG], [
        AC_MSG_CHECKING([whether $CC accepts $1])
        pvh_save_CFLAGS=$CFLAGS
        CFLAGS="$CFLAGS -Werror $1"
        AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
                [AC_MSG_RESULT([yes])
                 $2],
                [AC_MSG_RESULT([no])])
        CFLAGS=$pvh_save_CFLAGS
])
