#include "d2a/meta/suggest.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <set>

#include "d2a/error.h"
#include "d2a/space/nb201_graph.h"
#include "tiny_meta_model.h"

namespace d2a {
namespace {

// K classes x per_class images of side 8, each pixel a function of its image index.
ImageSet tiny_pool(int classes, int per_class) {
  ImageSet set;
  set.channels = 3;
  set.height = set.width = 8;
  set.source = "tiny";
  for (int c = 0; c < classes; ++c) set.class_names.push_back("c" + std::to_string(c));
  for (int c = 0; c < classes; ++c) {
    for (int i = 0; i < per_class; ++i) {
      set.labels.push_back(c);
      for (std::size_t p = 0; p < set.image_bytes(); ++p) {
        set.pixels.push_back(static_cast<std::uint8_t>((c * 53 + i * 17 + p * 7) % 256));
      }
    }
  }
  return set;
}

TEST(DrawDatasetIndices, DrawsNDistinctImagesOfEveryClassPerDrawSeeded) {
  const ImageSet pool = tiny_pool(3, 6);
  const auto draws = draw_dataset_indices(pool, 4, 5, 11);
  ASSERT_EQ(draws.size(), 4u);
  for (const auto& draw : draws) {
    ASSERT_EQ(draw.size(), 15u);
    for (int c = 0; c < 3; ++c) {
      std::set<std::size_t> distinct;
      for (int i = 0; i < 5; ++i) {
        const std::size_t index = draw[c * 5 + i];
        EXPECT_EQ(pool.labels.at(index), c);
        distinct.insert(index);
      }
      EXPECT_EQ(distinct.size(), 5u);
    }
  }
  EXPECT_NE(draws[0], draws[1]);
  EXPECT_EQ(draws, draw_dataset_indices(pool, 4, 5, 11));
  EXPECT_THROW(draw_dataset_indices(pool, 1, 7, 11), Error);
}

TEST(SuggestCells, WholeSpaceScoresEveryCellAndRanksEachConnectedClassOnceByItsBestMember) {
  const MetaModel model = test::tiny_meta_model();
  SuggestOptions options;
  options.whole_space = true;
  options.draws = 2;
  const SuggestResult result = suggest_cells(model, tiny_pool(3, 6), options);
  EXPECT_EQ(result.candidates, kNb201NumCells);
  ASSERT_EQ(result.scored.size(), static_cast<std::size_t>(kNb201NumCells));
  EXPECT_EQ(result.images_per_class, 5);

  const auto& eq = Nb201Equivalence::instance();
  std::map<int, double> best;  // class -> best score among connected members
  for (const ScoredCell& s : result.scored) {
    if (nb201_is_disconnected(s.cell)) continue;
    auto [it, inserted] = best.emplace(eq.class_of(s.cell), s.score);
    if (!inserted) it->second = std::max(it->second, s.score);
  }
  ASSERT_EQ(result.ranked.size(), best.size());
  for (std::size_t i = 0; i < result.ranked.size(); ++i) {
    const ScoredCell& s = result.ranked[i];
    EXPECT_FALSE(s.disconnected);
    EXPECT_EQ(s.score, best.at(s.equivalence_class));
    if (i > 0) EXPECT_GE(result.ranked[i - 1].score, s.score);
    EXPECT_NEAR(s.predicted_accuracy, s.score * 10 + 70, 1e-9);
  }
}

TEST(SuggestCells, ScoresDoNotDependOnHowManyCellsAreScoredTogether) {
  // Batching must not change a cell's score: whole-space and generated runs agree per cell.
  const MetaModel model = test::tiny_meta_model();
  const ImageSet pool = tiny_pool(3, 6);
  SuggestOptions options;
  options.draws = 2;
  options.samples = 40;
  const SuggestResult sampled = suggest_cells(model, pool, options);
  options.whole_space = true;
  const SuggestResult all = suggest_cells(model, pool, options);
  ASSERT_FALSE(sampled.scored.empty());
  for (const ScoredCell& s : sampled.scored) {
    EXPECT_NEAR(s.score, all.scored[s.cell.dense_index()].score, 1e-5) << s.cell.str();
  }
}

TEST(SuggestCells, WithAPriorRanksByPriorPlusWeightedResidualAndEstimatesWithTheFullResidual) {
  const MetaModel model = test::tiny_meta_model(3, /*prior=*/true);
  SuggestOptions options;
  options.whole_space = true;
  options.draws = 2;
  options.residual_weight = 0.0;
  const ImageSet pool_a = tiny_pool(3, 6);
  const ImageSet pool_b = tiny_pool(4, 6);
  const SuggestResult a = suggest_cells(model, pool_a, options);
  const SuggestResult b = suggest_cells(model, pool_b, options);
  ASSERT_EQ(a.scored.size(), b.scored.size());
  double estimate_gap = 0;
  for (std::size_t i = 0; i < a.scored.size(); ++i) {
    // Weight 0: the ranking score is the prior alone, the same for any dataset ...
    EXPECT_NEAR(a.scored[i].score, b.scored[i].score, 1e-6);
    EXPECT_EQ(a.scored[i].score_std, 0.0);
    estimate_gap = std::max(estimate_gap, std::abs(a.scored[i].predicted_accuracy -
                                                   b.scored[i].predicted_accuracy));
  }
  // ... while the accuracy estimate keeps the dataset term, so it differs between datasets.
  EXPECT_GT(estimate_gap, 1e-3);
  // Weight 1: ranking score and estimate are the same quantity.
  options.residual_weight = 1.0;
  const SuggestResult full = suggest_cells(model, pool_a, options);
  for (const ScoredCell& s : full.scored) {
    EXPECT_NEAR(s.predicted_accuracy, s.score * 10 + 70, 1e-6);
    EXPECT_NEAR(s.predicted_accuracy_std, s.score_std * 10, 1e-6);
  }
  // The estimate does not depend on the ranking weight.
  for (std::size_t i = 0; i < a.scored.size(); ++i) {
    EXPECT_NEAR(a.scored[i].predicted_accuracy, full.scored[i].predicted_accuracy, 1e-6);
  }
}

TEST(SuggestCells, RefusesOneClassAndBadOptions) {
  const MetaModel model = test::tiny_meta_model();
  EXPECT_THROW(suggest_cells(model, tiny_pool(1, 6), {}), Error);
  SuggestOptions bad;
  bad.naswot_weight = 2;
  EXPECT_THROW(suggest_cells(model, tiny_pool(3, 6), bad), Error);
  bad = {};
  bad.draws = 0;
  EXPECT_THROW(suggest_cells(model, tiny_pool(3, 6), bad), Error);
}

}  // namespace
}  // namespace d2a
