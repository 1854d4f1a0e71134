# Turn the "#define NAME value" lines of a C header into NASM "%define" lines,
# so the guests and the devices share one port map (DESIGN.md, "Guests").
# Usage: cmake -DIN=header.h -DOUT=file.inc -DPREFIX=PTV_ -P gen_nasm_inc.cmake
file(STRINGS "${IN}" lines REGEX "^#define[ \t]+${PREFIX}[A-Za-z0-9_]+[ \t]+")
set(out "; generated from ${IN} -- do not edit\n")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "/\\*.*$" "" line "${line}")
  string(REGEX MATCH "^#define[ \t]+([A-Za-z0-9_]+)[ \t]+([^ \t]+)" _ "${line}")
  if(CMAKE_MATCH_1 AND NOT CMAKE_MATCH_2 MATCHES "^\\(")
    string(APPEND out "%define ${CMAKE_MATCH_1} ${CMAKE_MATCH_2}\n")
  endif()
endforeach()
file(WRITE "${OUT}.tmp" "${out}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
