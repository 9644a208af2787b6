#include "d2a/nn/network_export.h"

#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "d2a/error.h"

namespace d2a {
namespace {

using Dict = c10::impl::GenericDict;

Dict new_dict() { return Dict(c10::StringType::get(), c10::AnyType::get()); }

nlohmann::json macro_to_json(const Nb201MacroConfig& m) {
  return {{"channels", m.channels},
          {"cells_per_stage", m.cells_per_stage},
          {"input_channels", m.input_channels},
          {"num_classes", m.num_classes},
          {"image_size", m.image_size}};
}

Nb201MacroConfig macro_from_json(const nlohmann::json& j) {
  Nb201MacroConfig m;
  m.channels = j.at("channels").get<int>();
  m.cells_per_stage = j.at("cells_per_stage").get<int>();
  m.input_channels = j.at("input_channels").get<int>();
  m.num_classes = j.at("num_classes").get<int>();
  m.image_size = j.at("image_size").get<int>();
  return m;
}

// Writes {"format", arch_key: arch, "config", "metadata", "state_dict": the module's parameters
// and buffers} to `path` through a temporary file and a rename.
void write_export(const torch::nn::Module& module, const std::string& path,
                  const std::string& format, const std::string& arch_key, const std::string& arch,
                  const nlohmann::json& config, const nlohmann::json& metadata) {
  Dict dict = new_dict();
  dict.insert("format", format);
  dict.insert(arch_key, arch);
  dict.insert("config", config.dump());
  dict.insert("metadata", metadata.dump());
  c10::Dict<std::string, torch::Tensor> state;
  for (const auto& item : module.named_parameters()) {
    state.insert(item.key(), item.value().detach().to(torch::kCPU).contiguous().clone());
  }
  for (const auto& item : module.named_buffers()) {
    state.insert(item.key(), item.value().detach().to(torch::kCPU).contiguous().clone());
  }
  dict.insert("state_dict", state);
  const std::vector<char> bytes = torch::pickle_save(dict);

  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw bad_input(path + ": cannot create the export file");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw runtime_failure(path + ": writing the export failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw runtime_failure(path + ": cannot move the finished export into place");
  }
}

// The dict of an export file whose "format" is `format`.
Dict read_export(const std::string& path, const std::string& format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(path + ": cannot open the network file");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  Dict dict = new_dict();
  try {
    const torch::IValue value = torch::pickle_load(bytes);
    if (!value.isGenericDict()) throw bad_input(path + ": not a d2a network export (no dict)");
    dict = value.toGenericDict();
  } catch (const c10::Error& e) {
    throw bad_input(path + ": not a d2a network export (" + e.what_without_backtrace() + ")");
  }
  if (!dict.contains("format") || dict.at("format").toStringRef() != format) {
    throw bad_input(path + ": not a d2a network export (field 'format' is not " + format + ")");
  }
  return dict;
}

// Copies the export's state dict into `module` (which must have exactly its shapes) and puts
// the module in eval mode.
void load_state(torch::nn::Module& module, const Dict& dict, const std::string& path) {
  const auto state = dict.at("state_dict").toGenericDict();
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& name, torch::Tensor& target) {
    if (!state.contains(name)) throw bad_input(path + ": tensor '" + name + "' is missing");
    const torch::Tensor source = state.at(name).toTensor();
    if (source.sizes() != target.sizes()) {
      throw bad_input(path + ": tensor '" + name + "' has shape " + c10::str(source.sizes()) +
                      ", the network needs " + c10::str(target.sizes()));
    }
    target.copy_(source);
  };
  for (auto& item : module.named_parameters()) load(item.key(), item.value());
  for (auto& item : module.named_buffers()) load(item.key(), item.value());
  module.eval();
}

}  // namespace

void export_network(const Nb201Network& network, const std::string& path,
                    const nlohmann::json& metadata) {
  write_export(*network, path, kNb201ExportFormat, "cell", network->options.cell().str(),
               macro_to_json(network->options.macro()), metadata);
}

ExportedNetwork load_exported_network(const std::string& path) {
  const Dict dict = read_export(path, kNb201ExportFormat);
  ExportedNetwork result;
  try {
    const Nb201Cell cell = Nb201Cell::parse(dict.at("cell").toStringRef());
    const Nb201MacroConfig macro =
        macro_from_json(nlohmann::json::parse(dict.at("config").toStringRef()));
    result.metadata = nlohmann::json::parse(dict.at("metadata").toStringRef());
    result.network = Nb201Network(Nb201NetworkOptions(cell, macro));
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(path + ": field 'config' or 'metadata' is not valid JSON (" + e.what() + ")");
  }
  load_state(*result.network, dict, path);
  return result;
}

void export_network(const DartsNetwork& network, const std::string& path,
                    const nlohmann::json& metadata) {
  const DartsNetworkOptions& o = network->options;
  const nlohmann::json config = {{"channels", o.channels()},
                                 {"layers", o.layers()},
                                 {"input_channels", o.input_channels()},
                                 {"num_classes", o.num_classes()},
                                 {"auxiliary", o.auxiliary()}};
  write_export(*network, path, kDartsExportFormat, "genotype", o.genotype().str(), config,
               metadata);
}

ExportedDartsNetwork load_exported_darts_network(const std::string& path) {
  const Dict dict = read_export(path, kDartsExportFormat);
  ExportedDartsNetwork result;
  try {
    const DartsGenotype genotype = DartsGenotype::parse(dict.at("genotype").toStringRef());
    const auto config = nlohmann::json::parse(dict.at("config").toStringRef());
    result.metadata = nlohmann::json::parse(dict.at("metadata").toStringRef());
    result.network = DartsNetwork(DartsNetworkOptions(genotype)
                                      .channels(config.at("channels").get<std::int64_t>())
                                      .layers(config.at("layers").get<std::int64_t>())
                                      .input_channels(config.at("input_channels").get<std::int64_t>())
                                      .num_classes(config.at("num_classes").get<std::int64_t>())
                                      .auxiliary(config.at("auxiliary").get<bool>()));
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(path + ": field 'config' or 'metadata' is not valid JSON (" + e.what() + ")");
  } catch (const Error& e) {
    throw bad_input(path + ": " + e.what());
  }
  load_state(*result.network, dict, path);
  return result;
}

}  // namespace d2a
