#include "d2a/space/nb201_graph.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "d2a/bench/csv.h"
#include "test_support.h"

namespace d2a {
namespace {

TEST(Nb201Graph, LiveEdgesDropWhatCannotReachTheOutput) {
  // Node 1 feeds only node 2, and node 2 reaches the output only through `none`.
  const auto cell = Nb201Cell::parse(
      "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|none~2|");
  const auto live = nb201_live_edges(cell);
  EXPECT_FALSE(live[0]);  // 0->1: node 1 never reaches node 3
  EXPECT_FALSE(live[2]);  // 1->2: node 2 never reaches node 3
  EXPECT_TRUE(live[3]);   // 0->3 skip
  EXPECT_FALSE(nb201_is_disconnected(cell));
  EXPECT_TRUE(nb201_is_disconnected(
      Nb201Cell::parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_1x1~2|")));
}

TEST(Nb201Graph, KeyIgnoresSummandOrderAndSkipConnections) {
  const auto a = Nb201Cell::parse(
      "|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|");
  const auto b = Nb201Cell::parse(
      "|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|");
  EXPECT_EQ(nb201_equivalence_key(a), nb201_equivalence_key(b));
  // Dead branch differs, function is the same.
  const auto c = Nb201Cell::parse(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|");
  EXPECT_EQ(nb201_equivalence_key(a), nb201_equivalence_key(c));
  const auto d = Nb201Cell::parse(
      "|nor_conv_1x1~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|");
  EXPECT_NE(nb201_equivalence_key(a), nb201_equivalence_key(d));
}

// The key must reproduce the benchmark's own isomorphism column exactly, which also proves the
// partition: 6,466 classes, each identical to the table's.
TEST(Nb201Graph, KeyEqualsTheBenchmarkUniqueStringForEveryCell) {
  const auto path = test::nb201_table("nb201_test_acc_200ep.csv");
  D2A_REQUIRE_FILE(path);
  const CsvTable table = CsvTable::read(path.string());
  const std::size_t arch = table.column("ArchitectureString");
  const std::size_t unique = table.column("UniqueString");
  std::set<std::string> keys;
  const auto& eq = Nb201Equivalence::instance();
  std::map<int, std::string> table_key_of_class;
  for (std::size_t r = 0; r < table.num_rows(); ++r) {
    const Nb201Cell cell = Nb201Cell::parse(table.cell(r, arch));
    ASSERT_EQ(nb201_equivalence_key(cell), table.cell(r, unique)) << cell.str();
    keys.insert(table.cell(r, unique));
    // Same class id <=> same table key.
    auto [it, inserted] = table_key_of_class.emplace(eq.class_of(cell), table.cell(r, unique));
    ASSERT_EQ(it->second, table.cell(r, unique));
  }
  EXPECT_EQ(keys.size(), 6466u);
  EXPECT_EQ(eq.num_classes(), 6466);
  EXPECT_EQ(table_key_of_class.size(), 6466u);
}

TEST(Nb201Graph, ClassesAreConsistent) {
  const auto& eq = Nb201Equivalence::instance();
  int total = 0;
  for (int c = 0; c < eq.num_classes(); c += 97) {
    for (const auto& m : eq.members(c)) {
      EXPECT_EQ(eq.class_of(m), c);
      EXPECT_EQ(nb201_equivalence_key(m), eq.key(c));
      ++total;
    }
    EXPECT_EQ(eq.class_of(eq.representative(c)), c);
  }
  EXPECT_GT(total, 0);
}

}  // namespace
}  // namespace d2a
