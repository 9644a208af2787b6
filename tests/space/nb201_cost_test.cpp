#include "d2a/space/nb201_cost.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "d2a/error.h"

#include "d2a/bench/csv.h"
#include "test_support.h"

namespace d2a {
namespace {

// The proxies file names cells by op-code tuples over edges (0>1, 0>2, 0>3, 1>2, 1>3, 2>3) with
// codes 0 skip, 1 none, 2 conv3x3, 3 conv1x1, 4 pool; it also has the canonical string, which
// the test cross-checks.
TEST(Nb201Cost, MatchesFlopsAndParamsOfTheProxiesTable) {
  const auto path = test::nb201_table("nb201_zero_cost_proxies_cifar10.csv");
  D2A_REQUIRE_FILE(path);
  const CsvTable table = CsvTable::read(path.string());
  ASSERT_EQ(table.num_rows(), 9445u);
  const std::size_t str = table.column("net_str");
  const std::size_t flops = table.column("flops");
  const std::size_t params = table.column("params");
  double worst_flops = 0, worst_params = 0;
  for (std::size_t r = 0; r < table.num_rows(); ++r) {
    const NetworkCost cost = nb201_network_cost(Nb201Cell::parse(table.cell(r, str)));
    const double want_flops = table.number(r, flops) * 1e6;
    const double want_params = table.number(r, params) * 1e6;
    worst_flops = std::max(worst_flops, std::abs(cost.flops - want_flops) / want_flops);
    worst_params = std::max(worst_params, std::abs(cost.params - want_params) / want_params);
  }
  EXPECT_LT(worst_flops, 0.01);
  EXPECT_LT(worst_params, 1e-6);  // parameters match exactly
  std::cout << "[ info ] worst relative error: flops " << worst_flops << ", params "
            << worst_params << std::endl;
}

TEST(Nb201Cost, KnownValuesAndScaling) {
  const NetworkCost empty = nb201_network_cost(Nb201Cell());
  EXPECT_EQ(empty.params, 73306);  // stem, two residual blocks, final BN, classifier
  const NetworkCost conv = nb201_network_cost(
      Nb201Cell::parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|"
                       "nor_conv_3x3~1|nor_conv_3x3~2|"));
  EXPECT_EQ(conv.params, 73306 + 6 * 243040);
  Nb201MacroConfig small;
  small.channels = 8;
  small.cells_per_stage = 1;
  EXPECT_LT(nb201_network_cost(Nb201Cell(), small).flops, empty.flops);
  Nb201MacroConfig bad;
  bad.channels = 0;
  EXPECT_THROW(nb201_network_cost(Nb201Cell(), bad), Error);
}

}  // namespace
}  // namespace d2a
