// The `d2a db` subcommands, run as the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_support.h"
#include "d2a/db/meta_database.h"
#include "d2a/space/nb201.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;

using test::count_lines;
using test::run_d2a;

// A complete table in the 12-epoch layout with made-up accuracies (cell i in dense order has
// benchmark index i), so the CLI can be tested without the shared data.
fs::path write_fake_12ep_table(const fs::path& dir) {
  const auto path = dir / "fake_12ep.csv";
  std::ofstream csv(path);
  csv << "arch,cellstr,cifar10-test,cifar10-val,cifar100-test,cifar100-val,imagenet-test,"
         "imagenet-val\n";
  for (int i = 0; i < kNb201NumCells; ++i) {
    csv << i << "," << Nb201Cell::from_dense_index(i).str();
    for (int m = 0; m < 6; ++m) csv << "," << (i % 90) + m;
    csv << "\n";
  }
  return path;
}

TEST(DbCommand, ImportIntoNewFileThenInfoAsJson) {
  const auto dir = test::scratch_dir("cli_db_import");
  const auto table = write_fake_12ep_table(dir);
  const auto db = dir / "DB.h5";
  const test::CommandResult import = run_d2a(
      {"db", "import-benchmark", "--nb201", table.string(), "--out", db.string(), "--json"});
  ASSERT_EQ(import.status, 0) << import.err;
  const auto imported = nlohmann::json::parse(import.out);
  EXPECT_EQ(imported["archs"], 15625);
  EXPECT_EQ(imported["archs_added"], 15625);
  EXPECT_EQ(imported["updated_existing"], false);
  EXPECT_EQ(imported["benchmarks"].size(), 6u);

  const test::CommandResult info = run_d2a({"db", "info", db.string(), "--json"});
  ASSERT_EQ(info.status, 0) << info.err;
  const auto described = nlohmann::json::parse(info.out);
  EXPECT_EQ(described["schema_version"], kMetaDatabaseSchema);
  EXPECT_EQ(described["counts"]["archs"], 15625);
  EXPECT_EQ(described["counts"]["records"], 0);
  EXPECT_EQ(described["counts"]["benchmarks"], 6);
  EXPECT_EQ(described["archs_with_bench_index"], 15625);
  EXPECT_EQ(described["equivalence_classes_with_records"], 0);
  std::map<std::string, std::string> use;
  for (const auto& b : described["benchmarks"]) {
    use[b["name"]] = b["use"];
    EXPECT_EQ(b["values"], 15625);
    EXPECT_EQ(b["source"], table.string());
  }
  EXPECT_EQ(use.at("nb201-12ep.cifar10-valid"), kUseEvaluationOnly);
  EXPECT_EQ(use.at("nb201-12ep.imagenet16-120-test"), kUseTrainingAllowed);

  // The values landed by benchmark index.
  const MetaDatabase back = MetaDatabase::load(db.string());
  EXPECT_EQ(back.find_benchmark("nb201-12ep.cifar100-test")->values[200], 200 % 90 + 2);
}

TEST(DbCommand, ImportIntoAnExistingDatabaseKeepsItsContents) {
  const auto dir = test::scratch_dir("cli_db_reimport");
  const auto db = dir / "DB.h5";
  MetaDatabase existing;
  existing.add_arch(Nb201Cell::from_dense_index(3));
  existing.add_budget({0, "tiny", "{}"});
  DbTask task;
  task.id = "t0";
  task.source = "somewhere";
  existing.add_task(task);
  existing.add_record({0, 0, 42, 1, 0, 0});
  existing.save(db.string());

  const auto table = write_fake_12ep_table(dir);
  const test::CommandResult import =
      run_d2a({"db", "import-benchmark", "--nb201", table.string(), "--out", db.string()});
  ASSERT_EQ(import.status, 0) << import.err;
  EXPECT_NE(import.out.find("Updated"), std::string::npos) << import.out;

  const MetaDatabase back = MetaDatabase::load(db.string());
  EXPECT_EQ(back.archs().size(), 15625u);
  EXPECT_EQ(back.archs()[0].cell, Nb201Cell::from_dense_index(3));
  EXPECT_EQ(back.archs()[0].bench_index, 3);
  ASSERT_EQ(back.records().size(), 1u);
  EXPECT_EQ(back.records()[0].accuracy, 42);
  EXPECT_EQ(back.tasks().at(0).source, "somewhere");

  const test::CommandResult info = run_d2a({"db", "info", db.string()});
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("budget 0 tiny: 1 records"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("task source somewhere: 1 tasks"), std::string::npos) << info.out;
}

TEST(DbCommand, InfoOnABadFileExitsTwoWithOneLine) {
  const auto dir = test::scratch_dir("cli_db_bad");
  const auto bad = dir / "bad.h5";
  std::ofstream(bad) << "not hdf5 at all\n";
  for (const auto& path : {bad, dir / "missing.h5"}) {
    const test::CommandResult info = run_d2a({"db", "info", path.string(), "--json"});
    EXPECT_EQ(info.status, 2) << info.err;
    EXPECT_EQ(count_lines(info.err), 1) << info.err;
    EXPECT_NE(info.err.find(path.string()), std::string::npos) << info.err;
    EXPECT_TRUE(info.out.empty()) << info.out;
  }
}

TEST(DbCommand, ImportOfABadTableExitsTwoAndWritesNothing) {
  const auto dir = test::scratch_dir("cli_db_bad_table");
  std::ofstream(dir / "table.csv") << "a,b\n1,2\n";
  const test::CommandResult import =
      run_d2a({"db", "import-benchmark", "--nb201", (dir / "table.csv").string(), "--out",
               (dir / "DB.h5").string()});
  EXPECT_EQ(import.status, 2);
  EXPECT_EQ(count_lines(import.err), 1) << import.err;
  EXPECT_FALSE(fs::exists(dir / "DB.h5"));
}

// A missing or misspelt command is one line that names the commands there are.
TEST(DbCommand, DbNeedsASubcommand) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"db"}, "d2a db: a command is required: import-benchmark, info, build, merge (see --help)"},
      {{"db", "biuld", "--out", "x.h5"},
       "d2a db: unknown command 'biuld' (commands: import-benchmark, info, build, merge; see "
       "--help)"},
      {{"trian", "--data", "digits"},
       "d2a: unknown command 'trian' (commands: space, lookup, db, "},
      {{}, "d2a: a command is required: space, lookup, db, train, "},
      {{"--bogus"}, "d2a: a command is required: space, "},
  };
  for (const auto& [args, expect] : cases) {
    const auto r = run_d2a(args, "cli_db_bare");
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind(expect, 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace d2a
