#include "d2a/bench/nb201_net_tuple.h"

#include <gtest/gtest.h>

#include "d2a/bench/csv.h"
#include "d2a/bench/nb201_table.h"
#include "d2a/error.h"
#include "test_support.h"

namespace d2a {
namespace {

std::string error_of(std::string_view text) {
  try {
    nb201_cell_from_net_tuple(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Nb201NetTuple, IndexZeroOfTheBenchmark) {
  const Nb201Cell cell = nb201_cell_from_net_tuple("(4, 3, 3, 0, 0, 0)");
  EXPECT_EQ(cell.str(),
            "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
            "skip_connect~2|");
  EXPECT_EQ(nb201_net_tuple(cell), "(4, 3, 3, 0, 0, 0)");
}

TEST(Nb201NetTuple, EdgeOrderDiffersFromTheCellString) {
  // Tuple position 2 is edge 0->3 and position 3 is edge 1->2: in the cell string they are the
  // 4th and 3rd edges. A decoder that kept the position order would swap them.
  const Nb201Cell cell = nb201_cell_from_net_tuple("(1, 1, 2, 4, 1, 1)");
  EXPECT_EQ(cell.str(), "|none~0|+|none~0|avg_pool_3x3~1|+|nor_conv_3x3~0|none~1|none~2|");
  EXPECT_EQ(nb201_cell_from_net_tuple("(4,0,3,1,4,3)").str(),
            "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|"
            "nor_conv_1x1~2|");
}

TEST(Nb201NetTuple, RoundTripsEveryCell) {
  for (const Nb201Cell& cell : all_nb201_cells()) {
    ASSERT_EQ(nb201_cell_from_net_tuple(nb201_net_tuple(cell)), cell) << cell.str();
  }
}

TEST(Nb201NetTuple, BadTuplesQuoteTheText) {
  for (const char* bad : {"4, 3, 3, 0, 0, 0", "(4, 3, 3, 0, 0)", "(4, 3, 3, 0, 0, 0, 1)",
                          "(4, 3, 5, 0, 0, 0)", "(4, 3, x, 0, 0, 0)", "(4, 3, , 0, 0, 0)", "()"}) {
    const std::string msg = error_of(bad);
    EXPECT_NE(msg.find(std::string("'") + bad + "'"), std::string::npos) << bad << " -> " << msg;
  }
  EXPECT_NE(error_of("(4, 3, 5, 0, 0, 0)").find("code 3 is '5'"), std::string::npos);
  EXPECT_NE(error_of("(4, 3, 3, 0, 0)").find("only 5 codes"), std::string::npos);
}

TEST(Nb201NetTuple, LatencyFileRowIIsBenchmarkIndexI) {
  const auto latency = test::nb201_table("nb201_hw_latency_cifar10.csv");
  const auto acc = test::nb201_table("nb201_test_acc_200ep.csv");
  D2A_REQUIRE_FILE(latency);
  D2A_REQUIRE_FILE(acc);
  const CsvTable csv = CsvTable::read(latency.string());
  const Nb201Table table = Nb201Table::load(acc.string());
  ASSERT_EQ(csv.num_rows(), static_cast<std::size_t>(kNb201NumCells));
  const std::size_t net = csv.column("net");
  for (int i = 0; i < kNb201NumCells; ++i) {
    ASSERT_EQ(nb201_cell_from_net_tuple(csv.cell(i, net)), table.cell(i)) << "row " << i;
    ASSERT_EQ(nb201_net_tuple(table.cell(i)), csv.cell(i, net)) << "row " << i;
  }
}

}  // namespace
}  // namespace d2a
