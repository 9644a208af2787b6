// d2a's entry point: declare the subcommands, parse, validate, dispatch. Nothing else lives here.
#include <iostream>

#include "d2a/cli/common.h"
#include "d2a/error.h"
#include "d2a/train/allocator.h"
#include "d2a/train/tensor_memory.h"
#include "d2a/version.h"

int main(int argc, char** argv) {
  d2a::keep_freed_memory_for_reuse();  // training steps reuse their memory (see allocator.h)
  d2a::count_cpu_tensor_memory();       // peak tensor memory in search reports
  CLI::App app{
      "d2a: suggests a neural-network cell for a new image dataset in seconds (MetaD2A), "
      "builds the meta-databases it learns from, and falls back to differentiable search."};
  app.set_version_flag("--version", std::string("d2a ") + d2a::kVersion);
  app.require_subcommand(1);

  d2a::cli::set_invocation(argc, argv);
  d2a::cli::Action action;
  d2a::cli::add_space_command(app, action);
  d2a::cli::add_lookup_command(app, action);
  d2a::cli::add_db_command(app, action);
  d2a::cli::add_train_command(app, action);
  d2a::cli::add_features_command(app, action);
  d2a::cli::add_meta_train_command(app, action);
  d2a::cli::add_suggest_command(app, action);
  d2a::cli::add_search_command(app, action);
  d2a::cli::add_report_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << d2a::cli::parse_error_line(app, argc, argv, e.what()) << std::endl;
    return 2;
  }

  try {
    return action ? action() : 2;
  } catch (const d2a::Error& e) {
    std::cerr << "d2a: " << e.what() << std::endl;
    return e.exit_status();
  } catch (const std::bad_alloc&) {
    std::cerr << "d2a: out of memory" << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "d2a: " << e.what() << std::endl;
    return 1;
  }
}
