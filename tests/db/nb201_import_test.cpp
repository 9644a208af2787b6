#include "d2a/db/nb201_import.h"

#include <gtest/gtest.h>

#include <set>

#include "d2a/error.h"
#include "d2a/space/nb201_graph.h"
#include "test_support.h"

namespace d2a {
namespace {

// Three cells with benchmark indices 0, 1, 2 and two metrics.
Nb201Table tiny_table() {
  return Nb201Table("tiny.csv", "test_acc_200ep",
                    {Nb201Cell::from_dense_index(100), Nb201Cell::from_dense_index(5),
                     Nb201Cell::from_dense_index(9000)},
                    {"cifar10-test", "cifar100-test"}, {{90, 80, 70}, {60, 50, 40}});
}

TEST(Nb201Import, BenchmarkNamesAndUse) {
  EXPECT_EQ(nb201_benchmark_name("test_acc_200ep", "cifar10-test"), "nb201-200ep.cifar10-test");
  EXPECT_EQ(nb201_benchmark_name("acc_12ep", "cifar100-valid"), "nb201-12ep.cifar100-valid");
  EXPECT_STREQ(nb201_metric_use("cifar10-test"), kUseEvaluationOnly);
  EXPECT_STREQ(nb201_metric_use("cifar10-valid"), kUseEvaluationOnly);
  EXPECT_STREQ(nb201_metric_use("cifar100-test"), kUseTrainingAllowed);
  EXPECT_STREQ(nb201_metric_use("imagenet16-120-valid"), kUseTrainingAllowed);
}

TEST(Nb201Import, ImportKeepsExistingContentsAndReplacesBenchmarks) {
  MetaDatabase db;
  db.add_arch(Nb201Cell::from_dense_index(9000));  // known cell without an index yet
  db.add_arch(Nb201Cell::from_dense_index(1));     // a cell the table does not list
  db.add_budget({0, "tiny", "{}"});
  DbTask task;
  task.id = "t";
  db.add_task(task);
  db.add_record({0, 1, 50, 1, 0, 0});

  const auto summary = import_nb201_table(db, tiny_table());
  EXPECT_EQ(summary.archs_added, 2);
  ASSERT_EQ(db.archs().size(), 4u);
  EXPECT_EQ(db.archs()[0].bench_index, 2);                          // filled in
  EXPECT_EQ(db.archs()[1].bench_index, -1);                         // untouched
  EXPECT_EQ(db.archs()[2].cell, Nb201Cell::from_dense_index(100));  // new, in index order
  EXPECT_EQ(db.archs()[2].bench_index, 0);
  EXPECT_EQ(db.archs()[3].bench_index, 1);
  EXPECT_EQ(db.records().size(), 1u);
  EXPECT_EQ(db.tasks().size(), 1u);

  const DbBenchmark* c10 = db.find_benchmark("nb201-200ep.cifar10-test");
  ASSERT_NE(c10, nullptr);
  EXPECT_EQ(c10->values, (std::vector<float>{90, 80, 70}));
  EXPECT_EQ(c10->source, "tiny.csv");
  EXPECT_EQ(c10->metric, "cifar10-test");
  EXPECT_EQ(c10->table_kind, "test_acc_200ep");
  EXPECT_EQ(c10->use, kUseEvaluationOnly);
  EXPECT_EQ(db.find_benchmark("nb201-200ep.cifar100-test")->use, kUseTrainingAllowed);

  // Importing again adds nothing new and replaces the benchmarks rather than doubling them.
  EXPECT_EQ(import_nb201_table(db, tiny_table()).archs_added, 0);
  EXPECT_EQ(db.benchmarks().size(), 2u);
}

TEST(Nb201Import, ContradictingBenchmarkIndexIsRejected) {
  MetaDatabase db;
  db.add_arch(Nb201Cell::from_dense_index(5), 7);  // the table says index 1
  EXPECT_THROW(import_nb201_table(db, tiny_table()), Error);
}

TEST(Nb201Import, RealTwoHundredEpochTable) {
  const auto path = test::nb201_table("nb201_test_acc_200ep.csv");
  D2A_REQUIRE_FILE(path);
  const Nb201Table table = Nb201Table::load(path.string());
  MetaDatabase db;
  const auto summary = import_nb201_table(db, table);
  EXPECT_EQ(summary.archs_added, 15625);
  ASSERT_EQ(db.archs().size(), 15625u);
  std::set<int> classes;
  for (int i = 0; i < 15625; ++i) {
    ASSERT_EQ(db.archs()[i].bench_index, i);
    ASSERT_EQ(db.archs()[i].cell, table.cell(i));
    classes.insert(db.archs()[i].equivalence_class);
  }
  EXPECT_EQ(classes.size(), 6466u);
  ASSERT_EQ(summary.benchmarks.size(), 3u);
  const DbBenchmark* c10 = db.find_benchmark("nb201-200ep.cifar10-test");
  ASSERT_NE(c10, nullptr);
  ASSERT_EQ(c10->values.size(), 15625u);
  EXPECT_NEAR(c10->values[6111], 94.3733, 1e-3);
  EXPECT_EQ(c10->use, kUseEvaluationOnly);
  EXPECT_NEAR(db.find_benchmark("nb201-200ep.cifar100-test")->values[9930], 73.5133, 1e-3);

  // The same through a file.
  const auto dir = test::scratch_dir("db_import_real");
  db.save((dir / "nb201.h5").string());
  const MetaDatabase back = MetaDatabase::load((dir / "nb201.h5").string());
  EXPECT_TRUE(back.archs() == db.archs());
  EXPECT_TRUE(back.benchmarks() == db.benchmarks());
}

}  // namespace
}  // namespace d2a
