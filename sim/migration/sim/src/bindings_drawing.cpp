// Fig. 3-19 and the binding exercises as Graphviz (see bindings_drawing.hpp).
#include "ptv/migration/sim/bindings_drawing.hpp"

#include <fmt/format.h>

#include "ptv/common/error.hpp"
#include "ptv/common/graphviz.hpp"

namespace ptv::migration::sim {

namespace {

using graphviz::escape_html;
using graphviz::escape_string;

constexpr Attachment kAttachments[] = {Attachment::Unattached, Attachment::Fastened,
                                       Attachment::Fixed};
constexpr Action kActions[] = {Action::MV, Action::GR, Action::CP, Action::RB};

// Breaks text into lines of at most `width` characters, between words, so
// that a catalogue sentence fits in a node.
std::string wrap(const std::string& text, size_t width) {
    std::string out, line;
    size_t from = 0;
    while (from < text.size()) {
        size_t end = text.find(' ', from);
        if (end == std::string::npos) end = text.size();
        const std::string word = text.substr(from, end - from);
        if (!line.empty() && line.size() + 1 + word.size() > width) {
            out += line + "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
        from = end + 1;
    }
    return out + line;
}

}  // namespace

std::string table_dot() {
    std::string rows =
        "<TR><TD ROWSPAN=\"2\"><B>process-to-resource<BR/>binding</B></TD>"
        "<TD COLSPAN=\"3\"><B>resource-to-machine binding</B></TD></TR>\n<TR>";
    for (Attachment a : kAttachments)
        rows += fmt::format("<TD><B>{}</B></TD>", escape_html(to_string(a)));
    rows += "</TR>\n";
    for (const Binding& b : kBindings) {
        rows += fmt::format("<TR><TD ALIGN=\"LEFT\"><B>{}</B></TD>", escape_html(to_string(b)));
        for (Attachment a : kAttachments)
            rows += fmt::format("<TD>{}</TD>", escape_html(table_cell(b, a)));
        rows += "</TR>\n";
    }
    std::string legend;
    for (Action x : kActions)
        legend +=
            fmt::format("<TR><TD ALIGN=\"LEFT\"><B>{}</B></TD><TD ALIGN=\"LEFT\">{}</TD></TR>\n",
                        code(x), escape_html(words(x)));
    return fmt::format(
        "digraph fig_3_19 {{\n"
        "  labelloc=t;\n  fontname=\"Helvetica\";\n"
        "  label=\"Fig. 3-19: what happens to a binding to a local resource when the code "
        "moves\\n(the first action is the usual one)\";\n"
        "  node [shape=plaintext, fontname=\"Helvetica\"];\n"
        "  table [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
        "CELLPADDING=\"8\">\n{}</TABLE>>];\n"
        "  legend [label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" "
        "CELLPADDING=\"3\">\n{}</TABLE>>];\n"
        "  table -> legend [style=invis];\n"
        "}}\n",
        rows, legend);
}

std::string exercises_dot(uint64_t seed, const std::vector<Exercise>& ex, bool answers) {
    std::string resources, edges, mobility;
    for (size_t i = 0; i < ex.size(); ++i) {
        if (ex[i].kind == Exercise::Kind::Mobility) {
            mobility += fmt::format("{}{}", mobility.empty() ? "" : ", ", i + 1);
            continue;
        }
        const Resource& r = resource_catalogue()[ex[i].index];
        std::string label = fmt::format("{}. {}", i + 1, wrap(r.name, 36));
        if (answers) label += fmt::format("\n({})", to_string(r.attachment));
        resources += fmt::format("    r{} [label=\"{}\"];\n", i + 1, escape_string(label));
        edges += fmt::format("  program -> r{} [label=\"{}\"];\n", i + 1,
                             answers ? to_string(r.binding) : "?");
        edges += fmt::format("  r{} -> moved [style=dashed, label=\"{}\"];\n", i + 1,
                             answers ? table_cell(r.binding, r.attachment) : "?");
    }
    if (resources.empty())
        throw UsageError(
            "--dot, --svg and --png draw the binding exercises and these are all on mobility; "
            "use --kind binding or mixed");
    std::string caption = fmt::format(
        "Code migration: the binding exercises of seed {} (Fig. 3-19)\n"
        "edges from the program: how it is bound to the resource; to the moved program: the "
        "action",
        seed);
    if (!mobility.empty())
        caption +=
            mobility.find(',') == std::string::npos
                ? fmt::format("\nexercise {} asks about mobility (Fig. 3-18): not drawn", mobility)
                : fmt::format("\nexercises {} ask about mobility (Fig. 3-18): not drawn", mobility);
    return fmt::format(
        "digraph bindings {{\n"
        "  rankdir=LR;\n  labelloc=t;\n  fontname=\"Helvetica\";\n  label=\"{}\";\n"
        "  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n"
        "  subgraph cluster_source {{\n    label=\"its machine\";\n"
        "    program [shape=ellipse, label=\"the program\\nabout to migrate\"];\n{}  }}\n"
        "  subgraph cluster_target {{\n    label=\"the target machine\";\n"
        "    moved [shape=ellipse, label=\"the program,\\nmoved\"];\n  }}\n"
        "{}"
        "  program -> moved [style=bold, label=\"migrates\"];\n"
        "}}\n",
        escape_string(caption), resources, edges);
}

}  // namespace ptv::migration::sim
