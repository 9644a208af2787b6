// d2a features train: train d2a's default per-image feature extractor (meta/feature_training.h)
// on allowed image sources and write it as an extractor directory.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "d2a/cli/common.h"
#include "d2a/data/open_image_set.h"
#include "d2a/error.h"
#include "d2a/meta/feature_training.h"
#include "d2a/output_lock.h"
#include "d2a/version.h"

namespace d2a::cli {
namespace {

struct FeaturesTrainOptions {
  std::vector<std::string> data;
  std::string out;
  int epochs = 4;
  int dim = 128;
  int per_class = 300;
  int batch_size = 128;
  double learning_rate = 0.05;
  bool colour = false;
};

void add_features_train(CLI::App* features, Action& action) {
  auto* command = features->add_subcommand(
      "train", "Train the default feature extractor as a classifier over the sources' classes");
  command->footer(
      "Every class of every --data source is one class of a supervised classifier (32x32 images, "
      "grey unless --colour, random-crop augmentation); its penultimate layer is the feature. Uses each "
      "source's train split, at most --per-class images per class, and holds out 10% of each "
      "class to report accuracy. Train only on data the protocol allows (fashion-mnist, digits, "
      "glyphs): never CIFAR-10. Deterministic for a --seed and --threads.");
  auto o = std::make_shared<FeaturesTrainOptions>();
  command->add_option("--data", o->data, data_help(true))->required();
  command->add_option("--out", o->out, "Extractor directory to write")->required();
  command->add_option("--epochs", o->epochs, "Training epochs")->check(CLI::Range(1, 1000))->capture_default_str();
  command->add_option("--dim", o->dim, "Feature size D")->check(CLI::Range(1, 4096))->capture_default_str();
  command->add_option("--per-class", o->per_class, "Training images per class (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->add_option("--batch-size", o->batch_size, "Batch size")->check(CLI::Range(2, 4096))->capture_default_str();
  command->add_flag("--colour", o->colour,
                    "Read images in colour (grey sources as three equal channels), so that the "
                    "features can tell colour pictures apart; default: grey");
  command->add_option("--lr", o->learning_rate, "Initial SGD learning rate (cosine to 0)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  set_action(command, action, [o](const CommonOptions& options, const std::string&) {
    const OutputLock lock(o->out, true, invocation());  // one writer per extractor folder
    const auto start = std::chrono::steady_clock::now();
    FeatureTrainOptions train;
    train.epochs = o->epochs;
    train.batch_size = o->batch_size;
    train.learning_rate = o->learning_rate;
    train.input.grey = !o->colour;
    train.cnn.feature_dim(o->dim);
    train.seed = options.seed;

    DataOptions data_options;
    data_options.split = "train";
    data_options.max_per_class = static_cast<std::size_t>(o->per_class);
    data_options.max_side = train.input.image_size;  // the CNN's input side
    data_options.threads = options.threads;
    std::vector<ImageSet> sources;
    for (const auto& spec : o->data) sources.push_back(open_image_set(spec, data_options));
    const FeatureTrainResult r =
        train_feature_extractor(sources, train, [&](const FeatureTrainEpoch& e) {
          if (options.json) return;
          std::fprintf(stderr, "epoch %d/%d  loss %.3f  train %.1f%%  held-out %.1f%%  %.0f s\n",
                       e.epoch + 1, e.epochs, e.train_loss, e.train_accuracy,
                       e.validation_accuracy, e.seconds);
        });

    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& e : r.epochs) {
      epochs.push_back({{"epoch", e.epoch + 1},
                        {"train_loss", e.train_loss},
                        {"train_accuracy", e.train_accuracy},
                        {"validation_accuracy", e.validation_accuracy},
                        {"seconds", e.seconds}});
    }
    nlohmann::json sources_json = nlohmann::json::array();
    for (const auto& s : sources) {
      sources_json.push_back({{"source", s.source}, {"split", s.split}, {"images", s.size()},
                              {"classes", s.num_classes()}});
    }
    const nlohmann::json training = {
        {"created_by", std::string("d2a ") + kVersion},
        {"sources", sources_json},
        {"classes", r.classes},
        {"train_images", r.train_images},
        {"validation_images", r.validation_images},
        {"per_class", o->per_class},
        {"epochs", o->epochs},
        {"batch_size", o->batch_size},
        {"learning_rate", o->learning_rate},
        {"seed", options.seed},
        {"history", epochs},
    };
    r.extractor.save(o->out, {{"training", training}});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const nlohmann::json result = {{"out", o->out},
                                   {"id", r.extractor.id()},
                                   {"dim", r.extractor.dim()},
                                   {"classes", r.classes},
                                   {"train_images", r.train_images},
                                   {"validation_accuracy", r.epochs.back().validation_accuracy},
                                   {"seed", options.seed},
                                   {"seconds", seconds}};
    print_result(options, result, [&](std::ostream& out) {
      out << "Wrote " << o->out << "\n"
          << "  id:          " << r.extractor.id() << "\n"
          << "  features:    " << r.extractor.dim() << "\n"
          << "  classes:     " << r.classes << " from " << sources.size() << " sources, "
          << r.train_images << " training images\n"
          << "  held-out:    " << r.epochs.back().validation_accuracy << " % top-1\n"
          << "  time:        " << seconds << " s\n";
    });
    return 0;
  });
}

}  // namespace

void add_features_command(CLI::App& app, Action& action) {
  auto* features = app.add_subcommand("features", "Per-image feature extractors for meta-learning");
  features->require_subcommand(1);
  add_features_train(features, action);
}

}  // namespace d2a::cli
