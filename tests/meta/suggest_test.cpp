#include "d2a/meta/suggest.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <set>

#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
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

TEST(SuggestCells, GivenCellsAreTheCandidates) {
  const MetaModel model = test::tiny_meta_model(3, /*prior=*/true);
  SuggestOptions options;
  options.draws = 2;
  options.cells = {Nb201Cell::from_dense_index(15624), Nb201Cell::from_dense_index(7),
                   Nb201Cell::from_dense_index(15624), Nb201Cell::from_dense_index(9000)};
  const SuggestResult r = suggest_cells(model, tiny_pool(3, 6), options);
  EXPECT_EQ(r.candidates, 4);
  ASSERT_EQ(r.distinct_cells, 3);
  EXPECT_EQ(r.scored[0].cell, options.cells[0]);
  EXPECT_EQ(r.scored[1].cell, options.cells[1]);
  EXPECT_EQ(r.scored[2].cell, options.cells[3]);
  options.whole_space = true;
  EXPECT_THROW(suggest_cells(model, tiny_pool(3, 6), options), Error);
}

TEST(SuggestCells, SpaceCacheGivesTheSameScoresAndPercentilesAmongTheSpacesClasses) {
  MetaModel model = test::tiny_meta_model(3, /*prior=*/true);
  SuggestOptions options;
  options.draws = 2;
  options.residual_weight = 0.5;
  options.cells = {Nb201Cell::from_dense_index(15624), Nb201Cell::from_dense_index(7),
                   Nb201Cell::from_dense_index(9000)};
  const SuggestResult plain = suggest_cells(model, tiny_pool(3, 6), options);
  EXPECT_FALSE(plain.scored[0].percentile.has_value());  // no cache, no percentile
  {
    torch::NoGradGuard no_grad;
    model.space_embeddings = model.predictor->embed_cells(cells_to_op_codes(all_nb201_cells()));
  }
  const SuggestResult cached = suggest_cells(model, tiny_pool(3, 6), options);
  for (std::size_t i = 0; i < plain.scored.size(); ++i) {
    EXPECT_NEAR(cached.scored[i].score, plain.scored[i].score, 1e-5);
    ASSERT_TRUE(cached.scored[i].percentile.has_value());
    EXPECT_GE(*cached.scored[i].percentile, 0.0);
    EXPECT_LE(*cached.scored[i].percentile, 100.0);
  }
  // Percentiles order like scores, and the best cell of the whole space beats nearly all of it.
  for (std::size_t i = 0; i < cached.scored.size(); ++i) {
    for (std::size_t j = 0; j < cached.scored.size(); ++j) {
      if (cached.scored[i].score > cached.scored[j].score) {
        EXPECT_GE(*cached.scored[i].percentile, *cached.scored[j].percentile);
      }
    }
  }
  options.cells.clear();
  options.whole_space = true;
  const SuggestResult space = suggest_cells(model, tiny_pool(3, 6), options);
  EXPECT_GE(*space.ranked.front().percentile, 99.9);
  EXPECT_LE(*space.ranked.back().percentile, 0.1);
}

TEST(SuggestCells, DatasetGateSetsTheResidualWeightByDistance) {
  MetaModel model = test::tiny_meta_model(3, /*prior=*/true);
  SuggestOptions options;
  options.draws = 2;
  options.cells = {Nb201Cell::from_dense_index(15624), Nb201Cell::from_dense_index(7)};
  const ImageSet pool = tiny_pool(3, 6);
  // The pool's own feature summary as a reference: distance 0, full weight.
  torch::Tensor summary;
  {
    torch::NoGradGuard no_grad;
    std::vector<std::size_t> all(pool.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    summary = model.extractor.extract(pool, all).mean(0).contiguous();
  }
  std::vector<float> near(summary.data_ptr<float>(), summary.data_ptr<float>() + summary.numel());
  std::vector<float> far = near;
  for (float& v : far) v += 100;
  model.gate = DatasetGate::fit({near, far}, {"here", "there"}, 0.7);
  const SuggestResult r = suggest_cells(model, pool, options);
  ASSERT_TRUE(r.gate_distance.has_value());
  EXPECT_LT(*r.gate_distance, model.gate->near);  // every draw is a subset of the pool
  EXPECT_DOUBLE_EQ(r.residual_weight, 0.7);
  // Moved beyond the farthest source: the prior alone.
  for (auto& ref : model.gate->references) ref[0] += 1000;
  const SuggestResult away = suggest_cells(model, pool, options);
  EXPECT_DOUBLE_EQ(away.residual_weight, 0.0);
  // An explicit weight wins over the gate.
  options.residual_weight = 0.25;
  const SuggestResult fixed = suggest_cells(model, pool, options);
  EXPECT_DOUBLE_EQ(fixed.residual_weight, 0.25);
  EXPECT_FALSE(fixed.gate_distance.has_value());
}

TEST(SuggestCells, TaskHeadTurnsScoresIntoPercent) {
  const MetaModel model = test::tiny_meta_model(3, /*prior=*/true, /*task_stats=*/true);
  SuggestOptions options;
  options.draws = 1;
  options.residual_weight = 1.0;
  options.cells = {Nb201Cell::from_dense_index(15624), Nb201Cell::from_dense_index(7)};
  const SuggestResult r = suggest_cells(model, tiny_pool(3, 6), options);
  ASSERT_TRUE(r.estimate_from_task_head);
  // One draw: estimate = 70 + 10 * (m + exp(log s) * score) for the task head's (m, log s).
  const double a = r.scored[0].score, b = r.scored[1].score;
  const double ea = r.scored[0].predicted_accuracy, eb = r.scored[1].predicted_accuracy;
  const double slope = (ea - eb) / (a - b);  // 10 * exp(log s)
  EXPECT_GT(slope, 0);
  EXPECT_NEAR(ea - slope * a, eb - slope * b, 1e-4);  // the same offset, 70 + 10 m
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
