#include "d2a/bench/nb201_score_table.h"

#include <gtest/gtest.h>

#include <cmath>

#include "d2a/bench/nb201_table.h"
#include "d2a/error.h"
#include "d2a/space/nb201_graph.h"
#include "test_support.h"

namespace d2a {
namespace {

const char* const kIndexZero =
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
    "skip_connect~2|";

TEST(Nb201ScoreTable, LatencyFileIsInBenchmarkOrderWithMissingEdgeTpu) {
  const auto path = test::nb201_table("nb201_hw_latency_cifar10.csv");
  D2A_REQUIRE_FILE(path);
  const Nb201ScoreTable table = Nb201ScoreTable::load(path.string());
  EXPECT_EQ(table.kind(), "hw_latency_cifar10");
  EXPECT_TRUE(table.in_benchmark_order());
  ASSERT_EQ(table.size(), kNb201NumCells);
  EXPECT_EQ(table.columns().size(), 10u);
  EXPECT_EQ(table.cell(0).str(), kIndexZero);
  EXPECT_NEAR(table.value_at_index(0, "edgegpu_latency"), 5.807418537139893, 1e-12);
  EXPECT_NEAR(table.value(table.cell(1), "fpga_energy"), 37.20752, 1e-9);
  // edgetpu writes -1 for "not measured": 4,699 rows in this file, none of them kept as -1.
  const auto& tpu = table.column("edgetpu_latency");
  EXPECT_EQ(std::count_if(tpu.begin(), tpu.end(), [](double v) { return std::isnan(v); }), 4699);
  EXPECT_EQ(std::count(tpu.begin(), tpu.end(), -1.0), 0);
  EXPECT_NEAR(table.value(0, "edgetpu_latency"), 0.9571811309997429, 1e-12);
  EXPECT_THROW(table.value_at_index(kNb201NumCells, "fpga_energy"), Error);
}

TEST(Nb201ScoreTable, ProxiesFileCoversPartOfTheSpace) {
  const auto path = test::nb201_table("nb201_zero_cost_proxies_cifar10.csv");
  const auto acc = test::nb201_table("nb201_test_acc_200ep.csv");
  D2A_REQUIRE_FILE(path);
  D2A_REQUIRE_FILE(acc);
  // Loading checks that `net` and `net_str` name the same cell on every row.
  const Nb201ScoreTable table = Nb201ScoreTable::load(path.string());
  EXPECT_EQ(table.kind(), "zero_cost_proxies_cifar10");
  EXPECT_FALSE(table.in_benchmark_order());
  EXPECT_EQ(table.size(), 9445);
  EXPECT_EQ(table.cell(0).str(),
            "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|"
            "nor_conv_1x1~2|");
  EXPECT_NEAR(table.value(0, "nwot"), 754.6843327648469, 1e-9);
  EXPECT_NEAR(table.value(table.cell(0), "flops"), 19.248832, 1e-9);
  EXPECT_THROW(table.value_at_index(0, "nwot"), Error);

  const Nb201Table benchmark = Nb201Table::load(acc.string());
  int absent = 0;
  for (const Nb201Cell& cell : all_nb201_cells()) absent += !table.contains(cell);
  EXPECT_EQ(absent, kNb201NumCells - 9445);
  Nb201Cell missing;
  for (const Nb201Cell& cell : all_nb201_cells()) {
    if (!table.contains(cell)) missing = cell;
  }
  try {
    table.value(missing, "nwot");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("9445 of the 15625"), std::string::npos) << e.what();
  }
  try {
    table.column("naswot");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("synflow"), std::string::npos) << e.what();
  }
}

TEST(Nb201ScoreTable, LooksUpByEquivalenceClass) {
  // A tiny table holding two members of one class (out of order) and one cell of another class.
  const auto& eq = Nb201Equivalence::instance();
  const Nb201Cell a = Nb201Cell::parse(kIndexZero);
  const int cls = eq.class_of(a);
  const std::vector<Nb201Cell> members = eq.members(cls);
  ASSERT_GE(members.size(), 2u);
  Nb201Cell outsider = eq.representative(cls == 0 ? 1 : 0);
  const Nb201ScoreTable table("tiny", "test", {outsider, members[1], members[0]}, false, {"s"},
                              {{1.0, 2.0, 3.0}});
  EXPECT_EQ(table.rows_of_class(cls), (std::vector<int>{1, 2}));
  EXPECT_EQ(table.rows_of_key(nb201_equivalence_key(a)), (std::vector<int>{1, 2}));
  EXPECT_EQ(table.rows_of_class(eq.class_of(outsider)), (std::vector<int>{0}));
  EXPECT_THROW(table.rows_of_key("no such key"), Error);
  EXPECT_THROW(table.rows_of_class(eq.num_classes()), Error);
  EXPECT_THROW(Nb201ScoreTable("dup", "test", {a, a}, false, {"s"}, {{1.0, 2.0}}), Error);
}

std::string write_file(const std::string& name, const std::string& text) {
  return test::write_scratch_file("nb201_score_table_" + name, name, text);
}

std::string error_of(const std::string& path) {
  try {
    Nb201ScoreTable::load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Nb201ScoreTable, MalformedFilesNameFileLineAndColumn) {
  const std::string header =
      "net,net_str,epe_nas,fisher,flops,grad_norm,grasp,jacov,l2_norm,nwot,params,plain,snip,"
      "synflow,zen\n";
  const std::string str0 = kIndexZero;
  const std::string nums = ",1,2,3,4,5,6,7,8,9,10,11,12,13\n";
  std::string msg = error_of(write_file("a.csv", header + "\"(4, 3, 9, 0, 0, 0)\"," + str0 + nums));
  EXPECT_NE(msg.find("a.csv:2, column 'net'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(4, 3, 9, 0, 0, 0)"), std::string::npos) << msg;
  msg = error_of(write_file("b.csv", header + "\"(4, 3, 3, 0, 0, 1)\"," + str0 + nums));
  EXPECT_NE(msg.find("b.csv:2, column 'net_str'"), std::string::npos) << msg;
  msg = error_of(write_file("c.csv", header + "\"(4, 3, 3, 0, 0, 0)\"," + str0 +
                                         ",1,2,3,4,5,6,7,x,9,10,11,12,13\n"));
  EXPECT_NE(msg.find("c.csv:2, column 'nwot'"), std::string::npos) << msg;
  msg = error_of(write_file("d.csv", header + "\"(4, 3, 3, 0, 0, 0)\"," + str0 + nums +
                                         "\"(4, 3, 3, 0, 0, 0)\"," + str0 + nums));
  EXPECT_NE(msg.find("d.csv:3, column 'net'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("listed twice"), std::string::npos) << msg;
  msg = error_of(write_file("e.csv", "net,edgegpu_latency\n\"(4, 3, 3, 0, 0, 0)\",1\n"));
  EXPECT_NE(msg.find("e.csv: no column"), std::string::npos) << msg;
  msg = error_of(write_file("f.csv", "a,b\n1,2\n"));
  EXPECT_NE(msg.find("not a NAS-Bench-201 score table"), std::string::npos) << msg;
  // A latency file must list every cell, since its row number is the benchmark index.
  msg = error_of(write_file(
      "g.csv",
      "net,edgegpu_latency,edgegpu_energy,raspi4_latency,edgetpu_latency,pixel3_latency,"
      "eyeriss_latency,eyeriss_energy,eyeriss_arithmetic_intensity,fpga_latency,fpga_energy\n"
      "\"(4, 3, 3, 0, 0, 0)\",1,2,3,-1,5,6,7,8,9,10\n"));
  EXPECT_NE(msg.find("1 rows"), std::string::npos) << msg;
  // A valid one-row proxies file loads, and its values are the ones written.
  const Nb201ScoreTable ok =
      Nb201ScoreTable::load(write_file("h.csv", header + "\"(4, 3, 3, 0, 0, 0)\"," + str0 + nums));
  EXPECT_EQ(ok.value(Nb201Cell::parse(kIndexZero), "zen"), 13.0);
}

}  // namespace
}  // namespace d2a
