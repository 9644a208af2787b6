#pragma once
// What every subcommand shares: the common flags, the result printer, the registry of actions.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

namespace d2a::cli {

// Flags every subcommand takes (DESIGN.md, "The command line").
struct CommonOptions {
  bool json = false;         // machine-readable result on stdout, logs on stderr
  std::uint64_t seed = 0;    // recorded in every output
  std::string device = "auto";  // cpu | cuda | auto
  int threads = 0;           // 0 = all cores (LibTorch on Debian defaults to one)
};

void add_common_options(CLI::App* command, CommonOptions& options);

// The help of --data: what an image source may be; `several` for the commands that take more
// than one (db build, features train).
std::string data_help(bool several);

// A check for a real-valued flag that must be above 0 (a learning rate): "must be a number above
// 0 (got X)". CLI::PositiveNumber would print its range up to the largest double.
const CLI::Validator& positive_real();

// Validates --device/--threads and applies them to LibTorch. Throws d2a::Error (bad input) for
// --device cuda on a machine without a GPU. Returns the device that will be used ("cpu"/"cuda").
std::string apply_common_options(const CommonOptions& options);

// The one line main() prints for a command line CLI11 refused: an unknown command names the
// commands there are ("d2a: unknown command 'trian' (commands: space, lookup, ...)"), a missing
// one too ("d2a db: a command is required: import-benchmark, info, build, merge"); anything
// else is CLI11's message. Ends with " (see --help)".
std::string parse_error_line(const CLI::App& app, int argc, char** argv, const std::string& what);

// The command line this process was started with (main records it), for lock files and logs.
void set_invocation(int argc, char** argv);
const std::string& invocation();
// The program as it was started (argv[0]: "build/d2a", "d2a"), for commands printed to paste.
const std::string& program_name();

// The command, ready to paste, that trains `arch` (a cell or genotype) on `data` and tests it
// on held-out images: `--budget cpu-user` on a CPU, the default budget with `--device cuda`.
std::string train_command(const std::string& data, const std::string& arch,
                          const std::string& device);

// Prints a result: the JSON object on stdout with --json, otherwise the human text.
void print_result(const CommonOptions& options, const nlohmann::json& result,
                  const std::function<void(std::ostream&)>& human);

// The action a parsed subcommand will run; it returns the process exit status.
using Action = std::function<int()>;

// Declares `command`'s common flags and makes `body` its action, run after the common flags
// have been validated and applied (so no subcommand can forget --threads or --device). The
// options object lives as long as the action; `body` receives it and the resolved device.
using Body = std::function<int(const CommonOptions& options, const std::string& device)>;
std::shared_ptr<CommonOptions> set_action(CLI::App* command, Action& action, Body body);

// One registration function per subcommand file in src/cli/.
void add_space_command(CLI::App& app, Action& action);
void add_lookup_command(CLI::App& app, Action& action);
void add_db_command(CLI::App& app, Action& action);
void add_train_command(CLI::App& app, Action& action);
void add_features_command(CLI::App& app, Action& action);
void add_meta_train_command(CLI::App& app, Action& action);
void add_suggest_command(CLI::App& app, Action& action);
void add_search_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);
// Sub-subcommands of `db` that live in files of their own.
void add_db_build(CLI::App* db, Action& action);
void add_db_merge(CLI::App* db, Action& action);

}  // namespace d2a::cli
