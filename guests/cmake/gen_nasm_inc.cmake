# Turn the "#define NAME value" lines of a C header into NASM "%define" lines,
# so the guests and the devices share one port map (docs/DESIGN.md, "Guests
# and the port map").
# Usage: cmake -DIN=header.h -DOUT=file.inc -DPREFIX=PTV_ -P gen_nasm_inc.cmake
#
# Same rules as the top-level cmake/gen_nasm_inc.cmake, with two fixes:
#  - if(CMAKE_MATCH_1 AND NOT CMAKE_MATCH_2 MATCHES ...) evaluates MATCHES
#    first, which clears CMAKE_MATCH_1, so that version emits no line at all;
#    here the groups are copied to variables before the test;
#  - the value is the whole rest of the line (comment stripped), not only its
#    first word, so "A | B" can never be silently cut down to "A";
#  - an unchanged output is touched all the same, so that make (which has no
#    restat) does not run this again on every build once the header is newer.
# Values starting with "(" (C expressions such as (1 << 0)) are skipped, and so
# are function-like macros (a "(" right after the name).
file(STRINGS "${IN}" lines REGEX "^#define[ \t]+${PREFIX}[A-Za-z0-9_]+[ \t]+")
set(out "; generated from ${IN} -- do not edit\n")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "/\\*.*$" "" line "${line}")
  if(NOT line MATCHES "^#define[ \t]+([A-Za-z0-9_]+)[ \t]+(.*)$")
    continue()
  endif()
  set(name "${CMAKE_MATCH_1}")
  string(STRIP "${CMAKE_MATCH_2}" value)
  if(value STREQUAL "" OR value MATCHES "^\\(")
    continue()
  endif()
  string(APPEND out "%define ${name} ${value}\n")
endforeach()
file(WRITE "${OUT}.tmp" "${out}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
file(TOUCH_NOCREATE "${OUT}")
