// Code mobility exercises: Fig. 3-19 (bindings) and Fig. 3-18 (kinds of
// mobility) of Tanenbaum & van Steen, ch. 3.5; see bindings.hpp.
#include "ptv/migration/sim/bindings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "ptv/common/error.hpp"
#include "ptv/common/rng.hpp"
#include "ptv/common/table.hpp"

namespace ptv::migration::sim {

const char* to_string(Attachment a) {
    switch (a) {
        case Attachment::Unattached:
            return "unattached";
        case Attachment::Fastened:
            return "fastened";
        case Attachment::Fixed:
            return "fixed";
    }
    return "?";
}

const char* code(Action a) {
    switch (a) {
        case Action::MV:
            return "MV";
        case Action::GR:
            return "GR";
        case Action::CP:
            return "CP";
        case Action::RB:
            return "RB";
    }
    return "?";
}

const char* words(Action a) {
    switch (a) {
        case Action::MV:
            return "move the resource";
        case Action::GR:
            return "establish a global systemwide reference";
        case Action::CP:
            return "copy the value of the resource";
        case Action::RB:
            return "rebind the process to a locally available resource";
    }
    return "?";
}

// Fig. 3-19, row by row; the first action is the usual one, the others
// (the book's "or ...") are the alternatives.
namespace {

std::vector<Action> row(Attachment a, std::vector<Action> unattached, std::vector<Action> fastened,
                        std::vector<Action> fixed) {
    switch (a) {
        case Attachment::Unattached:
            return unattached;
        case Attachment::Fastened:
            return fastened;
        case Attachment::Fixed:
            return fixed;
    }
    return {};
}

}  // namespace

// Only that resource will do: it moves along if it can, else the process
// refers to it from afar.
std::vector<Action> BindingByIdentifier::actions(Attachment a) {
    using enum Action;
    return row(a, {MV, GR}, {GR, MV}, {GR});
}

// Its content is what counts: a copy serves as well as the original.
std::vector<Action> BindingByValue::actions(Attachment a) {
    using enum Action;
    return row(a, {CP, MV, GR}, {GR, CP}, {GR});
}

// Any resource of the kind: the target machine's own serves first.
std::vector<Action> BindingByType::actions(Attachment a) {
    using enum Action;
    return row(a, {RB, MV, CP}, {RB, GR, CP}, {RB, GR});
}

const char* to_string(const Binding& b) {
    return std::visit([](const auto& kind) { return kind.name; }, b);
}

std::vector<Action> actions(const Binding& b, Attachment a) {
    return std::visit([a](const auto& kind) { return kind.actions(a); }, b);
}

std::string table_cell(const Binding& b, Attachment a) {
    auto acts = actions(b, a);
    std::string s = code(acts[0]);
    for (size_t i = 1; i < acts.size(); ++i)
        s += fmt::format("{}{}", i == 1 ? " (or " : ", ", code(acts[i]));
    return acts.size() > 1 ? s + ")" : s;
}

const std::vector<Resource>& resource_catalogue() {
    using A = Attachment;
    static const std::vector<Resource> catalogue = {
        {"the data files it alone created and works on (a few MB of checkpoints), named by "
         "their paths",
         BindingByIdentifier{}, A::Unattached,
         "it needs exactly these files, with their history, not similar ones: it refers to them "
         "by name",
         "plain data files that belong to the program alone and are cheap to move"},
        {"its own log file, which it keeps appending to", BindingByIdentifier{}, A::Unattached,
         "the log is that one file; appending to another would split its history",
         "a small file used by this program only"},
        {"a large database (tens of GB) it updates, identified by its name", BindingByIdentifier{},
         A::Fastened, "it must update that particular database, not a copy or another one",
         "it could be moved in principle, but moving tens of GB is too costly (the book's "
         "example of a fastened resource)"},
        {"the document tree of a local web site (200 GB) whose pages it maintains",
         BindingByIdentifier{}, A::Fastened,
         "it must edit that site's documents: clients reach them by their names",
         "movable in principle, at a prohibitive cost, and other processes use it too"},
        {"a local communication endpoint: the TCP port on which its clients reach it",
         BindingByIdentifier{}, A::Fixed,
         "the clients know this endpoint, so it must be exactly this one",
         "a port belongs to the host's network stack and cannot leave the machine (the book's "
         "example of a fixed resource)"},
        {"the URL of a specific web site from which it fetches its data", BindingByIdentifier{},
         A::Fixed, "a URL names exactly one site (the book's example of binding by identifier)",
         "the site lives on its own server, which does not move with the program; the URL is "
         "already a global reference"},
        {"the standard C library it was linked with (a given version)", BindingByValue{},
         A::Unattached,
         "any copy with the same content will do, wherever it is in the file system (the "
         "book's example of binding by value)",
         "a few MB of files, cheap to copy"},
        {"a configuration file whose settings it reads at start-up", BindingByValue{},
         A::Unattached, "only the settings count, not which file holds them",
         "a small file, cheap to copy"},
        {"a 50 GB read-only reference data set (a genome) whose contents it reads",
         BindingByValue{}, A::Fastened, "any copy with the same content will do",
         "too large to move or copy cheaply"},
        {"a local mirror (30 GB) of a software repository from which it installs packages",
         BindingByValue{}, A::Fastened, "any mirror with the same packages will do",
         "too large to copy cheaply, and shared with other local processes"},
        {"a memory segment it shares with other processes on its machine", BindingByValue{},
         A::Fixed, "it needs the segment's current content, wherever that is mapped",
         "it is the host's physical memory, shared with local processes: it cannot go with "
         "one of them (GR here means distributed shared memory)"},
        {"the signing key kept in the machine's hardware security module", BindingByValue{},
         A::Fixed, "only the key's value counts: any module holding that key would do",
         "the key never leaves its hardware module, which is part of the machine"},
        {"a temporary scratch file for intermediate results", BindingByType{}, A::Unattached,
         "any empty file will do: it needs a file of a kind, not a particular one",
         "a small file that belongs to no one else"},
        {"a local cache directory of thumbnails it can regenerate at will", BindingByType{},
         A::Unattached, "any cache of that kind will do: an empty one refills itself",
         "a few MB that belong to the program alone"},
        {"the local spelling-dictionary service it queries", BindingByType{}, A::Fastened,
         "any dictionary service of that kind will do", "a large service, too costly to move"},
        {"the site's local time-series database into which it stores sensor readings",
         BindingByType{}, A::Fastened,
         "any instance of the site's database of that kind will do (readings are merged later)",
         "a large database that other processes write to as well"},
        {"the local printer", BindingByType{}, A::Fixed,
         "it needs a printer, not that printer (the book's example of binding by type)",
         "a device attached to its machine"},
        {"the local display (monitor)", BindingByType{}, A::Fixed,
         "it needs a display to draw on, not that one",
         "a device attached to its machine (the book's example of a fixed resource)"},
        {"the physical memory it runs in", BindingByType{}, A::Fixed,
         "it needs memory of a size, not those particular page frames",
         "RAM is part of the machine"},
        {"the hardware random-number generator of its machine", BindingByType{}, A::Fixed,
         "any good source of random numbers will do", "a device on the machine's board"},
    };
    return catalogue;
}

const std::vector<Scenario>& scenario_catalogue() {
    using I = Initiative;
    static const std::vector<Scenario> catalogue = {
        {"A web browser downloads a Java applet from a server and starts it from its first "
         "instruction.",
         WeakMobility{}, I::Receiver,
         "only code moves and starts from the beginning; the machine that will run it asks "
         "for it"},
        {"A client ships a search program to a database server, which runs it next to the "
         "data and sends back the results.",
         WeakMobility{}, I::Sender,
         "only code moves, and starts afresh; the machine where the code is now pushes it"},
        {"A load balancer on a busy workstation moves a running computation, stack, registers "
         "and all, to an idle machine, where it continues from where it was.",
         StrongMobility{.cloning = false}, I::Sender,
         "the execution state moves too; the source pushes; the original stops (migration)"},
        {"An idle workstation asks a busy server for work and receives a running process, which "
         "continues there and no longer runs on the server.",
         StrongMobility{.cloning = false}, I::Receiver,
         "the execution state moves; the target asks for it; the original stops (migration)"},
        {"A process calls a remote fork: a copy in the same state starts on another machine "
         "while the original continues.",
         StrongMobility{.cloning = true}, I::Sender,
         "the execution state is copied; the process itself initiates; the original runs on "
         "(cloning)"},
        {"A cloud scheduler live-migrates a running VM, memory and CPU state, to another host "
         "to drain the source for maintenance.",
         StrongMobility{.cloning = false}, I::Sender,
         "memory and CPU state move and the VM continues where it was; the source side "
         "pushes; the original stops (migration)"},
        {"A mobile agent visits airline servers one after another, each time carrying its "
         "state and continuing its search where it left off.",
         StrongMobility{.cloning = false}, I::Sender,
         "its execution state travels with it; it moves itself; nothing stays behind "
         "(migration)"},
        {"A client downloads a plug-in for a new file format from a vendor's server and starts "
         "it.",
         WeakMobility{}, I::Receiver, "code only, started afresh; the client asks for it"},
        {"From a snapshot of a running VM, a host starts a second copy on another machine "
         "while the original VM keeps serving.",
         StrongMobility{.cloning = true}, I::Sender,
         "memory and CPU state are copied; the source ships them; the original runs on "
         "(cloning)"},
        {"An idle node of a cluster pulls a copy of a running worker process, in its current "
         "state, to share its work; the original continues.",
         StrongMobility{.cloning = true}, I::Receiver,
         "the execution state is copied; the target asks; the original runs on (cloning)"},
        {"An administrator uploads a maintenance script to a fleet of servers, each of which "
         "runs it from the start.",
         WeakMobility{}, I::Sender, "code only, started afresh; the sender pushes it"},
    };
    return catalogue;
}

std::vector<Exercise> make_exercises(uint64_t seed, int count, const std::string& kinds) {
    if (kinds != "binding" && kinds != "mobility" && kinds != "mixed")
        throw UsageError(fmt::format("--kind '{}': use binding, mobility or mixed", kinds));
    if (count < 1 || count > 100)
        throw UsageError(fmt::format("--count {} is out of range: use 1..100", count));
    SplitMix64 rng(seed ^ 0x62696e64696e6773ull);  // "bindings"
    // Draws without repetition until a catalogue is used up, then reshuffles.
    auto drawer = [&rng](size_t n) {
        return [&rng, n, order = std::vector<size_t>(), at = size_t(0)]() mutable {
            if (at == order.size()) {
                order.resize(n);
                std::iota(order.begin(), order.end(), size_t(0));
                for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
                at = 0;
            }
            return order[at++];
        };
    };
    auto resource = drawer(resource_catalogue().size());
    auto scenario = drawer(scenario_catalogue().size());
    std::vector<Exercise> ex;
    for (int i = 0; i < count; ++i) {
        const bool mobility = kinds == "mobility" || (kinds == "mixed" && i % 3 == 2);
        if (mobility)
            ex.push_back({Exercise::Kind::Mobility, scenario()});
        else
            ex.push_back({Exercise::Kind::Binding, resource()});
    }
    return ex;
}

std::string render_table() {
    Table t({"process-to-resource", "unattached", "fastened", "fixed"});
    for (const Binding& b : kBindings)
        t.row({to_string(b), table_cell(b, Attachment::Unattached),
               table_cell(b, Attachment::Fastened), table_cell(b, Attachment::Fixed)});
    std::string s =
        "Fig. 3-19 (Tanenbaum & van Steen, after Fuggetta et al. 1998): what happens to a "
        "process's binding to a local\nresource when its code moves to another machine. Rows: "
        "how the process is bound to the resource; columns:\nhow the resource is bound to its "
        "machine. The first action is the usual one.\n\n";
    s += t.render();
    s += "\n";
    for (Action a : {Action::MV, Action::GR, Action::CP, Action::RB})
        s += fmt::format("  {}  {}\n", code(a), words(a));
    return s;
}

namespace {

std::string binding_answer(const Resource& r) {
    auto acts = actions(r.binding, r.attachment);
    std::string alt;
    for (size_t i = 1; i < acts.size(); ++i)
        alt += fmt::format("{}{} ({})", i == 1 ? "; or " : ", or ", code(acts[i]), words(acts[i]));
    return fmt::format(
        "   Answer: {} ({}){}.\n"
        "   Binding: {} -- {}.\n"
        "   Attachment: {} -- {}.\n"
        "   Fig. 3-19: {} x {} -> {}.\n",
        code(acts[0]), words(acts[0]), alt, to_string(r.binding), r.why_binding,
        to_string(r.attachment), r.why_attachment, to_string(r.binding), to_string(r.attachment),
        table_cell(r.binding, r.attachment));
}

// Strong mobility also says what becomes of the original.
std::string original(const Mobility& m) {
    if (const auto* strong = std::get_if<StrongMobility>(&m))
        return strong->cloning ? ", cloning" : ", migration";
    return "";
}

std::string mobility_answer(const Scenario& s) {
    return fmt::format("   Answer: {} mobility, {}-initiated{} -- {}.\n", to_string(s.mobility),
                       to_string(s.initiative), original(s.mobility), s.why);
}

}  // namespace

std::string render_exercises(uint64_t seed, const std::vector<Exercise>& ex, bool answers) {
    std::string s = fmt::format(
        "Code migration (ch. 3.5): exercises of seed {}.\n"
        "Binding questions: how is the process bound to the resource (by identifier, by value, "
        "by type),\nhow is the resource bound to its machine (unattached, fastened, fixed), and "
        "what happens to the binding\nwhen the program moves (MV, GR, CP, RB; Fig. 3-19, "
        "'ptv migrate bindings --table')?\n"
        "Mobility questions (Fig. 3-18): weak or strong mobility, sender- or "
        "receiver-initiated,\nand for strong mobility: migration or cloning?\n\n",
        seed);
    for (size_t i = 0; i < ex.size(); ++i) {
        if (ex[i].kind == Exercise::Kind::Binding) {
            const Resource& r = resource_catalogue()[ex[i].index];
            s += fmt::format("{:2}. A program about to migrate uses {}. What happens?\n", i + 1,
                             r.name);
            if (answers) s += binding_answer(r);
        } else {
            const Scenario& sc = scenario_catalogue()[ex[i].index];
            s += fmt::format("{:2}. {} Which kind of mobility?\n", i + 1, sc.text);
            if (answers) s += mobility_answer(sc);
        }
    }
    if (!answers) s += "\nRun again with -c to see the answers.\n";
    return s;
}

nlohmann::json exercises_json(uint64_t seed, const std::vector<Exercise>& ex, bool answers) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : ex) {
        nlohmann::json j;
        if (e.kind == Exercise::Kind::Binding) {
            const Resource& r = resource_catalogue()[e.index];
            j = {{"kind", "binding"}, {"resource", r.name}};
            if (answers) {
                nlohmann::json acts = nlohmann::json::array();
                for (Action a : actions(r.binding, r.attachment)) acts.push_back(code(a));
                j["binding"] = to_string(r.binding);
                j["attachment"] = to_string(r.attachment);
                j["actions"] = acts;
                j["why_binding"] = r.why_binding;
                j["why_attachment"] = r.why_attachment;
            }
        } else {
            const Scenario& s = scenario_catalogue()[e.index];
            j = {{"kind", "mobility"}, {"scenario", s.text}};
            if (answers) {
                j["mobility"] = to_string(s.mobility);
                j["initiative"] = to_string(s.initiative);
                if (const auto* strong = std::get_if<StrongMobility>(&s.mobility))
                    j["cloning"] = strong->cloning;
                j["why"] = s.why;
            }
        }
        list.push_back(j);
    }
    return {{"seed", seed}, {"exercises", list}};
}

nlohmann::json table_json() {
    nlohmann::json rows = nlohmann::json::object();
    for (const Binding& b : kBindings)
        for (Attachment a : {Attachment::Unattached, Attachment::Fastened, Attachment::Fixed}) {
            nlohmann::json acts = nlohmann::json::array();
            for (Action x : actions(b, a)) acts.push_back(code(x));
            rows[to_string(b)][to_string(a)] = acts;
        }
    return {{"table", rows}};
}

}  // namespace ptv::migration::sim
