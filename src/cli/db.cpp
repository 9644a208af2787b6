// d2a db ...: the meta-database commands. Each sub-subcommand is one add_db_<name> function,
// registered in add_db_command; `db build` and `db merge` live in db_build.cpp / db_merge.cpp.
#include <filesystem>
#include <map>

#include "d2a/bench/nb201_table.h"
#include "d2a/cli/common.h"
#include "d2a/db/meta_database.h"
#include "d2a/db/nb201_import.h"
#include "d2a/words.h"

namespace d2a::cli {
namespace {

void add_db_import_benchmark(CLI::App* db, Action& action) {
  auto* command = db->add_subcommand("import-benchmark",
                                     "Import a NAS-Bench-201 accuracy table into a meta-database");
  command->footer(
      "Every cell of the table becomes an arch (benchmark index, op codes, equivalence class) "
      "and every metric a benchmark named <table>.<metric> (e.g. nb201-200ep.cifar10-test) with "
      "its source file. If --out already exists the table is imported into it: a benchmark of "
      "the same name is replaced, everything else is kept, and the file is rewritten "
      "atomically. CIFAR-10 metrics are marked use=evaluation-only: nothing may train on them.");
  auto table_path = std::make_shared<std::string>();
  auto out_path = std::make_shared<std::string>();
  command
      ->add_option("--nb201", *table_path,
                   "NAS-Bench-201 table: nb201_test_acc_200ep.csv or nb201_acc_12ep.csv")
      ->required();
  command->add_option("--out", *out_path, "Meta-database to write or update (.h5)")->required();
  set_action(command, action,
             [table_path, out_path](const CommonOptions& options, const std::string&) {
               const Nb201Table table = Nb201Table::load(*table_path);
               const bool existed = std::filesystem::exists(*out_path);
               MetaDatabase database = existed ? MetaDatabase::load(*out_path) : MetaDatabase();
               const Nb201ImportSummary summary = import_nb201_table(database, table);
               database.save(*out_path);

               nlohmann::json benchmarks = nlohmann::json::array();
               for (const auto& name : summary.benchmarks) {
                 const DbBenchmark& b = *database.find_benchmark(name);
                 benchmarks.push_back({{"name", b.name},
                                       {"metric", b.metric},
                                       {"use", b.use},
                                       {"values", b.values.size()}});
               }
               const nlohmann::json result = {{"out", *out_path},
                                              {"updated_existing", existed},
                                              {"source", table.source()},
                                              {"table_kind", table.kind()},
                                              {"archs", database.archs().size()},
                                              {"archs_added", summary.archs_added},
                                              {"benchmarks", benchmarks}};
               print_result(options, result, [&](std::ostream& out) {
                 out << (existed ? "Updated " : "Wrote ") << *out_path << " from " << table.source()
                     << "\n"
                     << "  archs:      " << database.archs().size() << " (" << summary.archs_added
                     << " new)\n";
                 for (const auto& b : benchmarks) {
                   out << "  benchmark:  " << b["name"].get<std::string>() << " ("
                       << b["use"].get<std::string>() << ")\n";
                 }
               });
               return 0;
             });
}

nlohmann::json describe(const std::string& path, const MetaDatabase& database) {
  const auto counts = database.record_counts_by_budget();
  nlohmann::json budgets = nlohmann::json::array();
  for (const auto& b : database.budgets()) {
    const auto it = counts.find(b.id);
    budgets.push_back({{"id", b.id},
                       {"name", b.name},
                       {"epochs", b.epochs},
                       {"channels", b.channels},
                       {"cells", b.cells},
                       {"lr", b.lr},
                       {"batch_size", b.batch_size},
                       {"image_size", b.image_size},
                       {"images_per_class", b.images_per_class},
                       {"records", it == counts.end() ? 0 : it->second}});
  }
  std::map<std::string, int> sources;
  for (const auto& t : database.tasks()) ++sources[t.source];
  nlohmann::json benchmarks = nlohmann::json::array();
  for (const auto& b : database.benchmarks()) {
    benchmarks.push_back({{"name", b.name},
                          {"source", b.source},
                          {"table_kind", b.table_kind},
                          {"metric", b.metric},
                          {"use", b.use},
                          {"values", b.values.size()}});
  }
  int with_index = 0;
  for (const auto& a : database.archs()) with_index += a.bench_index >= 0;
  return {{"path", path},
          {"schema_version", database.meta().schema_version},
          {"created_by", database.meta().created_by},
          {"counts",
           {{"archs", database.archs().size()},
            {"tasks", database.tasks().size()},
            {"records", database.records().size()},
            {"budgets", database.budgets().size()},
            {"benchmarks", database.benchmarks().size()}}},
          {"archs_with_bench_index", with_index},
          {"equivalence_classes_with_records", database.equivalence_classes_with_records().size()},
          {"budgets", budgets},
          {"task_sources", sources},
          {"benchmarks", benchmarks}};
}

void print_description(std::ostream& out, const nlohmann::json& d) {
  const auto& c = d["counts"];
  out << d["path"].get<std::string>() << ": d2a meta-database, schema "
      << d["schema_version"].get<int>() << ", created by " << d["created_by"].get<std::string>()
      << "\n"
      << "  archs:       " << c["archs"] << " (" << d["archs_with_bench_index"]
      << " with a benchmark index)\n"
      << "  tasks:       " << c["tasks"] << "\n"
      << "  records:     " << c["records"] << " over " << d["equivalence_classes_with_records"]
      << " distinct equivalence classes\n"
      << "  budgets:     " << c["budgets"] << "\n"
      << "  benchmarks:  " << c["benchmarks"] << "\n";
  for (const auto& b : d["budgets"]) {
    out << "  budget " << b["id"] << " " << b["name"].get<std::string>() << ": " << b["records"]
        << " records (" << count_of(b["epochs"].get<std::int64_t>(), "epoch")
        << ", C=" << b["channels"] << ", N=" << b["cells"] << ")\n";
  }
  for (const auto& [source, n] : d["task_sources"].items()) {
    out << "  task source " << source << ": " << n << " tasks\n";
  }
  for (const auto& b : d["benchmarks"]) {
    out << "  benchmark " << b["name"].get<std::string>() << ": " << b["values"] << " values from "
        << b["source"].get<std::string>() << " (" << b["use"].get<std::string>() << ")\n";
  }
}

void add_db_info(CLI::App* db, Action& action) {
  auto* command = db->add_subcommand(
      "info", "Describe a meta-database: schema, counts, budgets, task sources, benchmarks");
  auto path = std::make_shared<std::string>();
  command->add_option("database", *path, "Meta-database file (.h5)")->required();
  set_action(command, action, [path](const CommonOptions& options, const std::string&) {
    const nlohmann::json result = describe(*path, MetaDatabase::load(*path));
    print_result(options, result, [&](std::ostream& out) { print_description(out, result); });
    return 0;
  });
}

}  // namespace

void add_db_command(CLI::App& app, Action& action) {
  auto* db = app.add_subcommand("db", "Build, inspect and import into meta-databases (HDF5)");
  db->require_subcommand(1);
  add_db_import_benchmark(db, action);
  add_db_info(db, action);
  add_db_build(db, action);
  add_db_merge(db, action);
}

}  // namespace d2a::cli
