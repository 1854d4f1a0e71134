// Code mobility exercises (Tanenbaum & van Steen, ch. 3.5):
// - Fig. 3-19 (after Fuggetta et al. 1998): what happens to a process's
//   binding to a local resource when its code moves, by the kind of
//   process-to-resource binding and of resource-to-machine binding;
// - Fig. 3-18: weak vs strong mobility, sender- vs receiver-initiated,
//   migration vs cloning.
// A built-in catalogue of realistic resources and scenarios; a seed draws
// the exercises (`ptv migrate bindings`).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ptv::migration::sim {

enum class Binding { ByIdentifier, ByValue, ByType };   // process-to-resource
enum class Attachment { Unattached, Fastened, Fixed };  // resource-to-machine
enum class Action { MV, GR, CP, RB };

const char* to_string(Binding b);
const char* to_string(Attachment a);
const char* code(Action a);   // "MV"
const char* words(Action a);  // "move the resource"

// Fig. 3-19: the actions for a cell, the usual choice first.
std::vector<Action> actions(Binding b, Attachment a);

struct Resource {
    const char* name;  // "a URL of a specific web site it fetches its news from"
    Binding binding;
    Attachment attachment;
    const char* why_binding;
    const char* why_attachment;
};
const std::vector<Resource>& resource_catalogue();

enum class Mobility { Weak, Strong };
enum class Initiative { Sender, Receiver };
struct Scenario {
    const char* text;
    Mobility mobility;
    Initiative initiative;
    bool cloning;  // strong mobility: clone (the original keeps running) or migrate
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
