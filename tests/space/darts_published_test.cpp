#include "d2a/space/darts_published.h"

#include <gtest/gtest.h>

namespace d2a {
namespace {

TEST(DartsPublished, NamesGiveThePapersGenotypes) {
  EXPECT_EQ(published_darts_genotype_names(), (std::vector<std::string>{"DARTS_V2", "PC_DARTS"}));
  const auto v2 = find_published_darts_genotype("DARTS_V2");
  ASSERT_TRUE(v2.has_value());
  // DARTS_V2: six sep_conv_3x3 / skip / one dil_conv_3x3 in the normal cell, only max pools and
  // skips in the reduction cell.
  int sep = 0;
  for (const auto& e : v2->normal().edges) sep += e.op == DartsOp::kSepConv3x3;
  EXPECT_EQ(sep, 5);
  EXPECT_EQ(v2->normal().edges[7], (DartsGenotypeEdge{DartsOp::kDilConv3x3, 2}));
  for (const auto& e : v2->reduce().edges) {
    EXPECT_TRUE(e.op == DartsOp::kMaxPool3x3 || e.op == DartsOp::kSkipConnect);
  }
  EXPECT_EQ(v2->reduce().concat, (std::vector<int>{2, 3, 4, 5}));

  const auto pc = find_published_darts_genotype("PC_DARTS");
  ASSERT_TRUE(pc.has_value());
  EXPECT_EQ(pc->normal().edges[6], (DartsGenotypeEdge{DartsOp::kAvgPool3x3, 0}));
  EXPECT_EQ(pc->reduce().edges[1], (DartsGenotypeEdge{DartsOp::kMaxPool3x3, 0}));
  EXPECT_EQ(pc->normal().concat, (std::vector<int>{2, 3, 4, 5}));
  EXPECT_NE(*pc, *v2);
}

TEST(DartsPublished, UnknownNamesGiveNothing) {
  EXPECT_FALSE(find_published_darts_genotype("darts_v2").has_value());
  EXPECT_FALSE(find_published_darts_genotype("").has_value());
  EXPECT_FALSE(find_published_darts_genotype("DARTS_V1").has_value());
}

}  // namespace
}  // namespace d2a
