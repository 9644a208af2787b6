// d2a search: a differentiable architecture search (DARTS, PC-DARTS, MS-DARTS, StacNAS, GDAS) on
// the NAS-Bench-201 or DARTS space, with checkpoints, an alpha history (CSV + PNG) and an
// optional warm start from the meta-model's suggestions.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "d2a/bench/nb201_table.h"
#include "d2a/cli/common.h"
#include "d2a/cli/distributed_options.h"
#include "d2a/cli/gnuplot.h"
#include "d2a/cli/model_location.h"
#include "d2a/data/open_image_set.h"
#include "d2a/dist/process_group.h"
#include "d2a/error.h"
#include "d2a/interrupt.h"
#include "d2a/meta/meta_model.h"
#include "d2a/meta/suggest.h"
#include "d2a/output_lock.h"
#include "d2a/progress.h"
#include "d2a/search/search_run.h"
#include "d2a/search/searcher.h"
#include "d2a/space/nb201.h"
#include "d2a/train/recipe.h"
#include "d2a/words.h"

namespace d2a::cli {
namespace {

namespace fs = std::filesystem;

struct SearchArgs {
  std::string method;
  std::string space = "nb201";
  std::string data;
  std::string split = "train";
  std::string out;
  int epochs = 50;
  int batch = 64;
  int channels = 16;
  int cells = 0;  // 0: the space's published depth (nb201 5 per stage, darts 8)
  int image_size = 32;
  int per_class = 0;
  bool resume = false;
  std::string bench;
  bool init_from_suggest = false;
  std::string model;
  int suggest_top = 10;
  bool no_plot = false;
  std::string config;  // JSON file of SearcherConfig fields (the rest keep their defaults)
  std::string precision;  // "" keeps the config's (fp32 unless the file says)
  DistributedOptions distributed;
};

std::string model_dir(const SearchArgs& args) {
  return args.model.empty() ? default_meta_model_dir() : args.model;
}

// The meta-model for --init-from-suggest (none without it, or when resuming a search that has
// already started from it).
std::optional<MetaModel> warm_start_model(const SearchArgs& args, bool resuming) {
  if (!args.init_from_suggest || resuming) return std::nullopt;
  const std::string dir = model_dir(args);
  if (!fs::is_directory(dir)) throw bad_input(dir + ": no meta-model directory (--model)");
  return load_meta_model(dir);
}

// Warm start on NAS-Bench-201: the meta-model's top cells for these images set the initial
// alphas to log(1 + count of op o on edge e among them). Initialising rather than restricting
// keeps every op reachable: the suggestion is a prior the search may overturn on the user's data,
// and the small init scale (at most log(1 + top)) is soon outweighed by the gradients.
nlohmann::json warm_start(Searcher& searcher, const SearchArgs& args, const MetaModel& model,
                          const ImageSet& images, std::uint64_t seed) {
  SuggestOptions options;
  options.seed = seed;
  options.cost_network.num_classes = static_cast<int>(images.num_classes());
  options.cost_network.input_channels = images.channels;
  const SuggestResult suggested = suggest_cells(model, images, options);
  const std::size_t top = std::min<std::size_t>(args.suggest_top, suggested.ranked.size());
  if (top == 0) throw runtime_failure("--init-from-suggest: the meta-model suggested no cell");
  const std::vector<std::string> names = searcher.op_names();
  torch::Tensor init = torch::zeros({kNb201NumEdges, static_cast<int64_t>(names.size())});
  nlohmann::json cells = nlohmann::json::array();
  for (std::size_t i = 0; i < top; ++i) {
    const Nb201Cell& cell = suggested.ranked[i].cell;
    cells.push_back(cell.str());
    for (int e = 0; e < kNb201NumEdges; ++e) {
      const auto it = std::find(names.begin(), names.end(), std::string(nb201_op_name(cell.op(e))));
      if (it != names.end()) init[e][it - names.begin()] += 1;
    }
  }
  torch::NoGradGuard no_grad;
  torch::Tensor alphas = searcher.alphas().at(0);
  alphas.copy_(torch::log1p(init).to(alphas.device()));
  return {
      {"model", model_dir(args)}, {"cells", cells}, {"use", "initial alphas = log(1 + op counts)"}};
}

// gnuplot renders the history CSV: one panel per edge, one line per op. Returns the PNG path,
// or "" (with a note on stderr; the history is in the CSV) when gnuplot is missing or fails.
std::string plot_history(const std::string& csv, const std::string& png,
                         const std::vector<std::string>& cell_types,
                         const std::vector<std::string>& ops, int edges) {
  // gnuplot draws a line through consecutive points of one data block, so the history is
  // regrouped into one block per (cell type, edge, op), in that order, blocks two blank lines
  // apart (addressed with `index`).
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> series;
  {
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream fields(line);
      for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
      if (f.size() == 5) series[f[1] + "/" + f[2] + "/" + f[3]].emplace_back(f[0], f[4]);
    }
  }
  const std::string data_path = png + ".dat";
  std::ofstream data(data_path);
  int block = 0;
  std::map<std::string, int> block_of;
  for (const std::string& type : cell_types) {
    for (int e = 0; e < edges; ++e) {
      for (const std::string& op : ops) {
        const std::string key = type + "/" + std::to_string(e) + "/" + op;
        for (const auto& [epoch, weight] : series[key]) data << std::stoi(epoch) + 1 << ' ' << weight << '\n';
        if (series[key].empty()) data << "0 NaN\n";
        data << "\n\n";
        block_of[key] = block++;
      }
    }
  }
  data.close();
  std::ostringstream script;
  const int columns = edges <= 6 ? 3 : 5;
  const int rows_per_type = (edges + columns - 1) / columns;
  const int rows = rows_per_type * static_cast<int>(cell_types.size());
  script << "set terminal pngcairo noenhanced size " << 360 * columns << "," << 260 * rows
         << " font ',8'\n"
         << "set output '" << png << "'\nset key off\n"
         << "set yrange [0:1]\nset xlabel 'epoch'\nset multiplot layout " << rows << "," << columns
         << " title 'op weights per edge over epochs (" << csv << ")'\n";
  for (const std::string& type : cell_types) {
    for (int e = 0; e < edges; ++e) {
      script << "set title '" << type << " edge " << e << "'\n";
      if (e == 0) script << "set key top left\n"; else script << "set key off\n";
      script << "plot ";
      for (std::size_t o = 0; o < ops.size(); ++o) {
        script << (o ? ", " : "") << "'" << data_path << "' index "
               << block_of[type + "/" + std::to_string(e) + "/" + ops[o]]
               << " using 1:2 with linespoints pt 7 ps 0.4 title '" << ops[o] << "'";
      }
      script << "\n";
    }
    for (int pad = edges; pad < rows_per_type * columns; ++pad) script << "set multiplot next\n";
  }
  script << "unset multiplot\n";
  return run_gnuplot(script.str(), png, "d2a search") ? png : "";
}

int run(const SearchArgs& args, const CommonOptions& common, const std::string& device_name) {
  dist::launch_env();  // bad launcher variables: exit 2 before any work
  SearcherConfig config;
  if (!args.config.empty()) config = SearcherConfig::read_file(args.config);
  config.space = args.space;
  config.channels = args.channels;
  config.cells = args.cells > 0 ? args.cells : (args.space == "darts" ? 8 : 5);
  config.seed = common.seed;
  if (!args.precision.empty()) config.precision = args.precision;
  if (args.init_from_suggest && args.space != "nb201") {
    throw bad_input("--init-from-suggest: suggestions are NAS-Bench-201 cells; use --space nb201");
  }
  if (!args.bench.empty() && args.space != "nb201") {
    throw bad_input("--bench: the table holds NAS-Bench-201 cells; use --space nb201");
  }
  if (!args.bench.empty() && !fs::is_regular_file(args.bench)) {
    throw bad_input(args.bench + ": no such benchmark table");
  }

  const std::string out = args.out.empty() ? "search-" + args.method + "-" + args.space : args.out;
  const std::string checkpoint = (fs::path(out) / "checkpoint.pt").string();
  const std::optional<MetaModel> warm_model =
      warm_start_model(args, args.resume && fs::exists(checkpoint));

  DataOptions data_options;
  data_options.split = args.split;
  data_options.max_per_class = static_cast<std::size_t>(args.per_class);
  // The supernet's input side, and the meta-model's extractor's when it reads them too.
  data_options.max_side =
      std::max(args.image_size, warm_model ? warm_model->extractor.image_size() : 0);
  data_options.threads = common.threads;
  const ImageSet images = open_image_set(args.data, data_options);
  if (images.num_classes() < 2) {
    throw bad_input(args.data + ": a search needs at least 2 classes, found " +
                    std::to_string(images.num_classes()));
  }
  config.input_channels = images.channels;
  config.num_classes = static_cast<std::int64_t>(images.num_classes());
  config.validate();
  const TrainData data = make_train_data(images, args.image_size);

  const torch::Device device(device_name == "cuda" ? torch::kCUDA : torch::kCPU);
  const dist::LaunchEnv launch =
      join_distributed_job(args.distributed, device_name, common.threads);
  const dist::ProcessGroup& group = dist::world();
  const bool root = group.is_root();
  std::unique_ptr<Searcher> searcher = make_searcher(args.method, config, device);
  fs::create_directories(out);
  std::optional<OutputLock> lock;  // one writer per search folder: rank 0, the one that writes
  if (root) lock.emplace(out, true, invocation());
  if (!args.resume && fs::exists(checkpoint)) {
    throw bad_input(checkpoint + ": a search already ran here; pass --resume to continue it or "
                    "choose another --out");
  }
  nlohmann::json warm = nullptr;
  if (warm_model) warm = warm_start(*searcher, args, *warm_model, images, common.seed);

  SearchRunOptions run_options;
  run_options.epochs = args.epochs;
  run_options.batch_size = args.batch;
  run_options.seed = common.seed;
  run_options.checkpoint = checkpoint;
  run_options.resume = args.resume;
  run_options.history_csv = (fs::path(out) / "alphas.csv").string();

  Progress progress("search " + args.method, 0, "steps", !root);
  const InterruptScope interrupts;  // Ctrl-C / SIGTERM: finish the step, save, stop
  const SearchRunResult result = run_search(
      *searcher, data, run_options,
      [&](const SearchStepReport& r) {
        // The step's figures are read back (a GPU sync) only for a line that is drawn.
        char note[96] = "";
        if (progress.due()) {
          std::snprintf(note, sizeof note, "epoch %d/%d  loss %.3f  acc %.1f%%", r.epoch + 1,
                        args.epochs, r.stats.train_loss.item<double>(),
                        r.stats.train_accuracy.item<double>());
        }
        progress.set(static_cast<std::int64_t>(r.epoch) * r.steps_per_epoch + r.step + 1, note);
      },
      [&](const SearchEpochReport& r) {
        if (common.json || !root) return;
        const std::string memory =
            r.peak_tensor_bytes < 0
                ? std::string()
                : "  tensors " + std::to_string(r.peak_tensor_bytes >> 20) + " MB";
        std::fprintf(stderr,
                     "epoch %d/%d  train loss %.3f acc %.1f%%  valid loss %.3f acc %.1f%%  "
                     "entropy %.3f  %.0f s%s\n  genotype %s\n",
                     r.epoch + 1, r.epochs, r.train_loss, r.train_accuracy, r.valid_loss,
                     r.valid_accuracy, r.alpha_entropy, r.seconds, memory.c_str(),
                     r.genotype.c_str());
      });
  progress.finish();
  if (result.interrupted) {
    if (root) {
      std::fprintf(stderr,
                   "d2a: search stopped by %s after step %d of epoch %d; %s holds it: run the "
                   "same command with --resume to continue\n",
                   interrupt_signal_name()[0] != '\0' ? interrupt_signal_name() : "a signal",
                   result.interrupted_steps, result.interrupted_epoch + 1, checkpoint.c_str());
    }
    return kInterruptedExitStatus;
  }
  if (!root) return 0;  // rank 0 plots, writes result.json and reports for the job

  const std::string png = args.no_plot ? std::string()
                                       : plot_history(run_options.history_csv,
                                                      (fs::path(out) / "alphas.png").string(),
                                                      searcher->cell_types(), searcher->op_names(),
                                                      static_cast<int>(searcher->alphas().at(0).size(0)));
  nlohmann::json epochs = nlohmann::json::array();
  for (const SearchEpochReport& r : result.epochs) {
    epochs.push_back({{"epoch", r.epoch + 1}, {"train_loss", r.train_loss},
                      {"train_accuracy", r.train_accuracy}, {"valid_loss", r.valid_loss},
                      {"valid_accuracy", r.valid_accuracy}, {"alpha_entropy", r.alpha_entropy},
                      {"genotype", r.genotype}, {"seconds", r.seconds}});
    if (r.peak_tensor_bytes >= 0) epochs.back()["peak_tensor_mb"] = r.peak_tensor_bytes / 1048576.0;
  }
  nlohmann::json summary = {{"method", args.method},
                            {"space", args.space},
                            {"data", args.data},
                            {"images", images.size()},
                            {"classes", images.num_classes()},
                            {"device", device_name},
                            {"seed", common.seed},
                            {"config", searcher->config().to_json()},
                            {"epochs", args.epochs},
                            {"first_epoch", result.first_epoch + 1},
                            {"genotype", result.genotype},
                            {"history", epochs},
                            {"alphas_csv", run_options.history_csv},
                            {"alphas_png", png.empty() ? nlohmann::json(nullptr) : nlohmann::json(png)},
                            {"checkpoint", checkpoint},
                            {"warm_start", warm},
                            {"processes", group.world_size()}};
  if (group.active()) {
    summary["distributed"] = describe_distributed_job(launch, args.distributed);
  }
  if (!args.bench.empty()) {
    const Nb201Table table = Nb201Table::load(args.bench);
    const int index = table.index_of(Nb201Cell::parse(result.genotype));
    nlohmann::json accuracy = nlohmann::json::object();
    for (const std::string& metric : table.metrics()) accuracy[metric] = table.accuracy(index, metric);
    summary["bench"] = {{"table", args.bench}, {"index", index}, {"accuracy", accuracy},
                        {"use", "evaluation only: the search never reads the table"}};
  }
  {
    std::ofstream file(fs::path(out) / "result.json");
    file << summary.dump(2) << "\n";
  }
  print_result(common, summary, [&](std::ostream& o) {
    o << "method:    " << args.method << " on " << args.space << " (" << images.size()
      << " images, " << images.num_classes() << " classes, " << count_of(args.epochs, "epoch")
      << ")\n"
      << "genotype:  " << result.genotype << "\n";
    if (summary.contains("bench")) {
      o << "benchmark: index " << summary["bench"]["index"].get<int>();
      for (const auto& [metric, value] : summary["bench"]["accuracy"].items()) {
        o << "  " << metric << " " << value.get<double>();
      }
      o << " (evaluation only)\n";
    }
    o << "history:   " << run_options.history_csv << (png.empty() ? "" : ", " + png) << "\n"
      << "result:    " << (fs::path(out) / "result.json").string() << "\n"
      << "next:      " << train_command(args.data, result.genotype, device_name)
      << "   (trains it from scratch and tests it on held-out images)\n";
  });
  return 0;
}

}  // namespace

void add_search_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "search", "Differentiable architecture search (DARTS, PC-DARTS, MS-DARTS, StacNAS, GDAS)");
  command->footer(
      "Splits the training images 50/50 into a half that trains the supernet's weights and a "
      "half that trains its architecture parameters, runs --epochs epochs with the method's "
      "published settings, and writes into --out: checkpoint.pt (every epoch; --resume "
      "continues it), alphas.csv (the op weights of every edge after every epoch), alphas.png "
      "(gnuplot) and result.json. --bench TABLE looks the final NAS-Bench-201 cell up, for "
      "evaluation only. --init-from-suggest starts the NAS-Bench-201 alphas from the "
      "meta-model's top cells for these images.\n\n"
      "Data parallel: started by torchrun or srun (as d2a train), each process takes its share "
      "of every batch (--batch is the whole step's: the number of processes must divide it) "
      "and the weight and architecture gradients are averaged over the processes, for every "
      "method (darts2 averages inside its unrolled step too). Rank 0 alone writes --out; "
      "--resume needs the number of processes the checkpoint was written with.");
  auto args = std::make_shared<SearchArgs>();
  command->add_option("--method", args->method, "Search method")
      ->required()
      ->check(CLI::IsMember(searcher_names()));
  command->add_option("--space", args->space, "Search space")
      ->check(CLI::IsMember({"nb201", "darts"}))
      ->capture_default_str();
  command->add_option("--data", args->data, data_help(false))->required();
  command->add_option("--split", args->split, "train or test, where the source has splits")
      ->check(CLI::IsMember({"train", "test"}))
      ->capture_default_str();
  command->add_option("--per-class", args->per_class, "Images read per class (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_option("--out", args->out, "Output folder (default: search-METHOD-SPACE)");
  command->add_option("--epochs", args->epochs, "Epochs")->check(CLI::Range(1, 10000))->capture_default_str();
  command->add_option("--batch", args->batch, "Batch size (each half)")->check(CLI::Range(1, 4096))->capture_default_str();
  command->add_option("--channels", args->channels, "Supernet channels C")->check(CLI::Range(1, 1024))->capture_default_str();
  command->add_option("--cells", args->cells, "nb201: cells per stage (5); darts: cells (8)")
      ->check(CLI::Range(1, 100));
  command->add_option("--image-size", args->image_size, "Image side the search trains at")
      ->check(CLI::Range(8, 512))
      ->capture_default_str();
  command->add_flag("--resume", args->resume, "Continue the checkpoint in --out");
  command->add_option("--bench", args->bench, "NAS-Bench-201 table: report the result's accuracy");
  command->add_flag("--init-from-suggest", args->init_from_suggest,
                    "Start the alphas from the meta-model's suggestions (nb201)");
  command->add_option("--model", args->model, "Meta-model for --init-from-suggest (default: shipped)");
  command->add_option("--suggest-top", args->suggest_top, "Suggested cells the warm start counts")
      ->check(CLI::Range(1, 500))
      ->capture_default_str();
  command->add_flag("--no-plot", args->no_plot, "Skip the PNG plot");
  add_distributed_options(command, args->distributed);
  command
      ->add_option("--precision", args->precision,
                   "Forward passes in fp32 (default) or bf16 autocast (weights, gradients, alphas "
                   "and loss stay float32; darts2's second-order term stays fp32)")
      ->check(CLI::IsMember(precision_names()));
  command->add_option("--config", args->config,
                      "JSON file overriding the method's published settings, e.g. "
                      "{\"pc_darts\": {\"warmup_epochs\": 0}, \"gdas\": {\"tau_min\": 0.5}}");
  set_action(command, action, [args](const CommonOptions& options, const std::string& device) {
    return run(*args, options, device);
  });
}

}  // namespace d2a::cli
