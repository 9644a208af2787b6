#pragma once
// MetaD2A's suggestion, end to end: a user's images -> ranked NAS-Bench-201 cells.
//
//  1. Features: the meta-model's extractor maps every drawn image to a D-dim vector once.
//  2. Draws: `draws` datasets of K classes x n images (n = the model's images_per_class, or the
//     smallest class if it is smaller), drawn without replacement from the pool, seeded.
//  3. Candidates: the generator encodes each draw to its latent mean and decodes `samples` cells
//     by sampling each op from its softmax (candidate i reads draw i mod draws); or, with
//     whole_space, every cell of the space; or the cells the caller gives.
//  4. Filter: identical cells are scored once; cells over the FLOPs/params limits are dropped;
//     disconnected cells (no path from input to output) are scored but never suggested.
//  5. Score: the predictor embeds all candidates once (or reads the model's cache of the whole
//     space) and scores them against each draw's dataset vector; the score is the mean over draws
//     (its spread is reported too). With a prior, score = prior + W x residual, W the caller's,
//     else the model's dataset gate at the data's distance from the meta-database, else the
//     model's fixed weight. With the cache, every connected class of the space is scored too, and
//     each candidate gets its percentile among them.
//  6. Rank: one cell per equivalence class (include/d2a/space/nb201_graph.h), its best-scoring
//     member. Optionally (naswot_weight > 0) the top naswot_top classes are re-ranked by a blend
//     of the predictor and a NASWOT score computed on the user's own images (nn/naswot.h):
//     (1 - w) * z(predictor) + w * z(naswot), z-scores taken over those classes.
#include <torch/torch.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "d2a/data/image_set.h"
#include "d2a/meta/meta_model.h"
#include "d2a/nn/naswot.h"
#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"

namespace d2a {

struct SuggestOptions {
  int samples = 500;          // generated candidates (ignored with whole_space)
  bool whole_space = false;   // score all 15,625 cells instead of generating
  std::vector<Nb201Cell> cells;  // non-empty: score exactly these instead of generating
  int draws = 10;             // dataset draws the predictor averages over (and the generator reads)
  int images_per_class = 0;   // n of each draw; 0 = the model's images_per_class
  std::uint64_t seed = 0;     // draws, sampled decoding, NASWOT batch and weights
  // Cost limits on the network `cost_network` (its num_classes is what the caller sets, usually
  // the data's class count).
  double max_flops = std::numeric_limits<double>::infinity();
  double max_params = std::numeric_limits<double>::infinity();
  Nb201MacroConfig cost_network;
  // Weight of the dataset-conditioned term for a predictor with a prior (PredictorOptions::
  // residual_weight); unset = the model's own. Bad input for a predictor without a prior.
  std::optional<double> residual_weight;
  // NASWOT blend (off at weight 0).
  double naswot_weight = 0;
  int naswot_top = 30;       // classes (best by the predictor) that get a NASWOT score
  int naswot_batch = 32;     // images in the NASWOT mini-batch (rounded down to a multiple of
                             // the class count, at least one image per class)
  NaswotOptions naswot;      // its seed is replaced by `seed`
};

struct ScoredCell {
  Nb201Cell cell;
  int equivalence_class = -1;
  bool disconnected = false;
  NetworkCost cost;
  double score = 0;      // the ranking score: predictor output, mean over draws (standardised)
  double score_std = 0;  // its standard deviation over draws
  // The predictor's accuracy estimate for these images, percent, on the meta-database's scale
  // (its records' training budget): prior + the full dataset term, mean and standard deviation
  // over draws, whatever residual weight ranks. Without a prior term it is the score, unscaled.
  double predicted_accuracy = 0;
  double predicted_accuracy_std = 0;
  // Share (percent) of the space's connected equivalence classes that score below this cell for
  // these images: 99.9 means better than all but 0.1 % of the space. Set when the model has the
  // space cache.
  std::optional<double> percentile;
  // On a target device (cli: suggest --target): latency of one image (ms), of a batch of the
  // user's size (ms per batch), energy (mJ); unset where unknown. `pareto`: on the Pareto set
  // of the ranked cells over (score, latency or FLOPs).
  std::optional<double> latency_ms, latency_batch_ms, energy_mj;
  bool pareto = false;
  std::optional<double> naswot;   // log|det K|, for the classes re-ranked by the blend
  std::optional<double> blended;  // (1 - w) z(score) + w z(naswot), for the same classes
};

struct SuggestResult {
  // One per equivalence class, connected, best first: by `blended` for the first naswot_top
  // classes when the blend is on, then by `score`.
  std::vector<ScoredCell> ranked;
  std::vector<ScoredCell> scored;  // every distinct cell scored, in candidate order
  int candidates = 0;              // cells generated (or 15,625)
  int distinct_cells = 0;          // after removing repeats
  int over_limits = 0;             // distinct cells dropped by the FLOPs/params limits
  int disconnected = 0;            // distinct cells within limits that cannot be suggested
  int images_per_class = 0;        // n actually drawn
  int draws = 0;
  double min_flops_seen = 0, min_params_seen = 0;  // cheapest distinct candidate (for messages)
  // The residual weight the ranking used (0 without a prior), and, with the model's dataset
  // gate, the data's distance from the meta-database that chose it.
  double residual_weight = 0;
  std::optional<double> gate_distance;
  bool estimate_from_task_head = false;  // predicted_accuracy uses the task head
  // Seconds spent per stage: features, generate, score, naswot.
  double features_s = 0, generate_s = 0, score_s = 0, naswot_s = 0;
};

// Runs steps 1-6 on `pool` (every image of it may be drawn; read only what is needed, e.g.
// DataOptions::max_per_class). Throws d2a::Error (bad input) for a pool with fewer than 2 classes
// or an empty class, and for invalid options (samples, draws < 1, naswot weight outside [0, 1],
// both whole_space and cells).
// `ranked` may be empty when every candidate is over the limits; the caller decides what that
// means.
SuggestResult suggest_cells(const MetaModel& model, const ImageSet& pool,
                            const SuggestOptions& options);

// Step 2 alone: draws x K x n indices into `pool` (n per class, without replacement), seeded.
// -> [draws][K * n], grouped by class.
std::vector<std::vector<std::size_t>> draw_dataset_indices(const ImageSet& pool, int draws,
                                                           int per_class, std::uint64_t seed);

}  // namespace d2a
