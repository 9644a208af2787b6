// d2a suggest: read a few images per class of the user's dataset, let the meta-model generate and
// rank NAS-Bench-201 cells for it, print the best K with their predicted accuracy and cost.
#include "d2a/meta/suggest.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>

#include "d2a/bench/device_targets.h"
#include "d2a/cli/common.h"
#include "d2a/cli/model_location.h"
#include "d2a/data/open_image_set.h"
#include "d2a/error.h"
#include "d2a/meta/meta_model.h"
#include "d2a/space/cell_list.h"
#include "d2a/space/nb201_graph.h"
#include "d2a/words.h"
#include "suggest_target.h"

namespace d2a::cli {
namespace {

struct SuggestArgs {
  std::string data;
  std::string split = "train";
  int pool = 100;
  std::string model;  // empty: default_meta_model_dir()
  int top = 5;
  int samples = 500;
  bool all = false;
  std::vector<std::string> cells;  // cell strings or files of them
  int draws = 10;
  int images_per_class = 0;
  std::string max_flops;   // "" = no limit; a count with an optional k/M/G suffix
  std::string max_params;
  int image_size = 32;
  double blend_naswot = 0;
  std::optional<double> residual_weight;
  int naswot_top = 30;
  int naswot_batch = 32;
  std::string scores_out;
  TargetArgs target;
};

// "184M" -> 1.84e8; a plain number is a count. Throws bad input naming the flag.
double parse_count(const std::string& flag, const std::string& text) {
  if (text.empty()) return std::numeric_limits<double>::infinity();
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string suffix = text.substr(used);
  double scale = 1;
  if (suffix == "k" || suffix == "K") scale = 1e3;
  else if (suffix == "M" || suffix == "m") scale = 1e6;
  else if (suffix == "G" || suffix == "g") scale = 1e9;
  else if (!suffix.empty()) used = 0;
  if (used == 0 || !std::isfinite(value) || value <= 0) {
    throw bad_input(flag + " '" + text + "': expected a positive number, optionally with a k, M or G "
                    "suffix (e.g. 120M)");
  }
  return value * scale;
}

// What the accuracy estimate refers to: the budget(s) of the database the model was trained on.
std::string estimate_budget(const MetaModel& model) {
  std::string text;
  const nlohmann::json* training = model.info.contains("training") ? &model.info["training"] : nullptr;
  if (training && training->contains("databases")) {
    for (const auto& db : (*training)["databases"]) {
      for (const auto& b : db.value("budgets", nlohmann::json::array())) {
        std::ostringstream one;
        one << b.value("name", std::string("?")) << " (C" << b.value("channels", 0) << " N"
            << b.value("cells_per_stage", 0) << " at " << b.value("image_size", 0) << "x"
            << b.value("image_size", 0) << ", " << b.value("train_per_class", 0)
            << " training images per class, "
            << count_of(b.contains("recipe") ? b["recipe"].value("epochs", 0) : 0, "epoch") << ")";
        if (text.find(one.str()) == std::string::npos) text += (text.empty() ? "" : "; ") + one.str();
      }
    }
  }
  return text.empty() ? "the meta-database's (not recorded in this model)" : text;
}

// The target's lines above the table: device, where its figures come from, bounds, Pareto set.
std::string target_note(const nlohmann::json& target, const TargetArgs& args) {
  if (target.is_null()) return "";
  std::ostringstream note;
  if (target.contains("device")) {
    note << "target:     " << target["device"].get<std::string>() << ", "
         << target["description"].get<std::string>();
    if (target.contains("table")) note << " (" << target["table"].get<std::string>() << ")";
    if (target.contains("measured")) {
      const auto& m = target["measured"];
      note << "; the best " << m["cells"] << " cells timed at batch 1"
           << (args.latency_batch > 1 ? " and " + std::to_string(args.latency_batch) : "")
           << ", " << m["threads"] << " threads (" << m["timed"] << " timed, " << m["from_cache"]
           << " from the cache) in " << std::setprecision(3) << m["seconds"].get<double>() << " s";
    }
    note << "\n";
  }
  if (target.contains("bounds")) {
    const auto& b = target["bounds"];
    note << "bounds:     " << b["meeting"] << " of " << b["ranked_before"] << " ranked classes meet";
    if (!b["max_latency_ms"].is_null()) note << " latency <= " << b["max_latency_ms"].get<double>() << " ms";
    if (!b["max_energy_mj"].is_null()) note << " energy <= " << b["max_energy_mj"].get<double>() << " mJ";
    note << " (a cell without a figure never counts as meeting one)\n";
  }
  if (target.contains("pareto")) {
    note << "pareto:     * marks the " << target["pareto"]["size"] << " ranked cells no other beats "
         << "in both score and " << (args.target.empty() ? "FLOPs" : "latency") << "\n";
  }
  return note.str();
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// Every scored cell, one CSV row each (the evaluation tool correlates these with the benchmark).
void write_scores(const std::string& path, const SuggestResult& result, std::uint64_t seed) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw bad_input(path + ": cannot write (--scores-out)");
    out << "arch,dense_index,equivalence_class,disconnected,score,score_std,predicted_accuracy,"
           "percentile,mflops,mparams,seed\n"
        << std::setprecision(9);
    for (const ScoredCell& s : result.scored) {
      out << s.cell.str() << ',' << s.cell.dense_index() << ',' << s.equivalence_class << ','
          << s.disconnected << ',' << s.score << ',' << s.score_std << ',' << s.predicted_accuracy
          << ',' << (s.percentile ? std::to_string(*s.percentile) : "") << ','
          << s.cost.flops / 1e6 << ',' << s.cost.params / 1e6 << ',' << seed << '\n';
    }
    if (!out.flush()) throw runtime_failure(path + ": cannot write (--scores-out)");
  }
  std::filesystem::rename(tmp, path);
}

int run_suggest(SuggestArgs args, const CommonOptions& common, const std::string& device) {
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  // Validate everything that costs nothing before reading a file.
  SuggestOptions options;
  options.samples = args.samples;
  options.whole_space = args.all;
  options.cells = read_cell_list(args.cells);
  options.draws = args.draws;
  options.images_per_class = args.images_per_class;
  options.seed = common.seed;
  options.max_flops = parse_count("--max-flops", args.max_flops);
  options.max_params = parse_count("--max-params", args.max_params);
  options.cost_network.image_size = args.image_size;
  options.naswot_weight = args.blend_naswot;
  options.residual_weight = args.residual_weight;
  options.naswot_top = args.naswot_top;
  options.naswot_batch = args.naswot_batch;
  if (args.split != "train" && args.split != "test") {
    throw bad_input("--split must be train or test, got '" + args.split + "'");
  }
  validate_target(args.target);
  // A bound on a table device: rank the whole space, since the generator's candidates are chosen
  // for accuracy and may hold few cells fast enough.
  if (target_wants_whole_space(args.target) && options.cells.empty()) options.whole_space = true;

  const std::string model_dir = args.model.empty() ? default_meta_model_dir() : args.model;
  if (!std::filesystem::is_directory(model_dir)) {
    throw bad_input(model_dir + ": no meta-model directory there" +
                    (args.model.empty() ? " (the default; pass --model DIR or set D2A_MODELS_DIR)"
                                        : ""));
  }
  const MetaModel model = load_meta_model(model_dir);
  const double load_model_s = elapsed();

  DataOptions data_options;
  data_options.split = args.split;
  data_options.max_per_class = static_cast<std::size_t>(args.pool);
  // The extractor's input and the NASWOT batch (the cost network's side) are all that read pixels.
  data_options.max_side = std::max(args.image_size, model.extractor.image_size());
  data_options.threads = common.threads;
  const ImageSet pool = open_image_set(args.data, data_options);
  options.cost_network.num_classes = static_cast<int>(pool.num_classes());
  options.cost_network.input_channels = pool.channels;
  const double read_data_s = elapsed() - load_model_s;

  SuggestResult result = suggest_cells(model, pool, options);
  const int wanted = options.images_per_class > 0 ? options.images_per_class : model.images_per_class;
  if (result.images_per_class < wanted) {
    std::cerr << "d2a suggest: note: the smallest class has " << result.images_per_class
              << " images; each draw takes " << result.images_per_class << " per class instead of "
              << wanted << "\n";
  }
  if (result.ranked.empty()) {
    if (result.over_limits > 0) {
      std::ostringstream why;
      why << "no candidate within the limits: the cheapest of the " << result.distinct_cells
          << " distinct candidates needs " << result.min_flops_seen / 1e6 << " MFLOPs and "
          << result.min_params_seen / 1e6 << " M params (" << options.cost_network.image_size
          << "x" << options.cost_network.image_size << " images, "
          << options.cost_network.num_classes << " classes)";
      throw bad_input(why.str());
    }
    throw runtime_failure("every candidate cell is disconnected (it outputs zeros); try more "
                          "--samples or another --seed");
  }
  if (!args.scores_out.empty()) write_scores(args.scores_out, result, common.seed);
  const std::size_t classes_ranked = result.ranked.size();  // before a target's bounds
  const nlohmann::json target = apply_target(args.target, result, options.cost_network, device);

  const auto& equivalence = Nb201Equivalence::instance();
  const std::size_t shown = std::min<std::size_t>(args.top, result.ranked.size());
  nlohmann::json suggestions = nlohmann::json::array();
  for (std::size_t i = 0; i < shown; ++i) {
    const ScoredCell& s = result.ranked[i];
    suggestions.push_back({
        {"rank", i + 1},
        {"arch", s.cell.str()},
        {"predicted_accuracy", s.predicted_accuracy},
        {"predicted_accuracy_std", s.predicted_accuracy_std},
        {"percentile", optional_number(s.percentile)},
        {"latency_ms", optional_number(s.latency_ms)},
        {"latency_batch_ms", optional_number(s.latency_batch_ms)},
        {"energy_mj", optional_number(s.energy_mj)},
        {"pareto", s.pareto},
        {"score", s.score},
        {"score_std", s.score_std},
        {"mflops", s.cost.flops / 1e6},
        {"mparams", s.cost.params / 1e6},
        {"equivalence_class", s.equivalence_class},
        {"equivalence_key", equivalence.key(s.equivalence_class)},
        {"naswot", optional_number(s.naswot)},
        {"blended", optional_number(s.blended)},
    });
  }
  const double total_s = elapsed();
  const nlohmann::json limit_flops =
      std::isfinite(options.max_flops) ? nlohmann::json(options.max_flops) : nlohmann::json(nullptr);
  const nlohmann::json limit_params = std::isfinite(options.max_params)
                                          ? nlohmann::json(options.max_params)
                                          : nlohmann::json(nullptr);
  nlohmann::json output = {
      {"data", pool.source},
      {"split", pool.split},
      {"classes", pool.num_classes()},
      {"images_read", pool.size()},
      {"model", model_dir},
      {"feature_extractor", model.extractor.id()},
      {"seed", common.seed},
      {"mode", options.whole_space ? "whole-space" : !options.cells.empty() ? "given-cells" : "generate"},
      {"samples", options.whole_space || !options.cells.empty() ? nlohmann::json(nullptr)
                                                     : nlohmann::json(args.samples)},
      {"draws", result.draws},
      {"images_per_class", result.images_per_class},
      {"network",
       {{"channels", options.cost_network.channels},
        {"cells_per_stage", options.cost_network.cells_per_stage},
        {"image_size", options.cost_network.image_size},
        {"num_classes", options.cost_network.num_classes}}},
      {"limits", {{"max_flops", limit_flops}, {"max_params", limit_params}}},
      {"counts",
       {{"candidates", result.candidates},
        {"distinct_cells", result.distinct_cells},
        {"over_limits", result.over_limits},
        {"disconnected", result.disconnected},
        {"classes_ranked", classes_ranked}}},
      {"naswot",
       options.naswot_weight > 0
           ? nlohmann::json{{"weight", options.naswot_weight},
                            {"top", options.naswot_top},
                            {"batch", options.naswot_batch},
                            {"channels", options.naswot.channels},
                            {"cells_per_stage", options.naswot.cells_per_stage}}
           : nlohmann::json(nullptr)},
      {"suggestions", suggestions},
      {"target", target},
      {"timing_s",
       {{"load_model", load_model_s},
        {"read_data", read_data_s},
        {"features", result.features_s},
        {"generate", result.generate_s},
        {"score", result.score_s},
        {"naswot", result.naswot_s},
        {"total", total_s}}},
  };
  const PredictorOptions& predictor = model.predictor->options;
  output["ranking"] =
      predictor.prior()
          ? nlohmann::json{{"prior", true},
                           {"residual_weight", result.residual_weight},
                           {"weight_from", options.residual_weight ? "--residual-weight"
                                           : result.gate_distance ? "dataset gate"
                                                                  : "model"},
                           {"gate_distance", optional_number(result.gate_distance)},
                           {"gate_near", model.gate ? nlohmann::json(model.gate->near) : nlohmann::json(nullptr)},
                           {"gate_far", model.gate ? nlohmann::json(model.gate->far) : nlohmann::json(nullptr)}}
          : nlohmann::json{{"prior", false}};
  const std::string budget = estimate_budget(model);
  output["estimate"] = {{"budget", budget},
                        {"from", result.estimate_from_task_head ? "task head" : "global scale"}};
  std::ostringstream blend_note;
  if (predictor.prior()) {
    blend_note << "ranking:    prior(cell) + " << std::setprecision(3) << result.residual_weight
               << " x dataset term";
    if (options.residual_weight) {
      blend_note << " (--residual-weight)";
    } else if (result.gate_distance) {
      blend_note << " (the data's features lie " << *result.gate_distance
                 << " from the nearest meta-database task: full weight within " << model.gate->near
                 << ", none beyond " << model.gate->far << ")";
    }
    blend_note << "\n";
  }
  blend_note << "top %:      share of the space's " << "functionally distinct cells scoring above it "
             << "for these images\n"
             << "est. acc.:  the accuracy the predictor expects on a task like the meta-database's "
                "(its class count and images per class) drawn from these images, trained under "
                "its budget: "
             << budget << ". +- is over draws\n"
             << std::defaultfloat;
  if (options.naswot_weight > 0) {
    blend_note << "ranking:    predictor blended with NASWOT (weight " << options.naswot_weight
               << ") over the top " << options.naswot_top << " classes\n";
  }
  print_result(common, output, [&](std::ostream& out) {
    out << "data:       " << pool.source << (pool.split.empty() ? "" : " (" + pool.split + ")")
        << ", " << pool.num_classes() << " classes, " << result.draws << " draws of "
        << result.images_per_class << " images per class\n"
        << "model:      " << model_dir << "\n"
        << "candidates: "
        << (options.whole_space ? "the whole space, " + std::to_string(result.candidates) + " cells"
            : !options.cells.empty() ? std::to_string(result.candidates) + " given"
                                     : std::to_string(result.candidates) + " sampled (seed " +
                                           std::to_string(common.seed) + ")")
        << ", " << result.distinct_cells << " distinct, " << result.over_limits
        << " over the limits, " << result.disconnected << " disconnected -> "
        << classes_ranked << " classes ranked\n"
        << "cost:       NAS-Bench-201 network C=16 N=5 at " << options.cost_network.image_size
        << "x" << options.cost_network.image_size << ", " << options.cost_network.num_classes
        << " classes\n"
        << blend_note.str() << target_note(target, args.target);
    const bool has_latency = !args.target.target.empty();
    const bool has_energy = has_latency && !find_device_target(args.target.target).energy_column.empty();
    const bool has_batch = args.target.latency_batch > 1;
    out << "\nrank   score   top %     est. acc.     MFLOPs  M params"
        << (has_latency ? "  lat. ms" : "")
        << (has_batch ? "  batch " + std::to_string(args.target.latency_batch) + " ms" : "")
        << (has_energy ? "   mJ" : "") << (args.target.pareto ? "  P" : "") << "  class  cell\n";
    const auto optional_cell = [](const std::optional<double>& v, int width) {
      std::ostringstream cell;
      cell << std::setw(width);
      if (v) {
        cell << std::fixed << std::setprecision(2) << *v;
      } else {
        cell << "-";
      }
      return cell.str();
    };
    for (std::size_t i = 0; i < shown; ++i) {
      const ScoredCell& s = result.ranked[i];
      std::ostringstream top;
      if (s.percentile) {
        top << std::fixed << std::setprecision(*s.percentile > 99 ? 2 : 1) << 100 - *s.percentile;
      } else {
        top << "-";
      }
      out << std::left << std::setw(4) << i + 1 << std::right << std::fixed << std::setprecision(2)
          << std::setw(7) << s.score << std::setw(8) << top.str() << std::setw(9)
          << s.predicted_accuracy << " +- "
          << std::setw(5) << s.predicted_accuracy_std << std::setw(11) << s.cost.flops / 1e6
          << std::setw(10) << s.cost.params / 1e6;
      if (has_latency) out << optional_cell(s.latency_ms, 9);
      if (has_batch) out << optional_cell(s.latency_batch_ms, 9 + 3 + std::to_string(args.target.latency_batch).size());
      if (has_energy) out << optional_cell(s.energy_mj, 6);
      if (args.target.pareto) out << (s.pareto ? "  *" : "   ");
      out << std::setw(7) << s.equivalence_class << "  " << s.cell.str() << "\n";
    }
    out << std::defaultfloat << "(" << std::setprecision(3) << total_s << " s)\n";
    if (shown > 0) {  // the command that checks the first suggestion on these images
      out << "next:       " << train_command(args.data, result.ranked.front().cell.str(), device)
          << "   (trains it on these images and tests it on held-out ones)\n";
    }
  });
  return 0;
}

}  // namespace

void add_suggest_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<SuggestArgs>();
  auto* command = app.add_subcommand(
      "suggest", "Suggest NAS-Bench-201 cells for a dataset with a trained meta-model (MetaD2A)");
  command->footer(
      "Reads the first --pool images of each class, draws --draws datasets of n images per class "
      "from them, generates --samples cells with the meta-model's generator (sampled decoding, "
      "seeded by --seed), drops repeats, disconnected cells and cells over the limits, and ranks "
      "one cell per equivalence class by the predictor averaged over the draws. FLOPs and params "
      "are those of the NAS-Bench-201 network (C=16, N=5) at --image-size (default 32x32, the "
      "benchmark's) with the data's class count. --all ranks the whole space instead, --cells "
      "the cells you give.\n\nWhat the numbers mean. score: what ranks, prior(cell) + W x "
      "dataset term in standard units (W: the model's, or its dataset gate's for these images, "
      "or --residual-weight). top %: the share of the space's functionally distinct cells "
      "that score above this one for these images (0.1 = better than 99.9 % of the space). "
      "est. acc.: the accuracy the predictor expects for this cell on a task drawn from these "
      "images the size of the meta-database's tasks, trained under the meta-database's budget "
      "(printed with it): a small-network CPU budget, not a full-size training run, so use it to "
      "compare cells, not as the accuracy your final network will reach. +- is the spread over "
      "the draws of your images.");
  command->add_option("--data", args->data, data_help(false))->required();
  command->add_option("--split", args->split, "train or test, where the source has splits")
      ->capture_default_str();
  command->add_option("--pool", args->pool, "Images read per class (the first ones, in file order)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  command->add_option("--model", args->model,
                      "Meta-model directory (default: $D2A_MODELS_DIR/d2a-meta-v3, else the "
                      "source tree's models/d2a-meta-v3)");
  command->add_option("--top", args->top, "Suggestions printed")
      ->check(CLI::Range(1, kNb201NumCells))
      ->capture_default_str();
  command->add_option("--samples", args->samples, "Cells generated")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  command->add_flag("--all", args->all, "Rank the whole space (15,625 cells) instead of generating");
  command->add_option("--cells", args->cells,
                      "Rank these cells instead of generating: cell strings or files of them, one "
                      "per line");
  command->add_option("--draws", args->draws, "Dataset draws the predictor averages over")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command->add_option("--images-per-class", args->images_per_class,
                      "Images per class in each draw (default: the model's, 20)")
      ->check(CLI::Range(1, 100000));
  command->add_option("--max-flops", args->max_flops,
                      "FLOPs limit of the network (a count; k, M, G suffixes: 120M)");
  command->add_option("--max-params", args->max_params,
                      "Parameter limit of the network (a count; k, M suffixes: 1.2M)");
  command->add_option("--image-size", args->image_size, "Image side the cost is computed at")
      ->check(CLI::Range(8, 1024))
      ->capture_default_str();
  command->add_option("--blend-naswot", args->blend_naswot,
                      "Weight in [0, 1] of a NASWOT score on your images, blended with the "
                      "predictor over the top --naswot-top classes (0 = off)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("--residual-weight", args->residual_weight,
                      "For a model with a prior: weight of the dataset-conditioned term beside "
                      "the dataset-agnostic prior (default: the model's own)")
      ->check(CLI::Range(0.0, 10.0));
  command->add_option("--naswot-top", args->naswot_top, "Classes re-ranked by the blend")
      ->check(CLI::Range(1, kNb201NumCells))
      ->capture_default_str();
  command->add_option("--naswot-batch", args->naswot_batch, "Images in the NASWOT mini-batch")
      ->check(CLI::Range(2, 4096))
      ->capture_default_str();
  std::string targets;
  for (const DeviceTarget& t : device_targets()) targets += "\n  " + t.name + ": " + t.description;
  command->add_option("--target", args->target.target,
                      "Device the cell will run on: latencies (and energies) from HW-NAS-Bench, or "
                      "measured on this machine (cpu, cuda: the network as deployed, in inference "
                      "mode with each BN folded into its convolution, the median of 5 forwards at "
                      "batch 1 and 3 at --latency-batch, --threads threads, stopping early once "
                      "that median is known within --latency-tolerance); one of:" +
                          targets);
  command->add_option("--latency-table", args->target.latency_table,
                      "HW-NAS-Bench latency table (default: $D2A_LATENCY_TABLE, else "
                      "../shared/data/nb201/nb201_hw_latency_cifar10.csv beside the source tree)");
  command->add_option("--max-latency-ms", args->target.max_latency_ms,
                      "Keep cells whose batch-1 latency on --target is at most this (a cell "
                      "without a measurement never counts as meeting it); with a table device "
                      "the whole space is ranked");
  command->add_option("--max-energy-mj", args->target.max_energy_mj,
                      "Keep cells whose energy per image on --target (edgegpu, eyeriss, fpga) is "
                      "at most this");
  command->add_flag("--pareto", args->target.pareto,
                    "Mark the Pareto set of the ranked cells over (score, latency on --target, or "
                    "FLOPs without one)");
  command->add_option("--latency-batch", args->target.latency_batch,
                      "--target cpu/cuda: also time a batch of this many images")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  command->add_option("--measure-top", args->target.measure_top,
                      "--target cpu/cuda: how many of the best-ranked cells are timed (the others "
                      "have no latency)")
      ->check(CLI::Range(1, 6466))
      ->capture_default_str();
  command
      ->add_option("--latency-tolerance", args->target.latency_tolerance,
                   "--target cpu/cuda: stop timing a cell once the median of all its planned "
                   "forwards is known within this fraction (the forwards still to come could "
                   "move it no further); 0 times every forward")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("--latency-cache", args->target.latency_cache,
                      "--target cpu/cuda: the file of this machine's measurements (default "
                      "~/.cache/d2a/latency.json; 'none' times every cell afresh)");
  command->add_option("--scores-out", args->scores_out,
                      "Write every scored cell (arch, class, score, cost) to this CSV");
  set_action(command, action, [args](const CommonOptions& options, const std::string& device) {
    return run_suggest(*args, options, device);
  });
}

}  // namespace d2a::cli
