# The demo steps of a deck, as the tests read it (independently of ptv's own
# reader, cli/src/demo_deck.cpp): a fenced code block whose info string holds
# the word `demo` is a demo block, `kvm` marks it as needing /dev/kvm; each
# non-empty line in it that is not a `#` comment is one step. Prints
# "kvm<TAB>COMMAND" or "-<TAB>COMMAND" per step.
/^```/ {
    match($0, /^`+/)
    n = RLENGTH
    rest = substr($0, n + 1)
    if (!open) {
        open = n
        demo = (" " rest " ") ~ /[ \t]demo[ \t]/
        kvm = (" " rest " ") ~ /[ \t]kvm[ \t]/
        next
    }
    if (n >= open && rest ~ /^[ \t]*$/) {
        open = 0
        demo = 0
        next
    }
}
open && demo {
    line = $0
    gsub(/^[ \t]+|[ \t\r]+$/, "", line)
    if (line == "" || line ~ /^#/) next
    print (kvm ? "kvm" : "-") "\t" line
}
