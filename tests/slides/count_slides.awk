# The number of slides of a Marp deck, as the tests count them: the front
# matter (between the first two `---` lines) is not a slide; after it, each
# `---` line outside a fenced code block starts a new slide.
NR == 1 && /^---[ \t]*$/ { front = 1; next }
front && /^---[ \t]*$/ { front = 0; next }
front { next }
/^```/ { fence = !fence; next }
!fence && /^---[ \t]*$/ { separators++ }
END { print separators + 1 }
