#include "runtime/session/model.h"

#include <algorithm>

namespace linnet {

Result<std::unique_ptr<Model>> Model::open(const std::string& path, const ModelOptions& options) {
  BundleOpenOptions bundle_options;
  bundle_options.verify_sha256 = options.verify_sha256;
  Bundle bundle = LINNET_TRY(Bundle::open(path, bundle_options));
  auto tokenizer = Tokenizer::create(bundle.tokenizer());
  if (!tokenizer.ok()) return std::move(tokenizer).error().with_context("bundle " + path + ": tokenizer");
  if (tokenizer->vocab_size() > static_cast<std::size_t>(bundle.hyper_params().vocab_size)) {
    return Error(ErrorCode::kCorrupt, "bundle " + path + ": tokenizer defines " +
                                          std::to_string(tokenizer->vocab_size()) +
                                          " ids but the model head has " +
                                          std::to_string(bundle.hyper_params().vocab_size) + " rows");
  }
  Sha256Digest sha{};
  const auto recorded = bundle.content_sha256();
  std::copy_n(recorded.begin(), std::min(recorded.size(), sha.size()), sha.begin());
  return std::unique_ptr<Model>(new Model(std::move(bundle), std::move(tokenizer).value(), sha));
}

}  // namespace linnet
