// d2a db merge: join shard databases.
#include <filesystem>

#include "d2a/cli/common.h"
#include "d2a/db/merge.h"
#include "d2a/error.h"
#include "d2a/output_lock.h"

namespace d2a::cli {

void add_db_merge(CLI::App* db, Action& action) {
  auto* command = db->add_subcommand(
      "merge", "Join meta-databases (e.g. the shards of one db build) into one file");
  command->footer(
      "Archs are joined by cell, tasks by id, budgets by name. Refuses overlapping inputs (the "
      "same record twice) and inconsistent ones (a task or budget that differs between inputs).");
  auto out = std::make_shared<std::string>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  command->add_option("--out", *out, "Merged database to write (must not exist)")->required();
  command->add_option("inputs", *inputs, "Databases to merge")->required();
  set_action(command, action, [out, inputs](const CommonOptions& options, const std::string&) {
    const OutputLock lock(*out, false, invocation());  // one writer per database
    if (std::filesystem::exists(*out)) {
      throw bad_input(*out + ": exists; db merge writes a new file (remove it or pick another)");
    }
    std::vector<std::pair<std::string, MetaDatabase>> loaded;
    for (const auto& path : *inputs) loaded.emplace_back(path, MetaDatabase::load(path));
    const MetaDatabase merged = merge_databases(loaded);
    merged.save(*out);
    const nlohmann::json result = {{"out", *out},
                                   {"inputs", *inputs},
                                   {"tasks", merged.tasks().size()},
                                   {"archs", merged.archs().size()},
                                   {"records", merged.records().size()}};
    print_result(options, result, [&](std::ostream& o) {
      o << *out << ": " << merged.records().size() << " records, " << merged.tasks().size()
        << " tasks, " << merged.archs().size() << " archs from " << inputs->size() << " inputs\n";
    });
    return 0;
  });
}

}  // namespace d2a::cli
