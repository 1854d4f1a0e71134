// Command-line conventions shared by every ptvlab program (docs/DESIGN.md,
// "Conventions"): CLI11 options, `--help` on every verb, and a parse error
// as one line plus exit status 2.
#pragma once

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

namespace ptv::cli {

// Parses argv; on --help prints help and exits 0; on a mistake prints
// "PROG: what was wrong; see 'PROG ... --help'" and exits 2.
inline void parse_or_exit(CLI::App& app, int argc, char** argv, const std::string& prog) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        std::exit(app.exit(e));
    } catch (const CLI::CallForAllHelp& e) {
        std::exit(app.exit(e));
    } catch (const CLI::ParseError& e) {
        // Name the subcommand the mistake was made in, for the --help hint.
        std::string where = prog;
        for (CLI::App* sub = &app; sub;) {
            auto subs = sub->get_subcommands();
            if (subs.empty()) break;
            sub = subs.front();
            where += " " + sub->get_name();
        }
        std::fprintf(stderr, "%s: %s; see '%s --help'\n", prog.c_str(), e.what(), where.c_str());
        std::exit(2);
    }
}

}  // namespace ptv::cli
