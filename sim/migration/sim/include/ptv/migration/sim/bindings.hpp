// Code mobility exercises (Tanenbaum & van Steen, ch. 3.5):
// - Fig. 3-19 (after Fuggetta et al. 1998): what happens to a process's
//   binding to a local resource when its code moves, by the kind of
//   process-to-resource binding and of resource-to-machine binding;
// - Fig. 3-18: weak vs strong mobility, sender- vs receiver-initiated,
//   migration vs cloning (mobility.hpp).
// A built-in catalogue of realistic resources and scenarios; a seed draws
// the exercises (`ptv migrate bindings`).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "ptv/migration/sim/mobility.hpp"

namespace ptv::migration::sim {

enum class Attachment { Unattached, Fastened, Fixed };  // resource-to-machine
enum class Action { MV, GR, CP, RB };

const char* to_string(Attachment a);
const char* code(Action a);   // "MV"
const char* words(Action a);  // "move the resource"

// The three process-to-resource bindings, the rows of Fig. 3-19. Each
// knows its row: actions(a) are what may happen to the binding when the
// process moves and the resource is bound to its machine as `a`, the usual
// choice first.
struct BindingByIdentifier {  // exactly this resource (a URL, a port)
    static constexpr const char* name = "by identifier";
    static std::vector<Action> actions(Attachment a);
};
struct BindingByValue {  // any resource with this content (a C library)
    static constexpr const char* name = "by value";
    static std::vector<Action> actions(Attachment a);
};
struct BindingByType {  // any resource of this kind (a printer)
    static constexpr const char* name = "by type";
    static std::vector<Action> actions(Attachment a);
};

using Binding = std::variant<BindingByIdentifier, BindingByValue, BindingByType>;
// The rows in the book's order.
inline constexpr std::array<Binding, 3> kBindings = {BindingByIdentifier{}, BindingByValue{},
                                                     BindingByType{}};

const char* to_string(const Binding& b);  // "by identifier"

// Fig. 3-19: the actions for a cell, the usual choice first.
std::vector<Action> actions(const Binding& b, Attachment a);
// A cell as the figure writes it: "MV (or GR)", "GR".
std::string table_cell(const Binding& b, Attachment a);

struct Resource {
    const char* name;  // "a URL of a specific web site it fetches its news from"
    Binding binding;
    Attachment attachment;
    const char* why_binding;
    const char* why_attachment;
};
const std::vector<Resource>& resource_catalogue();

struct Scenario {
    const char* text;
    Mobility mobility;  // strong mobility says migration or cloning
    Initiative initiative;
    const char* why;
};
const std::vector<Scenario>& scenario_catalogue();

struct Exercise {
    enum class Kind { Binding, Mobility } kind;
    size_t index;  // into the resource or scenario catalogue
};

// COUNT exercises of seed SEED; kinds "binding", "mobility" or "mixed"
// (every third a mobility one). No resource or scenario repeats until the
// catalogue is used up. Throws ptv::UsageError for a bad kind or count.
std::vector<Exercise> make_exercises(uint64_t seed, int count, const std::string& kinds);

std::string render_table();
std::string render_exercises(uint64_t seed, const std::vector<Exercise>& ex, bool answers);
nlohmann::json exercises_json(uint64_t seed, const std::vector<Exercise>& ex, bool answers);
nlohmann::json table_json();

}  // namespace ptv::migration::sim
