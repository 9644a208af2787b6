#include "d2a/bench/nb201_table.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "d2a/bench/csv.h"
#include "d2a/bench/nb201_class_lookup.h"
#include "d2a/error.h"
#include "d2a/space/nb201_graph.h"
#include "test_support.h"

namespace d2a {
namespace {

class Nb201TableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto path = test::nb201_table("nb201_test_acc_200ep.csv");
    if (std::filesystem::exists(path)) table_ = new Nb201Table(Nb201Table::load(path.string()));
  }
  static void TearDownTestSuite() { delete table_; }
  void SetUp() override {
    if (table_ == nullptr) GTEST_SKIP() << "shared data not found: nb201_test_acc_200ep.csv";
  }
  static Nb201Table* table_;
};
Nb201Table* Nb201TableTest::table_ = nullptr;

TEST_F(Nb201TableTest, KnownOptimaOfEachDataset) {
  EXPECT_NEAR(table_->accuracy(6111, "cifar10-test"), 94.3733, 1e-3);
  EXPECT_NEAR(table_->accuracy(9930, "cifar100-test"), 73.5133, 1e-3);
  EXPECT_NEAR(table_->accuracy(857, "imagenet16-120-test"), 47.3111, 1e-3);
  const auto& c10 = table_->column("cifar10-test");
  EXPECT_EQ(std::max_element(c10.begin(), c10.end()) - c10.begin(), 6111);
}

TEST_F(Nb201TableTest, StringIndexStringRoundTripForEveryCell) {
  for (const auto& cell : all_nb201_cells()) {
    const int index = table_->index_of(cell);
    ASSERT_GE(index, 0) << cell.str();
    ASSERT_EQ(table_->cell(index), cell);
  }
  EXPECT_EQ(table_->cell(0).str(),
            "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
            "skip_connect~2|");
}

TEST_F(Nb201TableTest, BadMetricAndIndexNameWhatIsValid) {
  try {
    table_->column("cifar10-valid");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cifar10-test"), std::string::npos) << e.what();
  }
  EXPECT_THROW(table_->cell(15625), Error);
  EXPECT_THROW(nb201_metric_name("cifar11"), Error);
  EXPECT_EQ(nb201_metric_name("cifar100", "valid"), "cifar100-valid");
}

TEST_F(Nb201TableTest, RanksWithinEachDataset) {
  EXPECT_EQ(table_->rank(6111, "cifar10-test"), 1);
  EXPECT_EQ(table_->rank(9930, "cifar100-test"), 1);
  EXPECT_EQ(table_->rank(857, "imagenet16-120-test"), 1);
  // Rank = 1 + cells strictly better, so it agrees with a count done here.
  const auto& c100 = table_->column("cifar100-test");
  const float v = c100[0];
  const int better = static_cast<int>(
      std::count_if(c100.begin(), c100.end(), [v](float x) { return x > v; }));
  EXPECT_EQ(table_->rank(0, "cifar100-test"), better + 1);
  EXPECT_GT(better, 0);
  EXPECT_THROW(table_->rank(-1, "cifar10-test"), Error);
}

TEST_F(Nb201TableTest, LooksUpByEquivalenceKey) {
  // The table's own UniqueString column is the key: every index with the same key as index 0
  // must come back, and nothing else.
  const auto csv = CsvTable::read(test::nb201_table("nb201_test_acc_200ep.csv").string());
  const std::size_t key_col = csv.column("UniqueString");
  const std::string key0 = csv.cell(0, key_col);
  std::vector<int> expected;
  for (std::size_t r = 0; r < csv.num_rows(); ++r) {
    if (csv.cell(r, key_col) == key0) expected.push_back(static_cast<int>(r));
  }
  ASSERT_GE(expected.size(), 2u);
  EXPECT_EQ(table_->indices_of_key(key0), expected);
  const int cls = Nb201Equivalence::instance().class_of(table_->cell(0));
  EXPECT_EQ(table_->indices_of_class(cls), expected);
  EXPECT_EQ(nb201_class_of_key(key0), cls);
  // Every cell's class holds its own index, and all classes together hold each index once.
  std::vector<int> seen(kNb201NumCells, 0);
  for (int c = 0; c < Nb201Equivalence::instance().num_classes(); ++c) {
    for (int i : table_->indices_of_class(c)) ++seen[i];
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), kNb201NumCells);
  EXPECT_THROW(table_->indices_of_key("(0)@bogus"), Error);
}

TEST(Nb201Table, TwelveEpochTableAgreesOnTheIndexOrder) {
  const auto path12 = test::nb201_table("nb201_acc_12ep.csv");
  const auto path200 = test::nb201_table("nb201_test_acc_200ep.csv");
  D2A_REQUIRE_FILE(path12);
  D2A_REQUIRE_FILE(path200);
  const Nb201Table t12 = Nb201Table::load(path12.string());
  const Nb201Table t200 = Nb201Table::load(path200.string());
  EXPECT_EQ(t12.kind(), "acc_12ep");
  EXPECT_EQ(t12.metrics().size(), 6u);
  for (int i = 0; i < kNb201NumCells; ++i) ASSERT_EQ(t12.cell(i), t200.cell(i)) << i;
  EXPECT_NEAR(t12.accuracy(1, "cifar10-test"), 88.22, 1e-3);
}

std::string write_file(const std::string& name, const std::string& text) {
  return test::write_scratch_file("nb201_table", name, text);
}

std::string error_of(const std::string& path) {
  try {
    Nb201Table::load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Nb201Table, MalformedFilesNameFileLineAndColumn) {
  const std::string header =
      "CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs,"
      "ArchitectureString,UniqueString\n";
  const std::string good = "90,70,40,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,#+#+#\n";
  std::string msg = error_of(write_file(
      "a.csv",
      header + good + "90,abc,40,|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|,x\n"));
  EXPECT_NE(msg.find("a.csv:3, column 'CIFAR100TestAccuracy200Epochs'"), std::string::npos) << msg;
  msg = error_of(write_file(
      "b.csv", header + "90,70,40,|bogus~0|+|none~0|none~1|+|none~0|none~1|none~2|,x\n"));
  EXPECT_NE(msg.find("b.csv:2, column 'ArchitectureString'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bogus"), std::string::npos) << msg;
  msg = error_of(write_file("c.csv", header + "90,70\n"));
  EXPECT_NE(msg.find("c.csv:2: expected 5 fields, found 2"), std::string::npos) << msg;
  msg = error_of(write_file("d.csv", "x,y\n1,2\n"));
  EXPECT_NE(msg.find("not a NAS-Bench-201 accuracy table"), std::string::npos) << msg;
  msg = error_of(write_file("e.csv", header + good));
  EXPECT_NE(msg.find("1 rows"), std::string::npos) << msg;
  msg = error_of(write_file("f.csv", ""));
  EXPECT_NE(msg.find("empty file"), std::string::npos) << msg;
  msg = error_of((test::scratch_dir("nb201_table_missing") / "nope.csv").string());
  EXPECT_NE(msg.find("nope.csv: cannot open file"), std::string::npos) << msg;
}

}  // namespace
}  // namespace d2a
