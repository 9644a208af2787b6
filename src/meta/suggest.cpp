#include "d2a/meta/suggest.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <unordered_map>

#include "d2a/data/task_sampler.h"
#include "d2a/data/tensor.h"
#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "d2a/meta/graph_decoder.h"
#include "d2a/space/nb201_graph.h"

namespace d2a {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs a scope on one LibTorch thread. The generator's and predictor's GRUs and the NASWOT
// networks are chains of small ops whose matrix products go to the single-threaded OpenBLAS
// anyway; extra threads only add hand-offs, which on a busy 2-core machine made these stages 4-8
// times slower (measured: score 0.45 s on one thread, 4.0 s on two). Feature extraction
// (convolutions through oneDNN) keeps every thread.
class OneThread {
 public:
  OneThread() : threads_(torch::get_num_threads()) { torch::set_num_threads(1); }
  ~OneThread() { torch::set_num_threads(threads_); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  int threads_;
};

// Independent random streams from one user seed (splitmix64 of seed + stream).
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
enum Stream : std::uint64_t { kDrawStream = 1, kDecodeStream = 2, kNaswotStream = 3 };

void validate(const SuggestOptions& o) {
  if (!o.whole_space && o.samples < 1) {
    throw bad_input("--samples must be at least 1, got " + std::to_string(o.samples));
  }
  if (o.draws < 1) throw bad_input("--draws must be at least 1, got " + std::to_string(o.draws));
  if (o.whole_space && !o.cells.empty()) {
    throw bad_input("--all and --cells both name the candidates: give one of them");
  }
  if (o.images_per_class < 0) {
    throw bad_input("--images-per-class must be positive, got " +
                    std::to_string(o.images_per_class));
  }
  if (!(o.naswot_weight >= 0 && o.naswot_weight <= 1)) {
    throw bad_input("--blend-naswot must be in [0, 1], got " + std::to_string(o.naswot_weight));
  }
  if (o.naswot_top < 1 || o.naswot_batch < 2) {
    throw bad_input("--naswot-top must be >= 1 and --naswot-batch >= 2");
  }
  if (std::isnan(o.max_flops) || o.max_flops <= 0 || std::isnan(o.max_params) ||
      o.max_params <= 0) {
    throw bad_input("--max-flops and --max-params must be positive");
  }
}

std::vector<std::vector<std::size_t>> images_by_class(const ImageSet& pool) {
  std::vector<std::vector<std::size_t>> by_class(pool.num_classes());
  for (std::size_t i = 0; i < pool.size(); ++i) by_class.at(pool.labels[i]).push_back(i);
  return by_class;
}

// z-scores; values that are not finite (a singular NASWOT kernel is -inf) count as the lowest
// finite value.
std::vector<double> z_scores(std::vector<double> values) {
  double lowest = std::numeric_limits<double>::infinity();
  for (double v : values) {
    if (std::isfinite(v)) lowest = std::min(lowest, v);
  }
  if (!std::isfinite(lowest)) return std::vector<double>(values.size(), 0.0);
  for (double& v : values) {
    if (!std::isfinite(v)) v = lowest;
  }
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double var = 0;
  for (double v : values) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(values.size()));
  for (double& v : values) v = sd > 0 ? (v - mean) / sd : 0.0;
  return values;
}

// Draws x classes x n x D features. Only the images some draw uses go through the extractor
// (with 10 draws of 20 from 100 per class, about a tenth of the pool is never drawn).
torch::Tensor draw_features(const FeatureExtractor& extractor, const ImageSet& pool,
                            const std::vector<std::vector<std::size_t>>& draws, int64_t per_class) {
  std::vector<std::size_t> used;
  for (const auto& draw : draws) used.insert(used.end(), draw.begin(), draw.end());
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  const torch::Tensor features = extractor.extract(pool, used);  // [used, D]
  std::vector<int64_t> rows;
  for (const auto& draw : draws) {
    for (std::size_t image : draw) {
      rows.push_back(std::lower_bound(used.begin(), used.end(), image) - used.begin());
    }
  }
  return features.index_select(0, torch::tensor(rows, torch::kInt64))
      .view({static_cast<int64_t>(draws.size()), static_cast<int64_t>(pool.num_classes()),
             per_class, features.size(1)});
}

// Cell embeddings in chunks, so that scoring the whole space keeps the GRU states small.
torch::Tensor embed_in_chunks(Predictor& predictor, const torch::Tensor& codes) {
  constexpr int64_t kChunk = 2048;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < codes.size(0); start += kChunk) {
    parts.push_back(predictor->embed_cells(codes.slice(0, start, start + kChunk)));
  }
  return torch::cat(parts, 0);
}

struct CellScores {
  std::vector<double> score, score_std;        // ranking score: mean and spread over draws
  std::vector<double> estimate, estimate_std;  // accuracy estimate in percent
};

// Scores cells for one dataset's draws: ranking score = prior + W x residual (the residual alone
// without a prior), and the accuracy estimate with the dataset term at full weight, turned into
// percent through the task head when the predictor has one, else through the model's global
// standardisation. Embeddings come from the model's space cache when it has one.
class CellScorer {
 public:
  CellScorer(const MetaModel& model, Predictor predictor, torch::Tensor datasets, double weight)
      : model_(model), predictor_(std::move(predictor)), datasets_(std::move(datasets)),
        weight_(weight) {
    if (predictor_->options.task_stats()) {
      task_stats_ = predictor_->task_stats(datasets_).to(torch::kFloat64);  // [draws, 2]
    }
  }
  bool uses_task_head() const { return task_stats_.defined(); }

  CellScores score(const std::vector<Nb201Cell>& cells) const {
    Predictor predictor = predictor_;
    torch::Tensor embeddings;
    if (model_.space_embeddings.defined()) {
      std::vector<int64_t> rows;
      for (const Nb201Cell& c : cells) rows.push_back(c.dense_index());
      embeddings = model_.space_embeddings.index_select(0, torch::tensor(rows, torch::kLong));
    } else {
      embeddings = embed_in_chunks(predictor, cells_to_op_codes(cells));
    }
    const bool has_prior = predictor->options.prior();
    const torch::Tensor prior = has_prior ? predictor->prior_score(embeddings) : torch::Tensor();
    std::vector<torch::Tensor> per_draw, estimates;
    for (int64_t d = 0; d < datasets_.size(0); ++d) {
      const torch::Tensor residual = predictor->residual(embeddings, datasets_.slice(0, d, d + 1));
      per_draw.push_back(has_prior ? prior + weight_ * residual : residual);
      // In double, so that the estimate is exactly the score's affine image when W = 1.
      const torch::Tensor z = (has_prior ? prior + residual : residual).to(torch::kFloat64);
      estimates.push_back(
          task_stats_.defined()
              ? model_.accuracy_mean +
                    model_.accuracy_std * (task_stats_[d][0] + task_stats_[d][1].exp() * z)
              : model_.accuracy_mean + model_.accuracy_std * z);
    }
    CellScores out;
    std::tie(out.score, out.score_std) = mean_and_spread(per_draw);
    std::tie(out.estimate, out.estimate_std) = mean_and_spread(estimates);
    return out;
  }

 private:
  static std::pair<std::vector<double>, std::vector<double>> mean_and_spread(
      const std::vector<torch::Tensor>& draws) {
    const torch::Tensor t = torch::stack(draws).to(torch::kFloat64);  // [draws, M]
    const torch::Tensor mean = t.mean(0).contiguous();
    const torch::Tensor spread = t.std(0, /*unbiased=*/false).contiguous();
    return {std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel()),
            std::vector<double>(spread.data_ptr<double>(), spread.data_ptr<double>() + spread.numel())};
  }

  const MetaModel& model_;
  Predictor predictor_;
  torch::Tensor datasets_;
  double weight_;
  torch::Tensor task_stats_;
};

// The NASWOT mini-batch: about `batch` images spread evenly over the classes, normalised with the
// pool's channel statistics, at the cost network's image size.
torch::Tensor naswot_images(const ImageSet& pool, const SuggestOptions& options,
                            std::size_t smallest_class) {
  const std::size_t classes = pool.num_classes();
  const std::size_t per_class = std::clamp<std::size_t>(
      static_cast<std::size_t>(options.naswot_batch) / classes, 1, smallest_class);
  const auto picks =
      draw_dataset_indices(pool, 1, static_cast<int>(per_class), stream_seed(options.seed, kNaswotStream));
  const ChannelStats stats = channel_stats(pool);
  TensorSpec spec;
  spec.height = spec.width = options.cost_network.image_size;
  spec.mean = stats.mean;
  spec.std = stats.std;
  for (float& s : spec.std) s = std::max(s, 1e-3f);  // a constant channel must not divide by 0
  return images_to_tensor(pool, picks.front(), spec);
}

}  // namespace

std::vector<std::vector<std::size_t>> draw_dataset_indices(const ImageSet& pool, int draws,
                                                           int per_class, std::uint64_t seed) {
  const auto by_class = images_by_class(pool);
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::size_t>> result(static_cast<std::size_t>(draws));
  for (auto& draw : result) {
    for (const auto& members : by_class) {
      if (members.size() < static_cast<std::size_t>(per_class)) {
        throw bad_input(pool.source + ": a class has " + std::to_string(members.size()) +
                        " images, fewer than the " + std::to_string(per_class) + " drawn per class");
      }
      for (std::size_t pick : sample_without_replacement(rng, members.size(), per_class)) {
        draw.push_back(members[pick]);
      }
    }
  }
  return result;
}

SuggestResult suggest_cells(const MetaModel& model, const ImageSet& pool,
                            const SuggestOptions& options) {
  validate(options);
  if (options.residual_weight && !model.predictor->options.prior()) {
    throw bad_input("--residual-weight: this meta-model's predictor has no prior term (meta-train "
                    "it with --bench-use prior)");
  }
  if (pool.num_classes() < 2) {
    throw bad_input(pool.source + ": has " + std::to_string(pool.num_classes()) +
                    " class; a suggestion needs a dataset of at least 2 classes");
  }
  const std::vector<std::size_t> counts = class_counts(pool);
  const auto smallest = std::min_element(counts.begin(), counts.end());
  if (*smallest == 0) {
    throw bad_input(pool.source + ": class '" +
                    pool.class_names[static_cast<std::size_t>(smallest - counts.begin())] +
                    "' has no images");
  }
  SuggestResult result;
  result.draws = options.draws;
  result.images_per_class = static_cast<int>(std::min<std::size_t>(
      options.images_per_class > 0 ? options.images_per_class : model.images_per_class, *smallest));
  torch::NoGradGuard no_grad;
  const Nb201Equivalence& equivalence = Nb201Equivalence::instance();

  // 1-2. The draws, then each drawn image's features once.
  auto start = Clock::now();
  const torch::Tensor features = draw_features(
      model.extractor, pool,
      draw_dataset_indices(pool, options.draws, result.images_per_class,
                           stream_seed(options.seed, kDrawStream)),
      result.images_per_class);
  result.features_s = seconds_since(start);

  // 3. Candidates.
  start = Clock::now();
  std::optional<OneThread> one_thread(std::in_place);
  std::vector<Nb201Cell> candidates;
  if (options.whole_space) {
    candidates = all_nb201_cells();
  } else if (!options.cells.empty()) {
    candidates = options.cells;
  } else {
    Generator generator = model.generator;
    const torch::Tensor latent = generator->sample_latent(generator->encode(features));
    const torch::Tensor which = torch::arange(options.samples, torch::kInt64) % options.draws;
    const torch::Tensor codes = generator->decoder()->decode_sampled_codes(
        latent.index_select(0, which), make_sampler(stream_seed(options.seed, kDecodeStream)));
    candidates = cells_from_op_codes(codes);
  }
  result.candidates = static_cast<int>(candidates.size());
  result.generate_s = seconds_since(start);

  // 4. Distinct cells within the limits.
  start = Clock::now();
  std::vector<bool> seen(kNb201NumCells, false);
  result.min_flops_seen = result.min_params_seen = std::numeric_limits<double>::infinity();
  for (const Nb201Cell& cell : candidates) {
    if (seen[cell.dense_index()]) continue;
    seen[cell.dense_index()] = true;
    ++result.distinct_cells;
    ScoredCell scored;
    scored.cell = cell;
    scored.cost = nb201_network_cost(cell, options.cost_network);
    result.min_flops_seen = std::min(result.min_flops_seen, scored.cost.flops);
    result.min_params_seen = std::min(result.min_params_seen, static_cast<double>(scored.cost.params));
    if (scored.cost.flops > options.max_flops ||
        static_cast<double>(scored.cost.params) > options.max_params) {
      ++result.over_limits;
      continue;
    }
    scored.equivalence_class = equivalence.class_of(cell);
    scored.disconnected = nb201_is_disconnected(cell);
    result.disconnected += scored.disconnected;
    result.scored.push_back(scored);
  }

  // 5. The predictor: embed every candidate once (or take the cache), score it against each
  // draw, average.
  Predictor predictor = model.predictor;  // a handle: its forward methods are not const
  const torch::Tensor datasets = predictor->encode_dataset(features);  // [draws, Ds]
  const bool has_prior = predictor->options.prior();
  result.residual_weight = has_prior ? predictor->options.residual_weight() : 0.0;
  if (has_prior && options.residual_weight) {
    result.residual_weight = *options.residual_weight;
  } else if (has_prior && model.gate) {
    const torch::Tensor summary = features.mean(std::vector<int64_t>{0, 1, 2}).contiguous();
    result.gate_distance = model.gate->distance(
        std::vector<float>(summary.data_ptr<float>(), summary.data_ptr<float>() + summary.numel()));
    result.residual_weight = model.gate->weight_at(*result.gate_distance);
  }
  const CellScorer scorer(model, predictor, datasets, result.residual_weight);
  result.estimate_from_task_head = scorer.uses_task_head();
  if (!result.scored.empty()) {
    std::vector<Nb201Cell> cells;
    for (const auto& s : result.scored) cells.push_back(s.cell);
    const CellScores scores = scorer.score(cells);
    for (std::size_t i = 0; i < result.scored.size(); ++i) {
      ScoredCell& s = result.scored[i];
      s.score = scores.score[i];
      s.score_std = scores.score_std[i];
      s.predicted_accuracy = scores.estimate[i];
      s.predicted_accuracy_std = scores.estimate_std[i];
    }
    // Percentiles against every connected class of the space (its first member), when the model
    // caches the space's embeddings: a head per class, not a graph encoding.
    if (model.space_embeddings.defined()) {
      std::vector<Nb201Cell> space;
      for (int c = 0; c < equivalence.num_classes(); ++c) {
        const Nb201Cell& cell = equivalence.representative(c);
        if (!nb201_is_disconnected(cell)) space.push_back(cell);
      }
      std::vector<double> sorted = scorer.score(space).score;
      std::sort(sorted.begin(), sorted.end());
      for (ScoredCell& s : result.scored) {
        const auto below = std::lower_bound(sorted.begin(), sorted.end(), s.score) - sorted.begin();
        s.percentile = 100.0 * static_cast<double>(below) / static_cast<double>(sorted.size());
      }
    }
  }

  // 6. One cell per class (its best-scoring member), best first.
  std::unordered_map<int, std::size_t> best;  // class -> index into scored
  for (std::size_t i = 0; i < result.scored.size(); ++i) {
    const ScoredCell& s = result.scored[i];
    if (s.disconnected) continue;
    auto [it, inserted] = best.emplace(s.equivalence_class, i);
    if (!inserted && s.score > result.scored[it->second].score) it->second = i;
  }
  for (const auto& entry : best) result.ranked.push_back(result.scored[entry.second]);
  const auto by_score = [](const ScoredCell& a, const ScoredCell& b) {
    return a.score != b.score ? a.score > b.score : a.equivalence_class < b.equivalence_class;
  };
  std::sort(result.ranked.begin(), result.ranked.end(), by_score);
  result.score_s = seconds_since(start);
  one_thread.reset();

  // The NASWOT blend over the predictor's best classes.
  if (options.naswot_weight > 0 && !result.ranked.empty()) {
    start = Clock::now();
    const std::size_t top = std::min<std::size_t>(options.naswot_top, result.ranked.size());
    const torch::Tensor images = naswot_images(pool, options, *smallest);
    NaswotOptions naswot = options.naswot;
    naswot.seed = stream_seed(options.seed, kNaswotStream);
    std::vector<double> predicted, training_free;
    const OneThread single_thread;
    for (std::size_t i = 0; i < top; ++i) {
      ScoredCell& s = result.ranked[i];
      s.naswot = naswot_score(s.cell, images, naswot);
      predicted.push_back(s.score);
      training_free.push_back(*s.naswot);
    }
    const std::vector<double> zp = z_scores(predicted), zn = z_scores(training_free);
    for (std::size_t i = 0; i < top; ++i) {
      result.ranked[i].blended =
          (1 - options.naswot_weight) * zp[i] + options.naswot_weight * zn[i];
    }
    std::stable_sort(result.ranked.begin(), result.ranked.begin() + static_cast<long>(top),
                     [](const ScoredCell& a, const ScoredCell& b) { return *a.blended > *b.blended; });
    result.naswot_s = seconds_since(start);
  }
  return result;
}

}  // namespace d2a
